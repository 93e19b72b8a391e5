"""The native RDFC-1.0 against pyld's URDNA2015 on random datasets, blank-node heavy."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyld.canon import URDNA2015

from microcred.jsonld.fast.rdfc import (
    MAX_N_DEGREE_STEPS,
    TooComplexError,
    blank_quad_index,
    canonicalize,
)
from microcred.jsonld.fast.terms import XSD_STRING, literal_term

PREDICATES = ["http://ex.org/p", "http://ex.org/q", "http://ex.org/r"]
IRIS = ["http://ex.org/a", "urn:x:b", "did:example:c"]
LITERALS = [
    ("x", None, None),
    ("x", None, "en"),
    ('q"uo\\te\n', None, None),
    ("5", "http://www.w3.org/2001/XMLSchema#integer", None),
]


def _pyld_term(term: Any, blank_label: str) -> dict[str, Any]:
    kind, value = term
    if kind == "b":
        return {"type": "blank node", "value": f"{blank_label}{value}"}
    if kind == "i":
        return {"type": "IRI", "value": value}
    text, datatype, language = value
    out = {"type": "literal", "value": text, "datatype": datatype or XSD_STRING}
    if language is not None:
        out["datatype"] = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
        out["language"] = language
    return out


def _ours(term: Any) -> Any:
    kind, value = term
    if kind == "b":
        return value
    if kind == "i":
        return f"<{value}>"
    return literal_term(*value)


def pyld_canonical(quads: list[tuple[Any, str, Any, Any]], label: str = "_:n") -> str:
    dataset: dict[str, list[dict[str, Any]]] = {}
    for s, p, o, g in quads:
        name = "@default" if g is None else _pyld_term(g, label)["value"]
        triple = {
            "subject": _pyld_term(s, label),
            "predicate": {"type": "IRI", "value": p},
            "object": _pyld_term(o, label),
        }
        dataset.setdefault(name, []).append(triple)
    return URDNA2015().main(copy.deepcopy(dataset), {"format": "application/n-quads"})


def native_canonical(quads: list[tuple[Any, str, Any, Any]], blank_count: int) -> str:
    ours = [(_ours(s), f"<{p}>", _ours(o), None if g is None else _ours(g)) for s, p, o, g in quads]
    return canonicalize(ours, blank_count)


def blank(n: int) -> st.SearchStrategy[Any]:
    return st.integers(0, n - 1).map(lambda i: ("b", i))


@st.composite
def datasets(draw: Any, graphs: bool = False) -> tuple[list[Any], int]:
    n = draw(st.integers(1, 7))
    node = st.one_of(blank(n), blank(n), st.sampled_from(IRIS).map(lambda v: ("i", v)))
    obj = st.one_of(node, st.sampled_from(LITERALS).map(lambda v: ("l", v)))
    graph = (
        st.one_of(st.none(), st.sampled_from(IRIS).map(lambda v: ("i", v)), blank(n))
        if graphs
        else st.none()
    )
    raw = draw(
        st.lists(st.tuples(node, st.sampled_from(PREDICATES), obj, graph), min_size=1, max_size=14)
    )
    unique = list(dict.fromkeys(raw))
    used = sorted(
        {t[1] for q in unique for t in (q[0], q[2], q[3]) if t is not None and t[0] == "b"}
    )
    renumber = {old: new for new, old in enumerate(used)}

    def fix(t: Any) -> Any:
        if t is not None and t[0] == "b":
            return ("b", renumber[t[1]])
        return t

    return [(fix(s), p, fix(o), fix(g)) for s, p, o, g in unique], len(used)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets())
def test_default_graph_matches_pyld(data: tuple[list[Any], int]) -> None:
    quads, count = data
    try:
        ours = native_canonical(quads, count)
    except TooComplexError:
        return
    assert ours == pyld_canonical(quads)
    # independent of the input labels
    assert ours == pyld_canonical(quads, label="_:zz")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets(graphs=True))
def test_named_graphs_match_pyld(data: tuple[list[Any], int]) -> None:
    quads, count = data
    try:
        ours = native_canonical(quads, count)
    except TooComplexError:
        return
    assert ours == pyld_canonical(quads)


def _ring(size: int) -> list[Any]:
    p = "http://ex.org/p"
    return [(("b", i), p, ("b", (i + 1) % size), None) for i in range(size)]


@pytest.mark.parametrize("size", [2, 3, 5, 8])
def test_symmetric_rings_need_n_degree_hashing(size: int) -> None:
    quads = _ring(size)
    assert native_canonical(quads, size) == pyld_canonical(quads)


def test_two_disjoint_identical_triangles() -> None:
    quads = _ring(3) + [
        (("b", i + 3), "http://ex.org/p", ("b", (i + 1) % 3 + 3), None) for i in range(3)
    ]
    assert native_canonical(quads, 6) == pyld_canonical(quads)


def test_no_blank_nodes_sorts_lines() -> None:
    quads = [("<urn:b>", "<urn:p>", '"2"', None), ("<urn:a>", "<urn:p>", '"1"', None)]
    assert canonicalize(quads, 0) == '<urn:a> <urn:p> "1" .\n<urn:b> <urn:p> "2" .\n'


def test_work_limit_raises() -> None:
    # Two identical blank stars of 7 indistinguishable leaves: 7! permutations each.
    leaves = 7
    quads: list[Any] = []
    for star in range(2):
        centre = star * (leaves + 1)
        for leaf in range(centre + 1, centre + 1 + leaves):
            quads += [(centre, "<urn:p>", leaf, None), (leaf, "<urn:q>", "<urn:o>", None)]
    with pytest.raises(TooComplexError):
        canonicalize(quads, 2 * (leaves + 1))
    assert MAX_N_DEGREE_STEPS < 5040


def test_blank_quad_index_lists_each_occurrence() -> None:
    quads = [(0, "<urn:p>", 0, None), (0, "<urn:p>", 1, None)]
    assert blank_quad_index(quads, 2) == [[0, 0, 1], [1]]
