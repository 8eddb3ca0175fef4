"""An agent's own routing state: their status and the call now offered to or with them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hotline.models.vocabulary import AgentStatus, CallDirection
from hotline.web.api.models.common import InModel, MaskedPhone, Omittable, OutModel, Timestamp


class StatusIn(InModel):
    """PUT /api/agents/me/status."""

    status: AgentStatus


class StatusChangeOut(OutModel):
    """The agent's status after the change."""

    status: str
    since: Timestamp
    paused: bool


class CurrentCallOut(OutModel):
    """The call now offered to, talking with or wrapped up by the agent."""

    call_sid: str
    stage: Literal["ringing", "talking", "wrap_up"]
    service: str | None
    topic: str | None
    group: str | None
    region: str | None
    priority: int
    repeat_caller: bool
    waiting_seconds: int | None
    caller: MaskedPhone
    caller_full: Omittable[str] = Field(
        default=None, description="only while talking or in wrap-up, to the agent on the call"
    )
    direction: Omittable[CallDirection] = Field(
        default=None, description="outbound: a call-back the agent placed from a work item"
    )
    callback_source: Omittable[str] = Field(
        default=None, description="call-backs only: what the work item came from (voicemail, …)"
    )
    callback_source_label: Omittable[str] = Field(
        default=None, description="call-backs only: the source in Chinese (留言 / 预约回电)"
    )
