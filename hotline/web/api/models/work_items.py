"""Call-back and voicemail work items, their attempts, and starting a call-back."""

from __future__ import annotations

from pydantic import Field

from hotline.models.vocabulary import WorkItemStatus
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


class AttemptOut(OutModel):
    """One call-back attempt of a work item."""

    id: int
    number: int
    agent: str | None
    outcome: str
    outcome_label: str
    twilio_status: str | None
    started_at: Timestamp
    started_at_local: str
    answered_at: Timestamp | None
    ended_at: Timestamp | None
    talk_seconds: int | None


class WorkItemVoicemailOut(OutModel):
    """The voicemail a work item came from."""

    recording_url: str | None
    duration_seconds: int | None


class WorkItemOut(OutModel):
    """A call-back or voicemail work item (the number masked)."""

    id: int
    source: str
    source_label: str
    caller: MaskedPhone
    region: str | None
    region_label: str
    service: str | None
    service_label: str
    topic: str | None
    group: str | None
    priority: int
    status: str
    status_label: str
    attempts: int
    max_attempts: int
    next_attempt_at: Timestamp | None
    next_attempt_local: str
    due: bool
    created_at: Timestamp
    created_at_local: str
    assigned_agent: str | None
    outcome_note: str
    voicemail: WorkItemVoicemailOut | None


class WorkItemDetailOut(WorkItemOut):
    """A work item with its attempts."""

    phone: str = Field(
        description="the full number while the reader's call-back attempt of the item is "
        "under way; otherwise masked (138****0000)"
    )
    attempt_list: list[AttemptOut]


class AnonymousVoicemailOut(OutModel):
    """A voicemail without a number to call back: listen only."""

    id: int
    region: str | None
    region_label: str
    service_label: str
    created_at_local: str
    recording_url: str | None
    duration_seconds: int | None


class WorkItemListOut(OutModel):
    """The work items a user may work, and voicemails nobody can call back."""

    items: list[WorkItemOut]
    voicemails: list[AnonymousVoicemailOut]
    total: int


class CallStartedOut(OutModel):
    """A call-back attempt just placed, and its item."""

    attempt: AttemptOut
    item: WorkItemDetailOut


class WorkItemCloseIn(InModel):
    """POST /api/work-items/<id>/close."""

    outcome_note: str = Field(default="", max_length=2000)


class WorkItemsQuery(QueryModel):
    """GET /api/work-items (the parameters filter a supervisor's list)."""

    region: Omittable[str] = Field(
        default=None, max_length=32, description="supervisors: only items of this region code"
    )
    status: Omittable[WorkItemStatus] = Field(
        default=None, description="supervisors: only this status (default: the open ones)"
    )
    limit: QueryInt = Field(default=100, ge=1, le=200, description="supervisors: at most this many")
    offset: Offset = Field(default=0, description="supervisors: skip this many")
