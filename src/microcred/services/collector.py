"""Fewer cyclic garbage collections while a bulk job runs.

A bulk chunk allocates hundreds of thousands of small, acyclic objects (parsed and signed
JSON documents, RDF terms) that reference counting frees; Python's cyclic collector still
runs every 700 net allocations and, in its older generations, walks every long-lived object
of the process (bundled contexts, compiled shapes). Measured in round 7 of
``docs/performance.md``: 25–40 % of a bulk worker's CPU. Inside :func:`bulk_collection` the
first generation's threshold is raised (cycles are still collected, just in larger steps);
outside it the process's own thresholds apply again.

::

    with bulk_collection():
        run the chunks
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

__all__ = ["BULK_THRESHOLDS", "bulk_collection"]

#: (generation 0, 1, 2) thresholds while a bulk job runs
BULK_THRESHOLDS: Final = (50_000, 20, 100)

_lock = threading.Lock()
_depth = 0
_saved: tuple[int, int, int] | None = None


@contextmanager
def bulk_collection() -> Iterator[None]:
    """Raise the collector's thresholds for the block (nested and concurrent blocks share
    one raise: the last to leave restores the thresholds found by the first)."""
    global _depth, _saved
    with _lock:
        if _depth == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(*BULK_THRESHOLDS)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None
