"""The Redis keys of the live routing state (all under the `hotline:` prefix).

hotline:routing:built          string  set when the state was last rebuilt from the database
hotline:routing:rebuild-lock   string  held by the one process rebuilding
hotline:routing:events         list    wake-up events for the routers (LPUSH, BLPOP)
hotline:routing:queues         set     region codes that have a queue key
hotline:routing:agents         set     agent ids that have a state hash
hotline:routing:offers         zset    open offers by deadline (accepted offers leave it)
hotline:routing:wrapping       zset    agents in wrap-up by the time it ends
hotline:routing:handle-times   list    recent talk + wrap-up seconds, newest first
hotline:queue:{region}         zset    waiting callers (CallSid) by score: class, then wait
hotline:caller:{CallSid}       hash    a caller in routing: what they need, state, offer
hotline:agent:{id}             hash    an agent's status, pause and live state
hotline:offer:{id}             hash    a caller offered to an agent: who, when, accepted
"""

from __future__ import annotations

PREFIX = "hotline:"
BUILT = PREFIX + "routing:built"
REBUILD_LOCK = PREFIX + "routing:rebuild-lock"
EVENTS = PREFIX + "routing:events"
QUEUES = PREFIX + "routing:queues"
AGENTS = PREFIX + "routing:agents"
OFFERS = PREFIX + "routing:offers"
WRAPPING = PREFIX + "routing:wrapping"
HANDLE_TIMES = PREFIX + "routing:handle-times"

# Everything a rebuild replaces (the events list and the lock stay).
STATE_PATTERNS = (
    PREFIX + "queue:*",
    PREFIX + "caller:*",
    PREFIX + "agent:*",
    PREFIX + "offer:*",
)
STATE_KEYS = (QUEUES, AGENTS, OFFERS, WRAPPING, HANDLE_TIMES)


def queue(region: str) -> str:
    """The waiting callers of a region (or of the province pool)."""
    return f"{PREFIX}queue:{region}"


def caller(call_sid: str) -> str:
    """A caller's routing state."""
    return f"{PREFIX}caller:{call_sid}"


def agent(agent_id: int | str) -> str:
    """An agent's live state."""
    return f"{PREFIX}agent:{agent_id}"


def offer(offer_id: str) -> str:
    """One offer of a caller to an agent."""
    return f"{PREFIX}offer:{offer_id}"
