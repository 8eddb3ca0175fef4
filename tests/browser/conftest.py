"""Browser tests: the app served on 127.0.0.1 in a thread, Debian's chromium driven by Playwright.

Nothing leaves the machine: chromium resolves no host but 127.0.0.1, every request to another
host is aborted, and WebSockets (the Voice SDK's signalling) are answered by a local stub.
Without chromium the tests skip, except in CI (CI=true), where they must run.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
LOCAL_HOSTS = ("127.0.0.1", "localhost")


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@pytest.fixture(scope="session")
def browser():
    """A headless chromium for the session (skipped only outside CI when it is missing)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if _in_ci():
            raise
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        if _in_ci():
            pytest.fail(f"{CHROMIUM} is missing; .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The app under test served on a free port of 127.0.0.1; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class OutsideTraffic:
    """What the page tried to reach beyond 127.0.0.1 (all of it refused)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.websockets: list[str] = []


def _local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob") or parts.hostname in LOCAL_HOSTS


@pytest.fixture
def new_page(browser):
    """Open pages in fresh contexts that cannot reach any outside host."""
    contexts = []

    def open_page(outside: OutsideTraffic | None = None):
        outside = outside or OutsideTraffic()
        context = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900})
        contexts.append(context)

        def guard(route) -> None:
            if _local(route.request.url):
                route.continue_()
            else:
                outside.requests.append(route.request.url)
                route.abort()

        def stub_socket(ws) -> None:
            outside.websockets.append(ws.url)
            ws.close(code=1000, reason="no outside network in tests")

        context.route("**/*", guard)
        context.route_web_socket(lambda url: not _local(url), stub_socket)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot():
    """Save a screenshot when HOTLINE_SCREENSHOT_DIR names a folder (for a person to look at)."""
    folder = os.environ.get("HOTLINE_SCREENSHOT_DIR")

    def take(page, name: str) -> None:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)

    return take
