"""The router: match waiting callers to free agents and redirect the callers to their agent.

One cycle (`run_once`) rebuilds the state if Redis lost it, runs the timers (wrap-ups that end,
offers nobody confirmed, callers the database has but Redis lost), asks the policy for matches
and carries each one out: reserve atomically in Redis, record in the database, then redirect the
caller's call to the connect TwiML through the telephony adapter. Several routers may run at
once: a reservation that another router won fails harmlessly and the next cycle replans.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import clock
from hotline.calls import add_event, find_call
from hotline.clock import to_ms
from hotline.db import write_first
from hotline.heartbeats import Heartbeat
from hotline.logs import call_context
from hotline.models import Call
from hotline.outages import DEPENDENCY_ERRORS, Outage
from hotline.runtime import Runtime
from hotline.telephony import Telephony, TelephonyError
from hotline.twiml import QUEUE_PREFIX
from routing import events, keys, policy, records
from routing.config import RoutingConfig, load_routing_config
from routing.eligibility import RosterEntry, on_duty
from routing.handoff import caller_from_call
from routing.rebuild import call_history, ensure_built
from routing.regions import load_regions
from routing.state import CallerState, RoutingState

log = logging.getLogger("hotline.router")

DEV_BASE_URL = "http://127.0.0.1:5000"
CONNECT_PATH = f"{QUEUE_PREFIX}/connect"
MIN_CYCLE_SECONDS = 0.01
# Twilio answers these when the call to redirect no longer exists or is no longer in progress.
CALL_GONE_CODES = frozenset({20404, 21220})


class Lifecycle(Protocol):
    """The call lifecycle points the router reaches (callbacks.lifecycle.CallLifecycle).

    The router is handed one when its process is put together: routing never imports the
    layers above it.
    """

    def call_ended(
        self, session: Session, call: Call, status: str, now: datetime, queue_time: str = ""
    ) -> None:
        """The call is over (the router found it gone)."""

    def wrap_up_over(
        self, session: Session, call: Call | None, agent_id: int, now: datetime
    ) -> None:
        """The agent's wrap-up after this call is over."""


@dataclass
class CycleReport:
    """What one router cycle did."""

    rebuilt: bool = False
    waiting: int = 0
    offered: int = 0
    conflicts: int = 0
    failed: int = 0
    gone: int = 0
    expired: int = 0
    wraps_ended: int = 0
    overflows: int = 0
    restored: int = 0


def base_url(runtime: Runtime) -> str:
    """The absolute URL Twilio reaches the app on (Calls update needs absolute URLs)."""
    return (runtime.settings.public_url or DEV_BASE_URL).rstrip("/")


def call_gone(exc: TelephonyError) -> bool:
    """Whether a telephony error means the caller's call no longer exists."""
    return exc.code in CALL_GONE_CODES or exc.status == 404


class Router:
    """Matches callers to agents; `run_once` is one deterministic cycle (tests drive it)."""

    def __init__(
        self,
        runtime: Runtime,
        telephony: Telephony,
        lifecycle: Lifecycle,
        config: RoutingConfig | None = None,
    ) -> None:
        self.runtime = runtime
        self.telephony = telephony
        self.lifecycle = lifecycle
        self.config = config or load_routing_config(runtime.settings.config_dir)
        self.redis = runtime.redis
        self.state = RoutingState(self.redis)
        directory = load_regions(runtime.settings.config_dir)
        self.topology = policy.Topology.from_pairs(
            {region.code: region.neighbours for region in directory.regions}
        )
        self._roster: list[RosterEntry] = []
        self._roster_at: datetime | None = None
        self._reconciled_at: datetime | None = None

    # ----- the cycle ---------------------------------------------------------------------------

    def run_once(self, full: bool = True) -> CycleReport:
        """One cycle: rebuild if needed, run the timers, match and offer; return what was done.

        A full cycle also runs the timers (wrap-ups, unconfirmed offers, lost callers) and
        records every caller's reach; a light one (after an event) only matches, and only if
        some agent is free.
        """
        report = CycleReport()
        now = clock.now()
        report.rebuilt = ensure_built(self.redis, self.runtime.session, self.config, now)
        if report.rebuilt:
            self._roster_at = None
            full = True
        roster = self.roster(now)
        if full:
            self._end_wraps(now, report)
            self._expire_offers(now, report)
            if self._reconciled_at is None or (
                (now - self._reconciled_at).total_seconds() >= self.config.reconcile_seconds
            ):
                self._reconcile(now, report)
        agents = self.state.agents(entry.agent_id for entry in roster)
        views = [
            agents[entry.agent_id].view(entry.region, entry.skills)
            for entry in roster
            if entry.agent_id in agents
        ]
        if not full and not any(view.free for view in views):
            return report
        callers = self.state.waiting_callers()
        report.waiting = len(callers)
        if not callers:
            return report
        plan = policy.plan(
            [caller.waiting() for caller in callers], views, to_ms(now), self.config, self.topology
        )
        matched = {match.call_sid for match in plan.matches}
        self._apply_reach(
            callers if full else [c for c in callers if c.call_sid in matched], plan, now, report
        )
        by_sid = {caller.call_sid: caller for caller in callers}
        by_agent = {entry.agent_id: entry for entry in roster}
        for match in plan.matches:
            with call_context(match.call_sid):
                self._offer(match, by_sid[match.call_sid], by_agent[match.agent_id], now, report)
        return report

    def roster(self, now: datetime) -> list[RosterEntry]:
        """Agents on duty now (re-read from the database every roster_refresh_seconds)."""
        stale = (
            self._roster_at is None
            or now < self._roster_at
            or (now - self._roster_at).total_seconds() >= self.config.roster_refresh_seconds
        )
        if stale:
            with self.runtime.session() as session:
                self._roster = on_duty(session, now)
            self._roster_at = now
            for entry in self._roster:
                self.state.ensure_agent(
                    entry.agent_id,
                    entry.status,
                    None if not entry.paused else to_ms(now),
                    to_ms(entry.status_since),
                    to_ms(entry.status_since),
                )
        return [entry for entry in self._roster if entry.shift_ends_at > now]

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Session]:
        """A session for one write transaction (holding SQLite's write lock from the start)."""
        with self.runtime.session() as session:
            write_first(session)
            yield session

    def refresh_roster(self) -> None:
        """Forget the cached roster (the next cycle reads the rota again)."""
        self._roster_at = None

    # ----- timers ------------------------------------------------------------------------------

    def _end_wraps(self, now: datetime, report: CycleReport) -> None:
        now_ms = to_ms(now)
        for agent_id in self.state.due_wraps(now_ms):
            call_sid = self.state.end_wrap(agent_id, now_ms)
            if call_sid is None:
                continue
            report.wraps_ended += 1
            with self._writing() as session:
                self.lifecycle.wrap_up_over(session, find_call(session, call_sid), agent_id, now)
                session.commit()

    def _expire_offers(self, now: datetime, report: CycleReport) -> None:
        now_ms = to_ms(now)
        for offer_id in self.state.due_offers(now_ms):
            step = self.state.release(
                offer_id, now_ms, self.config.requeue_priority_boost, pause=False
            )
            if step.outcome != "ok":
                # Stale entry (the offer ended some other way): drop it from the timer set.
                self.redis.zrem(keys.OFFERS, offer_id)
                continue
            report.expired += 1
            log.warning("offer %s of %s expired unconfirmed", offer_id, step.call_sid)
            with self._writing() as session:
                records.mark_missed(
                    session, find_call(session, step.call_sid), step.agent_id or 0, offer_id,
                    "expired", now, pause_agent=False,
                )  # fmt: skip
                session.commit()

    def _reconcile(self, now: datetime, report: CycleReport) -> None:
        """Put back queued calls the database has but Redis lost (e.g. a push that failed)."""
        self._reconciled_at = now
        with self.runtime.session() as session:
            calls = session.scalars(
                select(Call).where(
                    Call.stage == "queued", Call.ended_at.is_(None), Call.queued_at.is_not(None)
                )
            ).all()
            if not calls:
                return
            known = {c.call_sid for c in self.state.callers(call.call_sid for call in calls)}
            missing = [call for call in calls if call.call_sid not in known]
            history = call_history(session, [call.id for call in missing])
        for call in missing:
            boost = self.config.requeue_priority_boost if history[call.id]["requeued"] else 0
            caller = caller_from_call(call, cls=int(call.priority or 0) + boost)
            if self.state.enqueue(caller):
                report.restored += 1
                log.warning("queued call %s was missing from Redis; restored", call.call_sid)

    def _apply_reach(
        self, callers: list[CallerState], plan: policy.Plan, now: datetime, report: CycleReport
    ) -> None:
        changes: dict[str, dict[str, object]] = {}
        overflows = []
        for caller in callers:
            stage = plan.stages.get(caller.call_sid, caller.reach)
            nobody = caller.call_sid in plan.nobody
            ready = plan.ready_agents.get(caller.call_sid, 0)
            fields: dict[str, object] = {}
            if stage > caller.reach:
                fields["reach"] = stage
                overflows.append((caller, stage))
            if nobody != caller.nobody:
                fields["nobody"] = "1" if nobody else "0"
            if ready != caller.ready_agents:
                fields["ready"] = ready
            if fields:
                changes[caller.call_sid] = fields
        self.state.update_callers(changes)
        if overflows:
            report.overflows += len(overflows)
            with self._writing() as session:
                for caller, stage in overflows:
                    records.mark_overflow(
                        session, caller.call_id, caller.region, caller.reach, stage, now
                    )
                session.commit()

    # ----- offers ------------------------------------------------------------------------------

    def _offer(
        self,
        match: policy.Match,
        caller: CallerState,
        agent: RosterEntry,
        now: datetime,
        report: CycleReport,
    ) -> None:
        now_ms = to_ms(now)
        offer_id = secrets.token_hex(8)
        deadline = now_ms + 1000 * self.config.offer_connect_timeout_seconds
        outcome = self.state.reserve(caller.call_sid, agent.agent_id, offer_id, now_ms, deadline)
        if outcome != "ok":
            report.conflicts += 1
            return
        with self._writing() as session:
            call = records.mark_offered(
                session, caller.call_sid, agent.agent_id, offer_id, agent.region, match.tier,
                match.stage, now,
            )  # fmt: skip
            if call is None:
                session.rollback()
                # The database no longer has the call waiting (it ended): drop it from routing.
                self.state.remove(caller.call_sid, now_ms, now_ms)
                report.gone += 1
                return
            session.commit()
        url = f"{base_url(self.runtime)}{CONNECT_PATH}?offer={offer_id}"
        try:
            self.telephony.update_call(caller.call_sid, url=url)
        except TelephonyError as exc:
            self._offer_failed(caller, agent, offer_id, exc, now, report)
            return
        report.offered += 1
        log.info(
            "offered %s (%s/%s/%s) to agent %s in %s [%s]",
            caller.call_sid, caller.region, caller.service, caller.group, agent.agent_id,
            agent.region, offer_id,
        )  # fmt: skip

    def _offer_failed(
        self,
        caller: CallerState,
        agent: RosterEntry,
        offer_id: str,
        exc: TelephonyError,
        now: datetime,
        report: CycleReport,
    ) -> None:
        now_ms = to_ms(now)
        if call_gone(exc):
            report.gone += 1
            self.state.remove(caller.call_sid, now_ms, now_ms)
            log.info("caller %s is gone (%s); removed from routing", caller.call_sid, exc)
            with self._writing() as session:
                call = session.scalars(select(Call).where(Call.call_sid == caller.call_sid)).one()
                if call.stage == "ringing":
                    call.agent_id = None  # the agent never talked with this caller
                    self.lifecycle.call_ended(session, call, "completed", now)
                add_event(
                    session, call, "offer_failed", now, agent_id=agent.agent_id,
                    region=call.region, offer=offer_id, reason="call_gone", code=exc.code,
                )  # fmt: skip
                session.commit()
            events.publish(self.redis, "agent", agent.agent_id)
            return
        report.failed += 1
        retry_at = now_ms + 1000 * self.config.retry_after_seconds
        self.state.release(offer_id, now_ms, 0, pause=False, retry_at_ms=retry_at)
        log.warning("could not redirect %s to agent %s: %s", caller.call_sid, agent.agent_id, exc)
        with self._writing() as session:
            found = find_call(session, caller.call_sid)
            if found is not None:
                records.undo_offered(
                    session, found, agent.agent_id, offer_id, f"telephony: {exc}"[:200], now
                )
                session.commit()

    # ----- the process loop --------------------------------------------------------------------

    def run(self, stop: threading.Event, heartbeat: Heartbeat | None = None) -> None:
        """Cycle until `stop` is set: after events (light cycles) and every tick (full cycles).

        No Redis or database outage ends the loop: the cycle is retried with backoff, the
        outage logged when it begins and when it ends, and nothing cached is trusted after it.
        """
        outage = Outage(log, "router")
        next_full = 0.0
        tick = self.config.tick_seconds
        while not stop.is_set():
            started = time.monotonic()
            full = started >= next_full
            if full:
                next_full = started + tick
            try:
                if heartbeat is not None:
                    heartbeat.beat_if_due()
                report = self.run_once(full=full)
                outage.over()
                if report.conflicts or report.rebuilt:
                    continue  # another router won some reservations: replan at once
                # Let events that arrive together wake one cycle, not one each.
                stop.wait(MIN_CYCLE_SECONDS)
                events.wait(self.redis, timeout=max(0.01, next_full - time.monotonic()))
            except DEPENDENCY_ERRORS as exc:
                delay = outage.failed(exc)
                self.forget_cached()
                if heartbeat is not None:
                    heartbeat.lost()
                next_full = 0.0  # the first cycle after the outage runs every timer
                stop.wait(delay)
            except Exception:  # noqa: BLE001 - a router keeps going; the next cycle retries
                log.exception("router cycle failed")
                stop.wait(tick)

    def forget_cached(self) -> None:
        """Trust nothing read before an outage: Redis may come back empty, the rota changed.

        The next cycle reads the rota again, ensures every agent on duty in Redis and checks
        the waiting callers against the database at once.
        """
        self.refresh_roster()
        self._reconciled_at = None
