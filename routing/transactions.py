"""Write transactions that cannot fail half-way on SQLite.

The engine begins SQLite transactions deferred: one that reads and then writes fails at once
("database is locked") if another process committed in between, and the busy timeout does not
help. Taking the write lock first (a write that changes nothing) makes the transaction wait for
its turn instead, like BEGIN IMMEDIATE. PostgreSQL needs nothing of the kind.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from hotline.db import write_first

__all__ = ["write_first", "writing"]


def writing(
    get_session: Callable[[], Session],
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a view so its request session takes the write lock before anything else."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            write_first(get_session())
            return view(*args, **kwargs)

        return wrapper

    return decorator
