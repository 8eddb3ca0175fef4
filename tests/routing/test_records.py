"""The database side of routing steps: a late step never undoes a newer one."""

from __future__ import annotations

from hotline import clock
from routing import records
from tests.routing.helpers import add_agent, call_row, queue_call


def test_a_miss_recorded_late_leaves_the_newer_offer_to_another_agent(runtime, db_session):
    missed = add_agent(db_session, "harbin1", "harbin", contact="+8613900000001")
    taker = add_agent(db_session, "harbin2", "harbin", contact="+8613900000002")
    row = queue_call(db_session, runtime.redis, region="harbin", now=clock.now())
    # The first agent's dial failed; before its miss reached the database, the router already
    # offered the caller (back in line in Redis) to the second agent.
    records.mark_offered(db_session, row.call_sid, taker.id, "o2", "harbin", 0, 0, clock.now())
    db_session.commit()

    records.mark_missed(db_session, row, missed.id, "o1", "no-answer", clock.now())
    records.undo_offered(db_session, row, missed.id, "o1", "telephony", clock.now())
    db_session.commit()

    stored = call_row(db_session, row.call_sid)
    assert (stored.stage, stored.agent_id) == ("ringing", taker.id)

    records.mark_missed(db_session, stored, taker.id, "o2", "no-answer", clock.now())
    db_session.commit()
    assert (call_row(db_session, row.call_sid).stage, stored.agent_id) == ("queued", None)
