"""The Lua scripts of the live routing state (routing/lua/*.lua), registered with redis-py.

Each script runs alone on the Redis server, so a multi-key change is atomic. Every script
starts with prelude.lua (key names, the queue score, shared steps); redis-py's Script sends
EVALSHA and loads the script again when the server lost it (after a restart).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import redis
from redis.commands.core import Script

LUA_DIR = Path(__file__).with_name("lua")

_registered: dict[str, Script] = {}


@functools.cache
def source(name: str) -> str:
    """The full text of a script: the prelude, then routing/lua/<name>.lua."""
    prelude = (LUA_DIR / "prelude.lua").read_text(encoding="utf-8")
    return prelude + (LUA_DIR / f"{name}.lua").read_text(encoding="utf-8")


def script(client: redis.Redis, name: str) -> Script:
    """The registered script `name` (registered once per process; run it on any client)."""
    found = _registered.get(name)
    if found is None:
        found = _registered.setdefault(name, client.register_script(source(name)))
    return found


def run(
    client: Any, name: str, keys: list[str] | None = None, args: list[Any] | None = None
) -> Any:
    """Run a script on a client or pipeline with these KEYS and ARGV."""
    return script(client, name)(keys=keys or [], args=args or [], client=client)
