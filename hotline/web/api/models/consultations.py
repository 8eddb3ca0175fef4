"""Consultations: what an agent records at wrap-up, and how a record is shown."""

from __future__ import annotations

from pydantic import Field

from hotline.consultations import CASE_PREFIX, REFERRAL_MAX, SUMMARY_MAX, Disposition
from hotline.web.api.models.common import (
    InModel,
    MaskedPhone,
    Offset,
    Omittable,
    OutModel,
    QueryInt,
    QueryModel,
    Timestamp,
)


class ConsultationIn(InModel):
    """POST /api/consultations: the agent's record of a call."""

    call_sid: str = Field(max_length=64)
    topic: str = Field(max_length=32)
    summary: str = Field(max_length=SUMMARY_MAX)
    disposition: Disposition
    referral_office: Omittable[str] = Field(default=None, max_length=REFERRAL_MAX)
    follow_up_needed: bool = False


class ConsultationOut(OutModel):
    """A consultation record (the caller's number masked)."""

    case_number: str = Field(pattern=rf"^{CASE_PREFIX}-\d{{8}}-\d{{6}}$")
    call_sid: str | None
    service: str | None
    topic: str
    group: str | None
    summary: str
    disposition: str
    disposition_label: str
    referral_office: str | None
    follow_up_needed: bool
    agent: str | None
    agent_name: str | None
    caller: MaskedPhone
    created_at: Timestamp
    created_at_local: str


class ConsultationListOut(OutModel):
    """A page of consultations and how many there are in all."""

    consultations: list[ConsultationOut]
    total: int


class ConsultationsQuery(QueryModel):
    """GET /api/consultations."""

    limit: QueryInt = Field(
        default=20, ge=1, le=100, description="at most this many (newest first)"
    )
    offset: Offset = 0
    call_sid: Omittable[str] = Field(
        default=None, max_length=64, description="only the consultation of this call"
    )
