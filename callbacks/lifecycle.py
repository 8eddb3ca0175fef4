"""The call lifecycle: what happens, in order, at each point of a call's life.

call ended       the final status callback, the queue's hang-up, or a call the router found gone
                 1. record the end once: the stage the call ended in (an abandon in the queue or
                    while an agent was rung), its outcome, the wait and the talk
                 2. leave routing: the caller leaves the live queue; the agent is freed, or wraps
                    up if they were talking (wrap-up over at once when there is no wrap-up time)
                 3. survey SMS: a caller who talked with an agent gets the SMS survey after the
                    configured delay (the job sends nothing if they rated by phone)
agent leg ended  the <Dial> to the agent ended
                 - the agent never took the call: the agent is paused and the caller goes back
                   to the head of the line
                 - otherwise the talk ended
talk ended       the agent wraps up (wrap-up over at once when there is no wrap-up time); the
                 caller then hears the phone survey (the web view's answer)
wrap-up over     the router's timer, or a talk that ended without wrap-up time
                 the timeline records it; the agent takes calls again

Web views, jobs, the router (which is handed a CallLifecycle) and tests call these methods
directly; nothing needs a Flask app context. Steps 2 and 3 of "call ended" can be redone: each
runs in a savepoint, and one that fails is rolled back alone, written on the call's timeline
(`lifecycle_step_failed`) and redone by the job `redo_step` with retries, so a Redis blip never
loses the end of a call. The worker re-queues, at start, failed steps whose job was lost too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

import redis
from rq import Retry
from rq.job import Job
from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from callbacks.queues import HIGH, enqueue_once, job_runtime
from callbacks.sms.config import load_sms_config
from callbacks.surveys.sms_survey import SURVEY_STAGES, enqueue_sms_survey
from hotline import clock
from hotline.after_commit import after_commit
from hotline.calls import add_event, find_call
from hotline.db import write_first
from hotline.logs import call_context
from hotline.models import Call
from hotline.runtime import Runtime
from routing import connect, records, waiting
from routing.config import RoutingConfig, load_routing_config
from routing.connect import DialStep

log = logging.getLogger("hotline.lifecycle")

FINAL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
# A caller in one of these stages is in the live routing state.
ROUTED_STAGES = ("queued", "ringing", "talking")
STEP_FAILED = "lifecycle_step_failed"
STEP_REDONE = "lifecycle_step_redone"
REDO_RETRY_INTERVALS = [5, 30, 120, 600, 1800]
# What a call that ended after a stage, with a "completed" status, came to.
_OUTCOME_AFTER = {
    "ivr": "ivr_hangup",
    "queued": "abandoned",
    "ringing": "abandoned",
    "talking": "answered",
    "wrap_up": "answered",
    "survey": "answered",
    "voicemail": "voicemail",
}


def outcome_for(stage: str | None, status: str) -> str:
    """The outcome of a call that ended in `stage` with the final status `status`."""
    if status != "completed":
        return status.replace("-", "_")
    return _OUTCOME_AFTER.get(stage or "", "ended")


def record_end(
    session: Session, call: Call, status: str, now: datetime, queue_time: str = ""
) -> str | None:
    """Record the end of a call once; the stage it ended in, or None if it had ended already.

    `queue_time` (Twilio's QueueTime) gives the wait when the call has no queued_at.
    """
    stage = call.stage
    if stage == "ended":
        return None
    values: dict[str, object] = {"stage": "ended", "hangup_stage": stage, "ended_at": now}
    if call.outcome is None:
        values["outcome"] = outcome_for(stage, status)
    if call.answered_at is not None and call.talk_seconds is None:
        values["talk_seconds"] = records.seconds_between(call.answered_at, now)
    if call.wait_seconds is None:
        if call.queued_at is not None:
            values["wait_seconds"] = records.seconds_between(call.queued_at, now)
        elif queue_time.isdigit():
            values["wait_seconds"] = int(queue_time)
    # An UPDATE's result is a CursorResult (it has rowcount); Session.execute is typed Result.
    ended = cast(
        CursorResult[Any],
        session.execute(
            update(Call)
            .where(Call.id == call.id, Call.stage == stage)
            .values(**values)
            .execution_options(synchronize_session="fetch")
        ),
    )
    # Another request ended the call first (a status callback racing the queue's hang-up).
    return stage if ended.rowcount == 1 else None


class CallLifecycle:
    """The lifecycle points of calls, run against one Runtime (no Flask app context needed)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @property
    def redis(self) -> redis.Redis:
        """The Redis server of the live routing state and the job queues."""
        return self.runtime.redis

    @property
    def routing_config(self) -> RoutingConfig:
        """The routing timers (wrap-up time) of this deployment."""
        return load_routing_config(self.runtime.settings.config_dir)

    # ----- call ended ------------------------------------------------------------------------

    def call_ended(
        self, session: Session, call: Call, status: str, now: datetime, queue_time: str = ""
    ) -> None:
        """The call is over: record its end, take it out of routing, queue its survey SMS."""
        stage = record_end(session, call, status, now, queue_time)
        if stage is None:
            return
        for name in CALL_ENDED_STEPS:
            self.run_step(session, call, name, stage, now)

    def run_step(self, session: Session, call: Call, name: str, stage: str, now: datetime) -> None:
        """Run one step of "call ended"; if it fails, roll it back alone and have a job redo it."""
        try:
            with session.begin_nested():
                CALL_ENDED_STEPS[name](self, session, call, stage, now)
        except Exception as exc:  # noqa: BLE001 - the end of the call stands; the job redoes the step
            log.exception("lifecycle step %s failed for %s; a job redoes it", name, call.call_sid)
            add_event(session, call, STEP_FAILED, now, step=name, stage=stage, error=str(exc)[:200])
            after_commit(session, enqueue_redo, self.redis, call.id, name, stage, now)

    def leave_routing(self, session: Session, call: Call, stage: str, now: datetime) -> None:
        """Step 2: the caller leaves the live queue; the agent is freed or begins the wrap-up."""
        if stage not in ROUTED_STAGES:
            return
        config = self.routing_config
        left = waiting.caller_gone(self.redis, session, config, call, now)
        if left.outcome == "talking" and left.agent_id is not None and config.wrap_up_seconds <= 0:
            self.wrap_up_over(session, call, left.agent_id, now)

    def survey_sms(self, session: Session, call: Call, stage: str, now: datetime) -> None:
        """Step 3: a caller who talked with an agent gets the SMS survey after the delay."""
        if stage not in SURVEY_STAGES or call.answered_at is None:
            return
        delay = load_sms_config(self.runtime.settings.config_dir).survey_delay
        after_commit(session, enqueue_sms_survey, self.redis, call.id, delay)

    # ----- the agent's leg, the talk, the wrap-up ---------------------------------------------

    def agent_leg_ended(
        self, session: Session, offer_id: str, call_sid: str, dial_status: str, now: datetime
    ) -> DialStep:
        """The <Dial> to the agent of an offer ended: a miss, or the end of the talk."""
        offer = connect.offer_of(self.redis, offer_id, call_sid)
        if offer is not None:
            config = self.routing_config
            missed = connect.take_back_missed(self.redis, session, config, offer, dial_status, now)
            if missed is not None:
                return missed
            call = find_call(session, call_sid)
            if self.talk_ended(session, offer_id, call, now):
                return DialStep("talk_done", (call.region if call else None) or "province")
        return connect.after_stale_dial(self.redis, session, find_call(session, call_sid), now)

    def talk_ended(self, session: Session, offer_id: str, call: Call | None, now: datetime) -> bool:
        """The talk of an offer is over: the agent wraps up; False if the offer was not current."""
        step = connect.end_talk(self.redis, session, self.routing_config, offer_id, now, call)
        if step is None:
            return False
        if step.outcome == "idle" and step.agent_id is not None:  # no wrap-up time
            self.wrap_up_over(session, find_call(session, step.call_sid), step.agent_id, now)
            session.commit()
        return True

    def wrap_up_over(
        self, session: Session, call: Call | None, agent_id: int, now: datetime
    ) -> None:
        """The agent's wrap-up after this call is over (the live state has freed the agent)."""
        records.mark_wrap_done(session, call, agent_id, now)


CallEndedStep = Callable[[CallLifecycle, Session, Call, str, datetime], None]
# The steps of "call ended" after its end is recorded, in the order they run.
CALL_ENDED_STEPS: dict[str, CallEndedStep] = {
    "leave_routing": CallLifecycle.leave_routing,
    "survey_sms": CallLifecycle.survey_sms,
}


def redo_job_id(call_id: int, step: str) -> str:
    """The deterministic RQ job id that redoes one step of a call's end."""
    return f"lifecycle-{step}-{call_id}"


def enqueue_redo(client: redis.Redis, call_id: int, step: str, stage: str, at: datetime) -> Job:
    """Queue the job that redoes a failed step (on the high queue, retried with backoff)."""
    return enqueue_once(
        client,
        redo_job_id(call_id, step),
        redo_step,
        call_id,
        step,
        stage,
        at.isoformat(),
        queue=HIGH,
        retry=Retry(max=len(REDO_RETRY_INTERVALS), interval=REDO_RETRY_INTERVALS),
        description=f"redo {step} of call {call_id}",
    )


def redo_step(call_id: int, step: str, stage: str, at: str) -> bool:
    """Job: redo one step of a call's end, timed when the call ended; False if nothing to do.

    A failure raises, so RQ retries the job (and keeps it among the failed jobs at the end).
    """
    rt = job_runtime()
    with rt.session() as session:
        write_first(session)
        call = session.get(Call, call_id)
        if call is None or step not in CALL_ENDED_STEPS:
            log.warning("redo of %s for call %s: nothing to redo", step, call_id)
            return False
        with call_context(call.call_sid):
            moment = datetime.fromisoformat(at)
            CALL_ENDED_STEPS[step](CallLifecycle(rt), session, call, stage, moment)
            add_event(session, call, STEP_REDONE, clock.now(), step=step, stage=stage)
            session.commit()
            log.info("lifecycle step %s redone", step)
        return True


def end_call(call_id: int, status: str) -> bool:
    """Job: end a call whose final status we learned without its status callback.

    Safe to run twice: a call that has ended already is left as it is (False).
    """
    rt = job_runtime()
    with rt.session() as session:
        write_first(session)
        call = session.get(Call, call_id)
        if call is None or call.stage == "ended" or status not in FINAL_STATUSES:
            return False
        with call_context(call.call_sid):
            CallLifecycle(rt).call_ended(session, call, status, clock.now())
            session.commit()
        return True
