"""The call log: a day's calls, one call's timeline, the caller's history and the reveal."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from hotline.models.vocabulary import CallStage
from hotline.supervision.call_log import TimelineSource
from hotline.web.api.models.common import (
    MaskedPhone,
    Offset,
    Omittable,
    OutModel,
    QueryDay,
    QueryInt,
    QueryModel,
    Timestamp,
)
from hotline.web.api.models.consultations import ConsultationOut


class CallSummaryOut(OutModel):
    """One row of the call log (the caller's number masked)."""

    call_sid: str
    started_at: Timestamp
    started_at_local: str
    caller: MaskedPhone
    service: str | None
    topic: str | None
    group: str | None
    region: str | None
    priority: int
    repeat_caller: bool
    stage: str
    outcome: str | None
    hangup_stage: str | None
    agent: str | None
    agent_name: str | None
    wait_seconds: int | None
    talk_seconds: int | None
    case_number: str | None


class CallEventOut(OutModel):
    """One entry of a call's timeline."""

    at: Timestamp
    at_local: str
    kind: str
    label: str
    source: TimelineSource
    data: dict[str, Any]


class CallDetailOut(CallSummaryOut):
    """One call with its whole timeline and its consultation, if any."""

    ended_at: Timestamp | None
    events: list[CallEventOut]
    consultation: ConsultationOut | None


class CallListOut(OutModel):
    """A page of a day's calls and how many there are in all."""

    calls: list[CallSummaryOut]
    total: int


class CallHistoryOut(OutModel):
    """The caller's earlier consultations."""

    call_sid: str
    consultations: list[ConsultationOut]


class RevealedNumberOut(OutModel):
    """A caller's full number, given once and audit-logged."""

    call_sid: str
    caller_full: str


class CallsQuery(QueryModel):
    """GET /api/calls."""

    day: Omittable[QueryDay] = Field(
        default=None, alias="date", description="day in Asia/Shanghai, YYYY-MM-DD (default today)"
    )
    region: Omittable[str] = Field(
        default=None, max_length=32, description="only calls of this region code"
    )
    stage: Omittable[CallStage] = Field(default=None, description="only calls in this stage")
    limit: QueryInt = Field(
        default=50, ge=1, le=200, description="at most this many (newest first)"
    )
    offset: Offset = 0
