"""The compiled shape's reuse of the last document (``CompiledShape.canonical``).

Bulk issuance canonicalises runs of documents that differ from each other in a few values.
Each step here changes a few leaves of the previous document (to values of other leaves,
so statements become equal and merge or stop merging, and blank nodes' first-degree hashes
tie and untie) and checks that the shape's incremental answer is its answer computed from
nothing and the full path's answer.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fast_testkit import (
    assert_same,
    bundled_loader,
    composed_credential,
    inline_credential,
    ob_credential,
    strings,
    valid_iris,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microcred.jsonld.fast import FastCanonizer
from microcred.jsonld.fast.shape import CompiledShape, walk

LOADER = bundled_loader()
SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TEMPLATES = {
    "composed": composed_credential(),
    "ob": ob_credential(),
    "inline": inline_credential(),
}


def _leaf_slots(document: Any) -> list[tuple[Any, Any]]:
    """(container, key) of every leaf, in :func:`walk` order."""
    out: list[tuple[Any, Any]] = []

    def visit(node: Any) -> None:
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            if key == "@context" and isinstance(node, dict):
                continue
            if isinstance(value, dict | list):
                visit(value)
            elif isinstance(value, str | int | float) and not isinstance(value, bool):
                out.append((node, key))

    visit(document)
    return out


def _shape_of(fast: FastCanonizer, document: Any) -> CompiledShape:
    skeleton, leaves = walk(document)
    family = fast._families[skeleton]
    for variant in family.variants:
        shape = variant.shapes.get(tuple([leaves[i] for i in variant.structural]))
        if shape is not None:
            return shape
    raise AssertionError("no compiled shape for the document")


def _free_leaves(template: Any) -> list[int]:
    fast = FastCanonizer(LOADER, compile_after=1)
    fast(copy.deepcopy(template), LOADER)
    return sorted({leaf for _term, leaf, _kind, _payload in _shape_of(fast, template).plan})


FREE = {name: _free_leaves(template) for name, template in TEMPLATES.items()}


@st.composite
def runs(draw: Any) -> tuple[str, list[list[tuple[int, Any]]]]:
    """A template and a few steps, each a few (leaf position, new value) changes."""
    name = draw(st.sampled_from(sorted(TEMPLATES)))
    leaves = walk(TEMPLATES[name])[1]
    free = FREE[name]
    steps = []
    for _ in range(draw(st.integers(2, 6))):
        changes = []
        for _ in range(draw(st.integers(1, 4))):
            # mostly free leaves (the same shape), sometimes any (another shape)
            if draw(st.integers(0, 3)):
                position = draw(st.sampled_from(free))
            else:
                position = draw(st.integers(0, len(leaves) - 1))
            old = leaves[position]
            if isinstance(old, str):
                same_type = [v for v in leaves if isinstance(v, str)]
                value: Any = draw(
                    st.one_of(st.sampled_from(same_type), valid_iris, strings, st.text(max_size=8))
                )
            elif isinstance(old, int):
                value = draw(st.integers(-3, 3) | st.sampled_from([old, 2**70]))
            else:
                value = draw(st.sampled_from([0.0, -0.0, 1.5, old, 1e21]))
            changes.append((position, value))
        steps.append(changes)
    return name, steps


@SETTINGS
@given(runs())
def test_incremental_equals_fresh_and_full_path(run: tuple[str, list[Any]]) -> None:
    name, steps = run
    fast = FastCanonizer(LOADER, compile_after=1)
    document = copy.deepcopy(TEMPLATES[name])
    assert_same(fast, document, LOADER)
    for changes in steps:
        document = copy.deepcopy(document)
        slots = _leaf_slots(document)
        for position, value in changes:
            container, key = slots[position]
            container[key] = value
        assert_same(fast, document, LOADER)
        try:
            shape = _shape_of(fast, document)
        except (AssertionError, KeyError):
            continue  # took the full path (another shape, or a value it cannot vouch for)
        leaves = walk(document)[1]
        try:
            incremental = shape.canonical(leaves)
        except UnicodeEncodeError:  # a lone surrogate: the canonizer answered by the full path
            with pytest.raises(UnicodeEncodeError):
                shape.canonical_fresh(leaves)
            continue
        assert incremental == shape.canonical_fresh(leaves)


def test_tied_blank_nodes_then_untied() -> None:
    """Two learning outcomes made identical need the N-degree steps; made different again,
    the first-degree labels return (both through the remembered document)."""
    fast = FastCanonizer(LOADER, compile_after=1)
    document = copy.deepcopy(TEMPLATES["composed"])
    assert_same(fast, document, LOADER)
    outcomes = document["credentialSubject"]["achievement"]["euStandardElements"]["learningOutcome"]
    assert len(outcomes) >= 2
    tied = copy.deepcopy(document)
    tied_outcomes = tied["credentialSubject"]["achievement"]["euStandardElements"][
        "learningOutcome"
    ]
    tied_outcomes[1] = copy.deepcopy(tied_outcomes[0])
    untied = copy.deepcopy(tied)
    untied["credentialSubject"]["achievement"]["euStandardElements"]["learningOutcome"][1][
        "title"
    ] = "Something else entirely"
    for step in (tied, untied, tied, document):
        assert_same(fast, step, LOADER)
        leaves = walk(step)[1]
        shape = _shape_of(fast, step)
        assert shape.canonical(leaves) == shape.canonical_fresh(leaves)
    assert fast.stats.full == 0, fast.stats.to_json()


def test_unchanged_document_and_caller_mutation() -> None:
    """The same leaves twice give the same answer; changing the caller's leaf list after
    a call does not change what the shape remembers."""
    fast = FastCanonizer(LOADER, compile_after=1)
    document = copy.deepcopy(TEMPLATES["ob"])
    first = fast(document, LOADER)
    shape = _shape_of(fast, document)
    leaves = walk(document)[1]
    assert shape.canonical(leaves) == first
    assert shape.canonical(leaves) == first
    free = shape.plan[0][1]
    leaves[free] = "https://example.org/changed" if isinstance(leaves[free], str) else 7
    assert shape.canonical(walk(document)[1]) == first


def test_repeated_statements_merge_and_stop_merging() -> None:
    """The credential's image and the achievement's image are one node written twice (its
    statements merge); a different caption on one of them keeps both captions, and the
    same caption again merges them (each step through the remembered document)."""
    fast = FastCanonizer(LOADER, compile_after=1)
    document = copy.deepcopy(TEMPLATES["composed"])
    assert document["image"] == document["credentialSubject"]["achievement"]["image"]
    assert_same(fast, document, LOADER)
    apart = copy.deepcopy(document)
    apart["image"]["caption"] = "Another caption"
    for step in (apart, document, apart, apart):
        assert_same(fast, step, LOADER)
        leaves = walk(step)[1]
        shape = _shape_of(fast, step)
        assert shape.canonical(leaves) == shape.canonical_fresh(leaves)
    assert fast.stats.full == 0, fast.stats.to_json()
