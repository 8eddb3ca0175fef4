"""The Runtime the jobs of this process use (built from the environment, or set by tests)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from hotline.runtime import Runtime
from hotline.settings import load_settings

_runtime: Runtime | None = None


def job_runtime() -> Runtime:
    """The Runtime jobs use: built from the environment once per worker process."""
    global _runtime
    if _runtime is None:
        _runtime = Runtime(load_settings())
    return _runtime


@contextmanager
def using_runtime(rt: Runtime) -> Iterator[Runtime]:
    """Run jobs of this process against a given Runtime (tests, in-process workers)."""
    global _runtime
    previous, _runtime = _runtime, rt
    try:
        yield rt
    finally:
        _runtime = previous
