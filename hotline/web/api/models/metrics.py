"""The supervisors' live view and their actions on agents and waiting calls."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hotline.supervision.live_view import AgentLiveState
from hotline.web.api.models.common import (
    InModel,
    MaskedPhone,
    Number,
    OutModel,
    Rate,
    Seconds,
    Timestamp,
)


class KpisOut(OutModel):
    """Today's KPIs of one scope (the centre, a region, a group)."""

    offered: int
    answered: int
    abandoned: int
    short_abandons: int
    callbacks: int
    voicemails: int
    answered_rate: Rate | None
    abandon_rate: Rate | None
    service_level: Rate | None
    asa_seconds: Seconds | None
    aht_seconds: Seconds | None
    max_wait_seconds: Seconds | None
    csat: Rate | None
    ratings: int
    callbacks_pending: int


class QueueOut(OutModel):
    """Callers waiting now, and the longest wait."""

    waiting: int
    longest_wait_seconds: int | None


class LiveGroupOut(QueueOut):
    """A routing group's queue and today's KPIs."""

    group: str
    label: str
    today: KpisOut | None


class AgentCountsOut(OutModel):
    """How many agents of a region are in each state."""

    available: int
    ringing: int
    talking: int
    wrap_up: int
    paused: int
    on_break: int = Field(alias="break")
    offline: int


class LiveRegionOut(QueueOut):
    """A region's queue, its groups, its agents and today's KPIs."""

    region: str
    label: str
    groups: list[LiveGroupOut]
    agents: AgentCountsOut
    today: KpisOut


class LiveCallOut(OutModel):
    """The call an agent is on (the number masked)."""

    call_sid: str
    caller: MaskedPhone
    region: str | None
    region_label: str
    group: str | None
    group_label: str
    service_label: str


class LiveAgentOut(OutModel):
    """An agent on duty, or at work, now."""

    id: int
    username: str
    name: str
    region: str
    region_label: str
    on_duty: bool
    state: AgentLiveState
    state_label: str
    paused: bool
    state_since: Timestamp
    seconds_in_state: int
    call: LiveCallOut | None


class WaitingCallerOut(OutModel):
    """A caller waiting in a queue (the number masked)."""

    call_sid: str
    caller: MaskedPhone
    region: str
    region_label: str
    group: str
    group_label: str
    service: str
    service_label: str
    topic: str
    priority: int
    repeat_caller: bool
    enqueued_at: Timestamp
    waited_seconds: int
    position: int


class AlertOut(OutModel):
    """A threshold crossed: the service level too low, a wait too long, a process silent."""

    kind: Literal["service_level", "longest_wait", "no_router", "no_worker"]
    scope: Literal["centre", "region"]
    region: str | None
    value: Number
    threshold: Number
    message: str


class ProcessesOut(OutModel):
    """Router and worker processes whose heartbeat is fresh."""

    routers: int
    workers: int


class LiveSnapshotOut(OutModel):
    """Queues, agents and today's KPIs per region and group, with alerts."""

    generated_at: Timestamp
    generated_at_local: str
    served_at: Timestamp
    service_level_seconds: Number
    queue: QueueOut
    today: KpisOut
    regions: list[LiveRegionOut]
    groups: list[LiveGroupOut]
    agents: list[LiveAgentOut]
    waiting_callers: list[WaitingCallerOut]
    processes: ProcessesOut
    alerts: list[AlertOut]


class AgentChangeOut(OutModel):
    """An agent's status and pause after a supervisor's action."""

    agent_id: int
    status: str
    paused: bool
    since: Timestamp


class MoveIn(InModel):
    """POST /api/calls/<sid>/move."""

    region: str = Field(max_length=32)


class MovedCallOut(OutModel):
    """A waiting call moved to another region's queue."""

    call_sid: str
    region: str
    previous_region: str
