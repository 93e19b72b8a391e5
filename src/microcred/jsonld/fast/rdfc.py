"""RDF Dataset Canonicalization (RDFC-1.0, W3C Recommendation 2024-05-21) for small
datasets whose terms are already serialised.

A quad is ``(subject, predicate, object, graph)``: an ``int`` is a blank node (numbered
``0 .. blank_count - 1``), a ``str`` is an IRI or literal exactly as it appears in N-Quads
(``<https://...>``, ``"text"@en``), and the graph is ``None`` for the default graph.
The output is the canonical N-Quads document, byte for byte what pyld's ``URDNA2015``
(the same algorithm) writes for the same dataset.

Sections implemented (numbering of the Recommendation):

* 4.4 Canonicalization Algorithm: first-degree hashes for every blank node, canonical
  identifiers (``_:c14n0`` ...) for unique hashes in code point order of the hash, then
  N-degree hashing only for the blank nodes that share a first-degree hash;
* 4.5 Issue Identifier Algorithm (:class:`_Issuer`);
* 4.6 Hash First Degree Quads (``_:a`` for the reference blank node, ``_:z`` for others);
* 4.7 Hash Related Blank Node;
* 4.8 Hash N-Degree Quads (all permutations of related blank nodes sharing a hash);
* the canonical N-Quads serialisation of the relabelled quads, sorted.

Section 4.4 also asks implementations to bound the work spent on poisoned datasets:
more than :data:`MAX_N_DEGREE_STEPS` N-degree steps raise :class:`TooComplexError`, and
the caller canonicalises that dataset with the full path instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from itertools import permutations
from typing import Final, TypeAlias

__all__ = [
    "MAX_N_DEGREE_STEPS",
    "Quad",
    "Term",
    "TooComplexError",
    "blank_quad_index",
    "canonical_line",
    "canonicalize",
    "hash_first_degree",
]

Term: TypeAlias = int | str
Quad: TypeAlias = tuple[Term, str, Term, Term | None]

#: Upper bound on Hash N-Degree Quads calls plus permutations tried, per dataset.
MAX_N_DEGREE_STEPS: Final = 4096

_A: Final = "_:a"
_Z: Final = "_:z"
_CANONICAL_PREFIX: Final = "_:c14n"
_TEMPORARY_PREFIX: Final = "_:b"


class TooComplexError(Exception):
    """The dataset needs more N-degree hashing than this implementation will spend."""


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _line(s: str, p: str, o: str, g: str | None) -> str:
    if g is None:
        return f"{s} {p} {o} .\n"
    return f"{s} {p} {o} {g} .\n"


def canonical_line(quad: Quad, labels: Sequence[str]) -> str:
    """The N-Quads line of ``quad`` with blank node ``n`` written ``labels[n]``."""
    s, p, o, g = quad
    if s.__class__ is int:
        s = labels[s]
    if o.__class__ is int:
        o = labels[o]
    if g is None:
        return f"{s} {p} {o} .\n"
    if g.__class__ is int:
        g = labels[g]
    return f"{s} {p} {o} {g} .\n"


def blank_quad_index(quads: Sequence[Quad], blank_count: int) -> list[list[int]]:
    """For each blank node, the indexes of the quads it occurs in (the blank node to
    quads map of section 4.4, step 2). A quad is listed once per occurrence of the
    blank node in it, as pyld does (it matters only for a blank node related to itself).
    """
    index: list[list[int]] = [[] for _ in range(blank_count)]
    for position, (s, _p, o, g) in enumerate(quads):
        if s.__class__ is int:
            index[s].append(position)
        if o.__class__ is int:
            index[o].append(position)
        if g is not None and g.__class__ is int:
            index[g].append(position)
    return index


def hash_first_degree(quads: Sequence[Quad], positions: Iterable[int], node: int) -> str:
    """Section 4.6 (Hash First Degree Quads) of blank node ``node``, whose quads are at
    ``positions`` (its entry of :func:`blank_quad_index`): a pure function of those quads.
    """
    lines = []
    for position in positions:
        s, p, o, g = quads[position]
        if s.__class__ is int:
            s = _A if s == node else _Z
        if o.__class__ is int:
            o = _A if o == node else _Z
        if g is None:
            lines.append(f"{s} {p} {o} .\n")
        else:
            if g.__class__ is int:
                g = _A if g == node else _Z
            lines.append(f"{s} {p} {o} {g} .\n")
    lines.sort()
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


class _Issuer:
    """Section 4.5: issues ``prefix + counter`` once per blank node, remembering order."""

    __slots__ = ("issued", "prefix")

    def __init__(self, prefix: str, issued: dict[int, str] | None = None) -> None:
        self.prefix = prefix
        self.issued: dict[int, str] = {} if issued is None else issued

    def issue(self, node: int) -> str:
        label = self.issued.get(node)
        if label is None:
            label = self.prefix + str(len(self.issued))
            self.issued[node] = label
        return label

    def copy(self) -> _Issuer:
        return _Issuer(self.prefix, dict(self.issued))


class _State:
    """Section 4.2 canonicalization state for one dataset."""

    __slots__ = ("blank_quads", "canonical", "first_degree", "quads", "steps")

    def __init__(self, quads: Sequence[Quad], blank_quads: Sequence[Sequence[int]]) -> None:
        self.quads = quads
        self.blank_quads = blank_quads
        self.canonical = _Issuer(_CANONICAL_PREFIX)
        self.first_degree: list[str] = []
        self.steps = 0

    # 4.6 Hash First Degree Quads
    def hash_first_degree(self, node: int) -> str:
        return hash_first_degree(self.quads, self.blank_quads[node], node)

    # 4.7 Hash Related Blank Node
    def hash_related(self, related: int, predicate: str, issuer: _Issuer, position: str) -> str:
        label = self.canonical.issued.get(related)
        if label is None:
            label = issuer.issued.get(related)
        if label is None:
            label = self.first_degree[related]
        if position == "g":
            return _sha256_hex(position + label)
        return _sha256_hex(position + predicate + label)

    def _count_step(self) -> None:
        self.steps += 1
        if self.steps > MAX_N_DEGREE_STEPS:
            raise TooComplexError("RDFC-1.0 N-degree hashing exceeded its work limit")

    # 4.8 Hash N-Degree Quads
    def hash_n_degree(self, node: int, issuer: _Issuer) -> tuple[str, _Issuer]:
        self._count_step()
        related_by_hash: dict[str, list[int]] = {}
        for position in self.blank_quads[node]:
            s, p, o, g = self.quads[position]
            for component, where in ((s, "s"), (o, "o"), (g, "g")):
                if component.__class__ is int and component != node:
                    digest = self.hash_related(component, p, issuer, where)
                    related_by_hash.setdefault(digest, []).append(component)
        data = hashlib.sha256()
        for related_hash in sorted(related_by_hash):
            nodes = related_by_hash[related_hash]
            candidates: Iterable[Sequence[int]]
            if len(set(nodes)) == len(nodes):
                candidates = permutations(nodes)
            elif len(set(nodes)) == 1:
                # One blank node related several times the same way (a graph name seen
                # from each of its statements): its permutations are all the same one.
                candidates = (nodes,)
            else:
                # Repeats among several candidates (a blank node in several named
                # graphs): leave such datasets to the reference implementation.
                raise TooComplexError("related blank nodes repeat within one hash")
            data.update(related_hash.encode("utf-8"))
            chosen_path = ""
            chosen_issuer: _Issuer | None = None
            for permutation in candidates:
                self._count_step()
                issuer_copy = issuer.copy()
                path = ""
                recursion: list[int] = []
                skip = False
                for related in permutation:
                    label = self.canonical.issued.get(related)
                    if label is not None:
                        path += label
                    else:
                        if related not in issuer_copy.issued:
                            recursion.append(related)
                        path += issuer_copy.issue(related)
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                for related in recursion:
                    result_hash, result_issuer = self.hash_n_degree(related, issuer_copy)
                    path += issuer_copy.issue(related)
                    path += "<" + result_hash + ">"
                    issuer_copy = result_issuer
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                if not chosen_path or path < chosen_path:
                    chosen_path = path
                    chosen_issuer = issuer_copy
            data.update(chosen_path.encode("utf-8"))
            if chosen_issuer is not None:
                issuer = chosen_issuer
        return data.hexdigest(), issuer


def canonicalize(
    quads: Sequence[Quad],
    blank_count: int,
    blank_quads: Sequence[Sequence[int]] | None = None,
) -> str:
    """Canonical N-Quads of ``quads`` (section 4.4), sorted in code point order.

    ``blank_quads`` may pass a precomputed :func:`blank_quad_index`. A repeated quad is
    hashed and written twice, as pyld does with the datasets its RDF conversion gives.
    Raises :class:`TooComplexError` past the work limit.
    """
    if blank_count == 0:
        lines = [_line(*quad) for quad in quads]  # type: ignore[arg-type]
        lines.sort()
        return "".join(lines)
    if blank_quads is None:
        blank_quads = blank_quad_index(quads, blank_count)
    state = _State(quads, blank_quads)
    first = [state.hash_first_degree(node) for node in range(blank_count)]
    state.first_degree = first
    by_hash: dict[str, list[int]] = {}
    for node, digest in enumerate(first):
        by_hash.setdefault(digest, []).append(node)
    ordered = sorted(by_hash)
    shared: list[list[int]] = []
    for digest in ordered:
        nodes = by_hash[digest]
        if len(nodes) == 1:
            state.canonical.issue(nodes[0])
        else:
            shared.append(nodes)
    for nodes in shared:
        results: list[tuple[str, _Issuer]] = []
        for node in nodes:
            if node in state.canonical.issued:
                continue
            issuer = _Issuer(_TEMPORARY_PREFIX)
            issuer.issue(node)
            results.append(state.hash_n_degree(node, issuer))
        results.sort(key=lambda result: result[0])
        for _digest, issuer in results:
            for existing in issuer.issued:
                state.canonical.issue(existing)
    labels = state.canonical.issued
    out = []
    for s, p, o, g in quads:
        if s.__class__ is int:
            s = labels[s]
        if o.__class__ is int:
            o = labels[o]
        if g is None:
            out.append(f"{s} {p} {o} .\n")
        else:
            if g.__class__ is int:
                g = labels[g]
            out.append(f"{s} {p} {o} {g} .\n")
    out.sort()
    return "".join(out)
