"""`hotline serve` brings the service up on the embedded defaults (README's first command)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import requests

from hotline.settings import DEV_AUTH_TOKEN
from tests.harness.signing import call_params, twilio_signature


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie child of the test process would still answer; check its state.
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_serve_answers_signed_calls_on_embedded_defaults(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    instance = tmp_path / "instance"  # does not exist yet, as in a fresh clone
    env.update(HOTLINE_INSTANCE_DIR=str(instance), HOTLINE_ENV="development")
    env.pop("HOTLINE_PUBLIC_URL", None)
    env.pop("TWILIO_AUTH_TOKEN", None)
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "hotline.cli", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if requests.get(base + "/readyz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.3)
        else:
            raise AssertionError("service never became ready:\n" + log_path.read_text())

        params = call_params("CA" + "5" * 32)
        url = base + "/voice/incoming"
        signature = twilio_signature(DEV_AUTH_TOKEN, url, params)
        answer = requests.post(url, data=params, headers={"X-Twilio-Signature": signature})
        assert answer.status_code == 200
        assert answer.headers["Content-Type"].startswith("text/xml")
        root = ET.fromstring(answer.text)
        assert root.tag == "Response"
        assert root[0].tag in ("Say", "Gather")

        unsigned = requests.post(url, data=params)
        assert unsigned.status_code == 403
        assert (instance / "hotline.sqlite3").exists()

        # A child killed is started again (neither exits by itself, whatever fails).
        first = re.search(r"worker pid (\d+), router pid (\d+)", log_path.read_text())
        os.kill(int(first.group(2)), signal.SIGKILL)
        again = None
        deadline = time.monotonic() + 20
        while again is None and time.monotonic() < deadline:
            again = re.search(r"router started again \(pid (\d+)\)", log_path.read_text())
            time.sleep(0.2)
        assert again is not None, log_path.read_text()
        assert _alive(int(again.group(1)))
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    output = log_path.read_text()
    pids = [int(p) for p in re.search(r"worker pid (\d+), router pid (\d+)", output).groups()]
    pids.append(int(again.group(1)))
    assert f"router (pid {pids[1]}) exited with code -9" in output
    assert "demo data: 30 agents" in output
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in pids), "worker or router outlived serve"
