"""The Redis scripts of the live state: atomic reservations, stale steps that change nothing."""

from __future__ import annotations

import threading

from routing import keys
from routing.state import CallerState, RoutingState

NOW = 1_800_000_000_000
# The scripts RoutingState runs (each a routing/lua/<name>.lua after the prelude).
SCRIPT_NAMES = (
    "enqueue", "reserve", "connected", "accept", "release", "finish", "remove", "end_wrap",
    "set_status", "ensure_agent", "waiting", "packed", "move", "pause", "signature",
)  # fmt: skip


def caller(sid: str, region: str = "harbin", priority: int = 0, enq: int = NOW) -> CallerState:
    return CallerState(
        call_sid=sid, call_id=1, service="consultation", group="1", topic="婚姻家庭",
        region=region, priority=priority, cls=priority, enqueued_ms=enq, repeat_caller=False,
        state="waiting", agent_id=None, offer_id="", reach=0, nobody=False, ready_agents=0,
        retry_at_ms=0,
    )  # fmt: skip


def state_with(runtime, callers=(), agents=(1,)) -> RoutingState:
    state = RoutingState(runtime.redis)
    for agent_id in agents:
        state.ensure_agent(agent_id, "available", None, NOW - 1000, NOW - 1000)
    for item in callers:
        state.enqueue(item)
    return state


def test_enqueue_is_idempotent_and_orders_by_class_then_wait(runtime):
    state = state_with(runtime, [caller("A", enq=NOW), caller("B", enq=NOW - 5)], agents=())
    assert state.enqueue(caller("A")) is False
    state.enqueue(caller("G", priority=1, enq=NOW + 5))
    assert state.queue_order("harbin") == ["G", "B", "A"]


def test_a_reservation_takes_a_waiting_caller_and_a_free_agent_together(runtime):
    state = state_with(runtime, [caller("A"), caller("B")], agents=(1, 2))
    assert state.reserve("A", 1, "o1", NOW, NOW + 30_000) == "ok"
    assert state.reserve("A", 2, "o2", NOW, NOW + 30_000) == "caller"
    assert state.reserve("B", 1, "o3", NOW, NOW + 30_000) == "agent"
    assert state.queue_order("harbin") == ["B"]
    assert (state.caller("A").state, state.caller("A").agent_id) == ("offered", 1)
    assert (state.agent(1).live, state.agent(1).call_sid) == ("ringing", "A")
    assert state.offer("o2") is None and state.offer("o3") is None


def test_racing_reservations_give_each_agent_and_caller_to_one_winner(runtime):
    callers = [caller(f"C{i}", enq=NOW + i) for i in range(20)]
    state = state_with(runtime, callers, agents=range(1, 21))
    results: list[tuple[str, int, str]] = []
    lock = threading.Lock()
    start = threading.Barrier(20)

    def contend(worker: int) -> None:
        mine = RoutingState(runtime.redis)
        start.wait()
        for i in range(20):
            sid, agent = f"C{(i + worker) % 20}", 1 + (i * 7 + worker) % 20
            outcome = mine.reserve(sid, agent, f"o{worker}-{i}", NOW, NOW + 30_000)
            with lock:
                results.append((sid, agent, outcome))

    threads = [threading.Thread(target=contend, args=(w,)) for w in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    won = [(sid, agent) for sid, agent, outcome in results if outcome == "ok"]
    assert len({sid for sid, _ in won}) == len(won)
    assert len({agent for _, agent in won}) == len(won)
    for sid, agent in won:
        assert state.caller(sid).agent_id == agent and state.agent(agent).call_sid == sid


def test_a_missed_offer_pauses_the_agent_and_puts_the_caller_at_the_head(runtime):
    state = state_with(runtime, [caller("A", enq=NOW), caller("G", priority=1, enq=NOW + 9)])
    state.reserve("A", 1, "o1", NOW, NOW + 30_000)

    step = state.release("o1", NOW + 1000, boost=10, pause=True)

    assert (step.outcome, step.call_sid, step.agent_id) == ("ok", "A", 1)
    assert state.queue_order("harbin") == ["A", "G"]
    assert state.caller("A").cls == 10
    agent = state.agent(1)
    assert (agent.live, agent.paused, agent.offer_id) == ("idle", True, "")
    assert state.offer("o1") is None
    assert state.reserve("G", 1, "o2", NOW, NOW + 30_000) == "agent"  # paused
    assert state.release("o1", NOW, boost=10, pause=True).outcome == "stale"
    assert state.caller("A").cls == 10  # a second miss report boosts nothing more


def test_steps_for_an_offer_that_is_no_longer_current_change_nothing(runtime):
    state = state_with(runtime, [caller("A")], agents=(1, 2))
    state.reserve("A", 1, "old", NOW, NOW + 30_000)
    state.release("old", NOW, boost=0, pause=False)
    state.reserve("A", 2, "new", NOW, NOW + 30_000)

    assert state.accept("old", NOW).outcome == "stale"
    assert state.finish("old", NOW, NOW).outcome == "stale"
    assert state.connected("old", NOW).outcome == "stale"
    assert state.agent(1).live == "idle" and state.agent(2).live == "ringing"
    assert state.accept("new", NOW).outcome == "ok"
    assert state.accept("new", NOW).outcome == "again"
    assert state.release("new", NOW, boost=10, pause=True).outcome == "accepted"
    assert state.agent(2).live == "talking" and not state.agent(2).paused


def test_a_finished_talk_starts_the_wrap_up_which_ends_on_time(runtime):
    state = state_with(runtime, [caller("A")])
    state.reserve("A", 1, "o1", NOW, NOW + 30_000)
    state.accept("o1", NOW)

    step = state.finish("o1", NOW + 1000, NOW + 61_000)

    assert step.outcome == "wrap_up" and state.caller("A") is None
    assert state.due_wraps(NOW + 60_000) == []
    assert state.end_wrap(1, NOW + 60_000) is None
    assert state.due_wraps(NOW + 61_000) == [1]
    assert state.end_wrap(1, NOW + 61_000) == "A"
    agent = state.agent(1)
    assert (agent.live, agent.call_sid, agent.idle_since_ms) == ("idle", "", NOW + 61_000)


def test_removing_a_caller_frees_or_wraps_its_agent_by_where_it_was(runtime):
    state = state_with(runtime, [caller("W"), caller("R"), caller("T")], agents=(1, 2))
    state.reserve("R", 1, "o1", NOW, NOW + 30_000)
    state.reserve("T", 2, "o2", NOW, NOW + 30_000)
    state.accept("o2", NOW)

    assert state.remove("R", NOW, NOW, only_waiting=True).outcome == "offered"
    assert state.caller("R").state == "offered"  # a call-back press waits for the offer
    assert state.remove("W", NOW, NOW).outcome == "waiting"
    assert state.remove("R", NOW, NOW).outcome == "offered"
    assert (state.agent(1).live, state.agent(1).paused) == ("idle", False)
    assert state.remove("T", NOW, NOW + 60_000).outcome == "talking"
    assert state.agent(2).live == "wrap_up"
    assert state.remove("T", NOW, NOW).outcome == "missing"
    assert runtime.redis.zcard(keys.OFFERS) == 0 and state.queue_order("harbin") == []


def test_choosing_available_ends_a_pause_and_restarts_the_idle_clock(runtime):
    state = state_with(runtime, [caller("A")])
    state.reserve("A", 1, "o1", NOW, NOW + 30_000)
    state.release("o1", NOW, boost=10, pause=True)

    assert state.set_status(1, "break", False, NOW + 5) == "ok"
    assert state.agent(1).paused and state.agent(1).status == "break"
    assert state.set_status(1, "available", True, NOW + 9) == "ok"
    agent = state.agent(1)
    assert (agent.status, agent.paused, agent.idle_since_ms) == ("available", False, NOW + 9)
    assert state.set_status(99, "available", True, NOW) == "missing"


def test_scripts_come_from_lua_files_and_survive_a_redis_that_forgot_them(runtime):
    from routing import scripts

    assert sorted(path.stem for path in scripts.LUA_DIR.glob("*.lua")) == sorted(
        ["prelude", "update_caller", "release_lock"] + list(SCRIPT_NAMES)
    )
    state = state_with(runtime, [caller("A")])
    runtime.redis.script_flush()  # as after a restart of Redis
    assert state.reserve("A", 1, "o1", NOW, NOW + 30_000) == "ok"
    assert state.agent(1).live == "ringing"
