"""A worker process that dies (SIGKILL) in the middle of an SMS send.

Run by the crash tests as `python -m tests.callbacks.sms.crash_worker <ISO time> <when>`, with
the test's database, Redis and fake Twilio API in the environment. It sets its clock to the
given time and runs the queued jobs; the first send kills the process, as a power cut or the
kernel's OOM killer would: `after-accept` right after Twilio accepted the message (the SID is
never committed), `before-request` after the attempt was committed but before Twilio is asked.
Nothing runs after the kill: no commit, no `finally`, no lock release; RQ still holds the job
as started.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import datetime
from typing import Any

from rq import Queue, SimpleWorker

from hotline.clock import ManualClock, set_clock
from hotline.runtime import Runtime
from hotline.settings import load_settings
from hotline.telephony import Telephony

_real_send_sms = Telephony.send_sms


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _send_then_die(self: Telephony, *args: Any, **kwargs: Any) -> str:
    sid = _real_send_sms(self, *args, **kwargs)
    _die()
    return sid  # never reached


def _die_instead_of_sending(self: Telephony, *args: Any, **kwargs: Any) -> str:
    _die()
    raise AssertionError("the process is dead")


KILLS = {"after-accept": _send_then_die, "before-request": _die_instead_of_sending}


def main(moment: str, when: str) -> None:
    """Run the queued jobs on a clock set to `moment`, dying at the first send as `when` says."""
    set_clock(ManualClock(datetime.fromisoformat(moment)))
    Telephony.send_sms = KILLS[when]
    rt = Runtime(load_settings())
    SimpleWorker([Queue("default", connection=rt.redis)], connection=rt.redis).work(burst=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
