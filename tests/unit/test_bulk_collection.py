"""bulk_collection: the collector's thresholds raised for a bulk job, restored after it."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from microcred.services.collector import BULK_THRESHOLDS, bulk_collection


@pytest.fixture(autouse=True)
def _own_thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def test_raised_inside_and_restored_after() -> None:
    with bulk_collection():
        assert gc.get_threshold() == BULK_THRESHOLDS
    assert gc.get_threshold() == (700, 10, 10)


def test_restored_when_the_block_raises() -> None:
    with pytest.raises(RuntimeError), bulk_collection():
        raise RuntimeError("chunk failed")
    assert gc.get_threshold() == (700, 10, 10)


def test_nested_blocks_restore_once_at_the_outermost() -> None:
    with bulk_collection():
        with bulk_collection():
            assert gc.get_threshold() == BULK_THRESHOLDS
        assert gc.get_threshold() == BULK_THRESHOLDS  # the outer job still runs
    assert gc.get_threshold() == (700, 10, 10)


def test_overlapping_jobs_in_two_threads() -> None:
    first_in, second_out = threading.Event(), threading.Event()
    seen: list[tuple[int, int, int]] = []

    def first() -> None:
        with bulk_collection():
            first_in.set()
            second_out.wait(10)
            seen.append(gc.get_threshold())  # the second job left; this one still runs

    thread = threading.Thread(target=first)
    thread.start()
    assert first_in.wait(10)
    with bulk_collection():
        pass
    second_out.set()
    thread.join(10)
    assert seen == [BULK_THRESHOLDS]
    assert gc.get_threshold() == (700, 10, 10)


def test_cycles_are_still_collected_inside() -> None:
    class Node:
        other: object = None

    with bulk_collection():
        a, b = Node(), Node()
        a.other, b.other = b, a
        del a, b
        assert gc.collect() >= 2
