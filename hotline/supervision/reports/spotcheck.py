"""The quality spot-check: a fixed share of a period's answered calls, chosen by a hash.

Each answered call queued in the period gets the code SHA-256("<period>:<first day>:<CallSid>");
the calls with the smallest codes, ceil(5 %) of them (at least one), are the sample. The choice
depends only on the period and the CallSids, so the list is the same on every reload and anyone
can recompute it; it changes only if answered calls of the period are added or removed.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hotline.consultations import case_numbers_by_call
from hotline.models import Call
from hotline.supervision.reports.periods import Period

SAMPLE_SHARE = 0.05
PAGE_SIZE = 50


@dataclass(frozen=True)
class SampledCall:
    """A call chosen for review, with what the reviewer needs to find its recording and record."""

    code: str
    call_sid: str
    queued_at: datetime
    region: str | None
    service: str | None
    group: str | None
    agent_id: int | None
    from_number: str
    wait_seconds: int | None
    talk_seconds: int | None
    recording_url: str | None
    case_number: str | None


@dataclass(frozen=True)
class SpotCheck:
    """One page of a period's sample."""

    answered: int
    sample_size: int
    page: int
    pages: int
    calls: list[SampledCall]


def sample_code(period: Period, call_sid: str) -> str:
    """The hex SHA-256 that orders a call within its period's draw."""
    text = f"{period.kind}:{period.first.isoformat()}:{call_sid}"
    return hashlib.sha256(text.encode()).hexdigest()


def sample_size(answered: int, share: float = SAMPLE_SHARE) -> int:
    """How many calls the sample holds: ceil(share × answered), at least one if any answered."""
    return 0 if answered == 0 else max(1, math.ceil(answered * share - 1e-9))


def spot_check(
    session: Session, period: Period, page: int = 1, share: float = SAMPLE_SHARE
) -> SpotCheck:
    """The sample of the period's answered calls, in queueing order, one page of it."""
    answered = session.execute(
        select(Call.id, Call.call_sid, Call.queued_at).where(
            Call.queued_at >= period.start,
            Call.queued_at < period.end,
            or_(Call.answered_at.is_not(None), Call.outcome == "answered"),
        )
    ).all()
    coded = sorted(
        ((sample_code(period, row.call_sid), row) for row in answered), key=lambda item: item[0]
    )
    chosen = sorted(coded[: sample_size(len(answered), share)], key=lambda i: i[1].queued_at)
    pages = max(1, -(-len(chosen) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = chosen[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return SpotCheck(len(answered), len(chosen), page, pages, _details(session, shown))


def _details(session: Session, shown: list[tuple[str, Any]]) -> list[SampledCall]:
    ids = [row.id for _, row in shown]
    calls = {call.id: call for call in session.scalars(select(Call).where(Call.id.in_(ids)))}
    cases = case_numbers_by_call(session, ids)
    result = []
    for code, row in shown:
        call = calls[row.id]
        result.append(
            SampledCall(
                code=code[:12],
                call_sid=call.call_sid,
                queued_at=call.queued_at or call.started_at,
                region=call.region,
                service=call.service,
                group=call.group,
                agent_id=call.agent_id,
                from_number=call.from_number,
                wait_seconds=call.wait_seconds,
                talk_seconds=call.talk_seconds,
                recording_url=call.recording_url,
                case_number=cases.get(call.id),
            )
        )
    return result
