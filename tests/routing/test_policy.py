"""The matching policy as pure functions of callers, agents and `now` (no Redis, no database)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from routing.config import RoutingConfig
from routing.policy import (
    PROVINCE,
    STAGE_ALL,
    STAGE_HOME,
    STAGE_NEIGHBOURS,
    STAGE_PROVINCE,
    AgentView,
    Topology,
    Waiting,
    expected_wait_seconds,
    order_key,
    plan,
    queue_score,
    skilled,
)

CONFIG = RoutingConfig(
    overflow_to_neighbours_after_seconds=60,
    overflow_to_province_after_seconds=120,
    overflow_to_all_regions_after_seconds=300,
)
TOPOLOGY = Topology.from_pairs(
    {"harbin": ["suihua", "mudanjiang"], "suihua": ["harbin"], "mudanjiang": ["harbin"],
     "qiqihar": ["daqing"], "daqing": ["qiqihar"]}
)  # fmt: skip
T0 = 1_800_000_000_000  # ms
ALL = frozenset({"consultation", "legal_aid", "mediation", "1", "2", "3", "4"})


def caller(sid: str, region: str = "harbin", cls: int = 0, waited: float = 0, **kw) -> Waiting:
    return Waiting(
        call_sid=sid,
        service=kw.pop("service", "consultation"),
        group=kw.pop("group", "1"),
        region=region,
        cls=cls,
        enqueued_ms=T0 - int(waited * 1000),
        **kw,
    )


def agent(agent_id: int, region: str = "harbin", idle_for: float = 60, **kw) -> AgentView:
    return AgentView(
        agent_id=agent_id,
        region=region,
        skills=kw.pop("skills", ALL),
        status=kw.pop("status", "available"),
        paused=kw.pop("paused", False),
        live=kw.pop("live", "idle"),
        idle_since_ms=T0 - int(idle_for * 1000),
    )


def reach_of(region: str, stage: int) -> set[str]:
    regions = {region}
    if stage >= STAGE_NEIGHBOURS:
        regions |= TOPOLOGY.of(region)
    if stage >= STAGE_PROVINCE:
        regions.add(PROVINCE)
    return regions


def matches(callers, agents, now=T0, config=CONFIG) -> list[tuple[str, int]]:
    return [(m.call_sid, m.agent_id) for m in plan(callers, agents, now, config, TOPOLOGY).matches]


def test_skills_need_service_and_group_and_operator_calls_take_anyone():
    assert skilled(frozenset({"consultation", "1"}), "consultation", "1")
    assert not skilled(frozenset({"consultation", "2"}), "consultation", "1")
    assert not skilled(frozenset({"mediation", "1"}), "consultation", "1")
    assert skilled(frozenset({"mediation"}), "operator", "9")
    assert not skilled(frozenset(), "operator", "9")


def test_priority_class_first_then_the_longest_wait():
    callers = [caller("late", waited=5), caller("early", waited=50), caller("green", cls=1)]
    assert [c.call_sid for c in sorted(callers, key=order_key)] == ["green", "early", "late"]
    assert matches(callers, [agent(1)]) == [("green", 1)]
    assert matches(callers, [agent(1), agent(2), agent(3)]) == [
        ("green", 1), ("early", 2), ("late", 3),
    ]  # fmt: skip


def test_the_queue_score_sorts_like_the_policy():
    callers = [caller("a", cls=0, waited=1), caller("b", cls=11, waited=0), caller("c", cls=1)]
    by_score = sorted(callers, key=lambda c: queue_score(c.cls, c.enqueued_ms))
    assert by_score == sorted(callers, key=order_key)


def test_home_region_first_then_the_longest_idle():
    waiting = [caller("x", waited=130)]  # reaches neighbours and the pool by now
    agents = [
        agent(1, "suihua", idle_for=900),
        agent(2, PROVINCE, idle_for=900),
        agent(3, "harbin", idle_for=10),
        agent(4, "harbin", idle_for=20),
    ]
    assert matches(waiting, agents) == [("x", 4)]
    assert matches(waiting, agents[:2]) == [("x", 1)]  # a neighbour before the pool


def test_overflow_stages_follow_the_configured_waits():
    busy_home = agent(9, "harbin", live="talking")
    neighbour, pool, far = agent(1, "suihua"), agent(2, PROVINCE), agent(3, "qiqihar")
    for waited, expected in [(59, []), (60, [("x", 1)])]:
        assert matches([caller("x", waited=waited)], [busy_home, neighbour]) == expected
    for waited, expected in [(119, []), (120, [("x", 2)])]:
        assert matches([caller("x", waited=waited)], [busy_home, pool]) == expected
    for waited, expected in [(299, []), (300, [("x", 3)])]:
        assert matches([caller("x", waited=waited)], [busy_home, far]) == expected
    never = CONFIG.with_overrides(overflow_to_all_regions_after_seconds=None)
    assert matches([caller("x", waited=9999)], [busy_home, far], config=never) == []


def test_a_skill_nobody_covers_at_home_goes_to_the_pool_at_once():
    home_without_skill = agent(1, "harbin", skills=frozenset({"consultation", "1"}))
    pool = agent(2, PROVINCE)
    mediation = caller("m", service="mediation", group="4")
    result = plan([mediation], [home_without_skill, pool], T0, CONFIG, TOPOLOGY)
    assert [(m.call_sid, m.agent_id, m.stage) for m in result.matches] == [("m", 2, STAGE_PROVINCE)]


def test_an_agent_on_break_still_covers_the_region_but_takes_nothing():
    on_break = agent(1, "harbin", status="break")
    pool = agent(2, PROVINCE)
    result = plan([caller("x")], [on_break, pool], T0, CONFIG, TOPOLOGY)
    assert result.matches == [] and result.stages == {"x": STAGE_HOME}
    assert result.nobody == set()  # the pool agent could take it later


def test_a_reach_with_nobody_on_duty_at_all_widens_to_the_whole_province():
    far = agent(3, "qiqihar")
    result = plan([caller("x")], [far], T0, CONFIG, TOPOLOGY)
    assert result.stages == {"x": STAGE_ALL} and [m.agent_id for m in result.matches] == [3]


def test_province_callers_reach_everyone_pool_first():
    agents = [agent(1, "qiqihar", idle_for=999), agent(2, PROVINCE, idle_for=1)]
    assert matches([caller("p", region=PROVINCE)], agents) == [("p", 2)]


def test_paused_busy_and_offline_agents_are_not_offered_calls():
    agents = [
        agent(1, paused=True), agent(2, live="ringing"), agent(3, live="wrap_up"),
        agent(4, status="offline"), agent(5, status="break"),
    ]  # fmt: skip
    result = plan([caller("x")], agents, T0, CONFIG, TOPOLOGY)
    assert result.matches == []
    assert result.ready_agents == {"x": 2}  # ringing and wrap-up agents come back
    assert plan([caller("x")], agents[:1] + agents[3:], T0, CONFIG, TOPOLOGY).nobody == {"x"}


def test_stages_never_shrink_and_retries_wait():
    agents = [agent(1, "suihua"), agent(2, "harbin", live="talking")]
    result = plan([caller("x", reach=STAGE_NEIGHBOURS)], agents, T0, CONFIG, TOPOLOGY)
    assert result.stages == {"x": STAGE_NEIGHBOURS} and len(result.matches) == 1
    later = caller("y", retry_at_ms=T0 + 1000)
    assert matches([later], [agent(1)]) == []
    assert matches([later], [agent(1)], now=T0 + 1000) == [("y", 1)]


def test_expected_wait_grows_with_the_line_and_shrinks_with_agents():
    assert expected_wait_seconds(0, 360, 1) == 360
    assert expected_wait_seconds(3, 360, 2) == 720
    assert expected_wait_seconds(3, 360, 0) == 1440  # nobody ready: as if one


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["harbin", "suihua", "qiqihar", PROVINCE]),
            st.integers(0, 2),
            st.integers(0, 400),
            st.sampled_from(["consultation", "mediation", "operator"]),
        ),
        max_size=25,
    ),
    st.lists(
        st.tuples(
            st.sampled_from(["harbin", "suihua", "daqing", PROVINCE]),
            st.sampled_from(["idle", "ringing", "talking"]),
            st.booleans(),
            st.sampled_from([ALL, frozenset({"mediation", "1"}), frozenset({"consultation"})]),
        ),
        max_size=15,
    ),
)
def test_a_plan_never_double_books_and_only_offers_free_skilled_agents_in_reach(
    raw_callers, raw_agents
):
    callers = [
        caller(f"c{i}", region, cls, waited, service=service, group="1")
        for i, (region, cls, waited, service) in enumerate(raw_callers)
    ]
    agents = [
        agent(i, region, live=live, paused=paused, skills=skills)
        for i, (region, live, paused, skills) in enumerate(raw_agents)
    ]
    result = plan(callers, agents, T0, CONFIG, TOPOLOGY)
    chosen_agents = [m.agent_id for m in result.matches]
    chosen_callers = [m.call_sid for m in result.matches]
    assert len(set(chosen_agents)) == len(chosen_agents)
    assert len(set(chosen_callers)) == len(chosen_callers)
    by_id = {a.agent_id: a for a in agents}
    by_sid = {c.call_sid: c for c in callers}
    for match in result.matches:
        chosen, who = by_id[match.agent_id], by_sid[match.call_sid]
        assert chosen.free and skilled(chosen.skills, who.service, who.group)
        if who.region != PROVINCE and match.stage < STAGE_ALL:
            assert chosen.region in reach_of(who.region, match.stage)
    # Nobody left waiting could have been given a free agent that stayed free.
    left_free = [a for a in agents if a.free and a.agent_id not in chosen_agents]
    for waiting in callers:
        if waiting.call_sid in chosen_callers:
            continue
        stage = result.stages[waiting.call_sid]
        for free in left_free:
            if not skilled(free.skills, waiting.service, waiting.group):
                continue
            if waiting.region == PROVINCE or stage >= STAGE_ALL:
                raise AssertionError(f"{waiting} could have had {free}")
            assert free.region not in reach_of(waiting.region, stage), (waiting, free)
