"""Shapes: what credentials of one definition have in common, and the compiled program
that turns the values of one such credential into its canonical N-Quads.

:func:`walk` reads a JSON document once and returns

* the *skeleton*: every key in document order, the JSON type of every value, array
  lengths, ``true``/``false``/``null`` themselves and every ``@context`` value verbatim;
* the *leaves*: every string and number outside ``@context``, in the same order.

Two documents with the same skeleton are expanded by JSON-LD (same contexts, same keys,
same nesting) in the same way, except where the expansion looks at leaf values. The
compiler (:mod:`microcred.jsonld.fast.compiler`) finds out which leaves those are —
``@type`` values, values of ``@vocab``-typed terms, anything it cannot follow — and
makes them *structural*: their values are part of the cache key. Every other leaf is
*free*: a string or number copied into a literal, or an identifier copied into an IRI.

A :class:`CompiledShape` holds the RDF quads of the shape with holes for the free leaves.
:meth:`CompiledShape.render` fills them (escaping literals, checking identifiers), then
:func:`~microcred.jsonld.fast.rdfc.canonicalize` labels the blank nodes. It returns
``None`` whenever the values leave the ground the compiler proved (an identifier that is
not a plain absolute IRI, two statements that would collapse into one): the caller then
runs the full path.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeAlias

from microcred.jsonld.fast.rdfc import (
    Quad,
    Term,
    blank_quad_index,
    canonical_line,
    canonicalize,
    hash_first_degree,
)
from microcred.jsonld.fast.terms import escape_literal, iri_unchanged, literal_term

__all__ = [
    "MAX_DEPTH",
    "CompiledShape",
    "Leaf",
    "Skeleton",
    "Slot",
    "WalkError",
    "walk",
]

#: Nesting beyond this is left to the full path (which has its own, higher limit).
MAX_DEPTH: Final = 48

Leaf: TypeAlias = str | int | float
Skeleton: TypeAlias = tuple[Any, ...]

# Skeleton tokens. Keys are strings, so markers are small ints (never equal to a key).
_OPEN: Final = 0
_CLOSE: Final = 1
_LIST: Final = 2
_END_LIST: Final = 3
_STR: Final = 4
_INT: Final = 5
_FLOAT: Final = 6
_TRUE: Final = 7
_FALSE: Final = 8
_NULL: Final = 9

#: Slot kinds: a string copied into a literal with a fixed suffix; an identifier copied
#: into an IRI; any other literal (numbers, ``xsd:double`` strings) converted as pyld does.
SLOT_STRING: Final = 0
SLOT_IRI: Final = 1
SLOT_LITERAL: Final = 2


def _collision_kind(terms: Sequence[Term | None], part: int | None) -> Any:
    if part is None:
        return None
    term = terms[part]
    return term if term.__class__ is int else "text"


def _blank_or_text(term: Term | None) -> Term:
    return "" if term is None else term


class WalkError(Exception):
    """The document is not plain JSON the fast path handles (the full path decides)."""


def walk(document: Any) -> tuple[Skeleton, list[Leaf]]:
    """The skeleton (hashable) and the leaves of ``document``."""
    if document.__class__ is not dict:
        raise WalkError("the fast path takes a JSON object")
    tokens: list[Any] = []
    leaves: list[Leaf] = []
    _walk(document, tokens.append, leaves.append, 1)
    return tuple(tokens), leaves


def _walk(node: Any, append: Any, leaf: Any, depth: int) -> None:
    """Append the tokens of a dict or list (strings inline: they are most values)."""
    if depth > MAX_DEPTH:
        raise WalkError("nested too deeply")
    if node.__class__ is dict:
        append(_OPEN)
        for key, value in node.items():
            if key.__class__ is not str:
                raise WalkError("a key is not a string")
            append(key)
            cls = value.__class__
            if key == "@context":
                append(freeze_context(value, depth + 1))
            elif cls is str:
                append(_STR)
                leaf(value)
            elif cls is dict or cls is list:
                _walk(value, append, leaf, depth + 1)
            else:
                _scalar(value, cls, append, leaf)
        append(_CLOSE)
    else:
        append(_LIST)
        for value in node:
            cls = value.__class__
            if cls is str:
                append(_STR)
                leaf(value)
            elif cls is dict or cls is list:
                _walk(value, append, leaf, depth + 1)
            else:
                _scalar(value, cls, append, leaf)
        append(_END_LIST)


def _scalar(value: Any, cls: type, append: Any, leaf: Any) -> None:
    if cls is bool:
        append(_TRUE if value else _FALSE)
    elif cls is int:
        append(_INT)
        leaf(value)
    elif cls is float:
        if not math.isfinite(value):
            raise WalkError("a number is not finite")
        append(_FLOAT)
        leaf(value)
    elif value is None:
        append(_NULL)
    else:
        raise WalkError(f"not a JSON value: {cls.__name__}")


def freeze_context(value: Any, depth: int) -> Any:
    """A hashable, exact stand-in for an ``@context`` value."""
    cls = value.__class__
    if cls is str:
        return value
    if cls is list and all(item.__class__ is str for item in value):
        return tuple(value)
    _check_json(value, depth)
    return ("json", json.dumps(value, ensure_ascii=False, allow_nan=False))


def _check_json(value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise WalkError("nested too deeply")
    cls = value.__class__
    if cls is dict:
        for key, item in value.items():
            if key.__class__ is not str:
                raise WalkError("a key is not a string")
            _check_json(item, depth + 1)
    elif cls is list:
        for item in value:
            _check_json(item, depth + 1)
    elif cls is float:
        if not math.isfinite(value):
            raise WalkError("a number is not finite")
    elif not (cls is str or cls is int or cls is bool or value is None):
        raise WalkError(f"not a JSON value: {cls.__name__}")


@dataclass(frozen=True)
class Slot:
    """A hole in the term table filled from one free leaf."""

    term: int
    leaf: int
    kind: int
    #: SLOT_STRING: the literal suffix; SLOT_IRI: prefixes of the active context;
    #: SLOT_LITERAL: (datatype, language)
    payload: Any


QuadTemplate: TypeAlias = tuple[int, str, int, int | None]


@dataclass(frozen=True, eq=False)
class CompiledShape:
    """The RDF of one shape, with holes for the free leaves."""

    #: leaf indexes whose values are part of the cache key
    structural: tuple[int, ...]
    #: constant terms (str), blank nodes (int) and ``None`` where a slot goes
    terms: tuple[Term | None, ...]
    slots: tuple[Slot, ...]
    #: (subject term, predicate, object term, graph term or None)
    quads: tuple[QuadTemplate, ...]
    blank_count: int
    #: groups of quad indexes that could render to the same statement
    collision_groups: tuple[tuple[int, ...], ...]
    blank_quads: tuple[tuple[int, ...], ...]
    #: per quad, how JSON-LD compares its object when the node map merges duplicates:
    #: ``None`` (the object term itself), ``("lit", datatype, language, value)`` or
    #: ``("slot", leaf, datatype, language)``
    object_keys: tuple[Any, ...]
    #: the slots as plain tuples (term, leaf, kind, payload), for the hot loop
    plan: tuple[tuple[int, int, int, Any], ...]
    #: per entry of ``plan``, the positions of the quads its term is in
    _slot_quads: tuple[tuple[int, ...], ...] = field(default=(), repr=False)
    #: per quad, the index of its collision group (-1: none)
    _quad_group: tuple[int, ...] = field(default=(), repr=False)
    #: the last document's :class:`_Memo` from the second document on (False: one seen);
    #: one cell, replaced whole: safe under threads
    _memo: list[_Memo | Literal[False] | None] = field(default_factory=lambda: [None], repr=False)

    @classmethod
    def build(
        cls,
        structural: Sequence[int],
        terms: Sequence[Term | None],
        slots: Sequence[Slot],
        quads: Sequence[QuadTemplate],
        blank_count: int,
        object_keys: Sequence[Any],
    ) -> CompiledShape:
        # Two statements can only render equal when they agree on the predicate and on
        # every blank node; IRIs and literals (constant or filled) might coincide.
        groups: dict[tuple[Any, ...], list[int]] = {}
        for position, (s, p, o, g) in enumerate(quads):
            key = (p, *(_collision_kind(terms, part) for part in (s, o, g)))
            groups.setdefault(key, []).append(position)
        collision = tuple(tuple(members) for members in groups.values() if len(members) > 1)
        placeholder: list[Quad] = [
            (
                _blank_or_text(terms[s]),
                p,
                _blank_or_text(terms[o]),
                None if g is None else _blank_or_text(terms[g]),
            )
            for s, p, o, g in quads
        ]
        index = blank_quad_index(placeholder, blank_count)
        term_quads: dict[int, list[int]] = {}
        for position, (s, _p, o, g) in enumerate(quads):
            for part in {s, o} if g is None else {s, o, g}:
                term_quads.setdefault(part, []).append(position)
        quad_group = [-1] * len(quads)
        for group, members in enumerate(collision):
            for position in members:
                quad_group[position] = group
        return cls(
            structural=tuple(structural),
            terms=tuple(terms),
            slots=tuple(slots),
            quads=tuple(quads),
            blank_count=blank_count,
            collision_groups=collision,
            blank_quads=tuple(tuple(members) for members in index),
            object_keys=tuple(object_keys),
            plan=tuple((slot.term, slot.leaf, slot.kind, slot.payload) for slot in slots),
            _slot_quads=tuple(tuple(term_quads.get(slot.term, ())) for slot in slots),
            _quad_group=tuple(quad_group),
        )

    def key_values(self, leaves: Sequence[Leaf]) -> tuple[Leaf, ...]:
        return tuple([leaves[i] for i in self.structural])

    def render(self, leaves: Sequence[Leaf]) -> list[Quad] | None:
        """The quads for these leaves, or ``None`` when the full path must decide."""
        rendered = self._render_all(leaves)
        if rendered is None:
            return None
        _terms, quads, group_removed = rendered
        removed = frozenset().union(*group_removed)
        if removed:
            return [quad for i, quad in enumerate(quads) if i not in removed]
        return quads

    def _render_all(
        self, leaves: Sequence[Leaf]
    ) -> tuple[list[Any], list[Quad], tuple[frozenset[int], ...]] | None:
        """Every term, every quad (repeats included) and, per collision group, the
        positions JSON-LD's node map merges away; ``None``: the full path decides."""
        terms: list[Any] = list(self.terms)
        for term, leaf, kind, payload in self.plan:
            rendered = _render_slot(leaves[leaf], kind, payload)
            if rendered is None:
                return None
            terms[term] = rendered
        quads: list[Quad] = [
            (terms[s], p, terms[o], None if g is None else terms[g]) for s, p, o, g in self.quads
        ]
        group_removed: list[frozenset[int]] = []
        for members in self.collision_groups:
            removed = self._group_removed(members, quads, leaves)
            if removed is None:
                return None
            group_removed.append(removed)
        return terms, quads, tuple(group_removed)

    def _group_removed(
        self, members: Sequence[int], quads: Sequence[Quad], leaves: Sequence[Leaf]
    ) -> frozenset[int] | None:
        seen: dict[Quad, int] = {}
        removed: set[int] = set()
        for position in members:
            quad = quads[position]
            first = seen.get(quad)
            if first is None:
                seen[quad] = position
                continue
            # JSON-LD's node map keeps one copy of a repeated value (the same node
            # embedded twice); two different values written alike stay two statements
            # in pyld's output: leave that to the full path.
            if self._object_key(first, quad, leaves) != self._object_key(position, quad, leaves):
                return None
            removed.add(position)
        return frozenset(removed)

    def _object_key(self, position: int, quad: Quad, leaves: Sequence[Leaf]) -> Any:
        spec = self.object_keys[position]
        if spec is None:
            return quad[2]
        if spec[0] == "slot":
            return ("lit", spec[2], spec[3], leaves[spec[1]])
        return spec

    def canonical_fresh(self, leaves: Sequence[Leaf]) -> str | None:
        """:meth:`canonical` computed from nothing (no reuse of an earlier document)."""
        quads = self.render(leaves)
        if quads is None:
            return None
        if len(quads) != len(self.quads):  # repeated statements were merged
            return canonicalize(quads, self.blank_count)
        return canonicalize(quads, self.blank_count, self.blank_quads)

    def canonical(self, leaves: Sequence[Leaf]) -> str | None:
        """Canonical N-Quads for these leaves, or ``None`` (full path).

        Documents of one shape mostly repeat each other's values (credentials of one
        definition differ in a few). The shape remembers what it computed for the last
        document (:class:`_Memo`) and recomputes only what depends on a leaf whose value
        differs from that document's: the terms of those slots, their statements, the
        collision groups they are in, the first-degree hashes (RDFC-1.0 section 4.6) of
        the blank nodes in those statements and the lines of the statements whose terms
        or blank node labels changed. Each of these is a pure function of the values it
        is recomputed from, so the output is :meth:`canonical_fresh`'s, byte for byte;
        whenever the blank-node labelling needs more than first-degree hashes, or the
        repeated statements differ from the last document's, it is computed afresh.
        """
        memo = self._memo[0]
        if memo is None:
            # first document (a new shape's self-check, or a shape seen once): remember
            # nothing yet, so shapes used once (first-seen verifications) keep no memo
            self._memo[0] = False
            return self.canonical_fresh(leaves)
        if memo is False or len(memo.leaves) != len(leaves):
            return self._fresh(leaves)
        old = memo.leaves
        terms: list[Any] | None = None
        changed: set[int] = set()
        for (term, leaf, kind, payload), positions in zip(self.plan, self._slot_quads, strict=True):
            value: Any = leaves[leaf]
            before = old[leaf]
            if value is before or (
                value.__class__ is before.__class__
                and value.__class__ is not float  # -0.0 == 0.0, written differently
                and value == before
            ):
                continue
            rendered = _render_slot(value, kind, payload)
            if rendered is None:
                return None
            if terms is None:
                terms = memo.terms.copy()
            terms[term] = rendered
            changed.update(positions)
        if terms is None:
            return "".join(sorted(memo.lines)) if memo.lines is not None else memo.text
        templates = self.quads
        if 2 * len(changed) > len(templates):  # mostly new values: nothing worth reusing
            return self._fresh(leaves)
        quads = memo.quads.copy()
        for position in changed:
            s, p, o, g = templates[position]
            quads[position] = (terms[s], p, terms[o], None if g is None else terms[g])
        group_removed = memo.group_removed
        touched = {self._quad_group[position] for position in changed}
        touched.discard(-1)
        if touched:
            regrouped = list(group_removed)
            for group in touched:
                removed = self._group_removed(self.collision_groups[group], quads, leaves)
                if removed is None:
                    return None
                regrouped[group] = removed
            if tuple(regrouped) != group_removed:
                return self._finish(leaves, terms, quads, tuple(regrouped))
        return self._update(memo, leaves, terms, quads, changed)

    def _fresh(self, leaves: Sequence[Leaf]) -> str | None:
        rendered = self._render_all(leaves)
        if rendered is None:
            return None
        return self._finish(leaves, *rendered)

    def _finish(
        self,
        leaves: Sequence[Leaf],
        terms: list[Any],
        quads: list[Quad],
        group_removed: tuple[frozenset[int], ...],
    ) -> str:
        removed = frozenset().union(*group_removed)
        to_final = [-1] * len(quads)
        final: list[Quad] = []
        for position, quad in enumerate(quads):
            if position not in removed:
                to_final[position] = len(final)
                final.append(quad)
        index: Sequence[Sequence[int]] = (
            blank_quad_index(final, self.blank_count) if removed else self.blank_quads
        )
        first = [hash_first_degree(final, index[node], node) for node in range(self.blank_count)]
        labels = _labels(first)
        lines: list[str] | None
        if labels is None:
            text = canonicalize(final, self.blank_count, index)
            lines = None
        else:
            lines = [canonical_line(quad, labels) for quad in final]
            text = "".join(sorted(lines))
        self._memo[0] = _Memo(
            tuple(leaves),
            terms,
            quads,
            group_removed,
            to_final,
            final,
            index,
            first,
            labels,
            lines,
            None if lines is not None else text,
        )
        return text

    def _update(
        self,
        memo: _Memo,
        leaves: Sequence[Leaf],
        terms: list[Any],
        quads: list[Quad],
        changed: set[int],
    ) -> str:
        """The same repeated statements as ``memo``: reuse its per-blank-node hashes and
        lines where none of their statements changed."""
        to_final = memo.to_final
        final = memo.final.copy()
        changed_final: list[int] = []
        affected: set[int] = set()
        for position in changed:
            at = to_final[position]
            if at < 0:
                continue
            quad = final[at] = quads[position]
            changed_final.append(at)
            s, _p, o, g = quad
            if s.__class__ is int:
                affected.add(s)
            if o.__class__ is int:
                affected.add(o)
            if g is not None and g.__class__ is int:
                affected.add(g)
        index = memo.index
        first = memo.first
        if affected:
            first = first.copy()
            for node in affected:
                first[node] = hash_first_degree(final, index[node], node)
        labels = _labels(first) if affected else memo.labels
        lines: list[str] | None
        if labels is None:
            text = canonicalize(final, self.blank_count, index)
            lines = None
        elif memo.lines is None or memo.labels is None:
            lines = [canonical_line(quad, labels) for quad in final]
            text = "".join(sorted(lines))
        else:
            lines = memo.lines.copy()
            redo = set(changed_final)
            previous = memo.labels
            if labels is not previous:
                for node in range(self.blank_count):
                    if labels[node] != previous[node]:
                        redo.update(index[node])
            for at in redo:
                lines[at] = canonical_line(final[at], labels)
            text = "".join(sorted(lines))
        self._memo[0] = _Memo(
            tuple(leaves),
            terms,
            quads,
            memo.group_removed,
            to_final,
            final,
            index,
            first,
            labels,
            lines,
            None if lines is not None else text,
        )
        return text


def _render_slot(value: Any, kind: int, payload: Any) -> str | None:
    """The term a free leaf writes, or ``None`` when the full path must decide."""
    if kind == SLOT_STRING:
        return '"' + escape_literal(value) + '"' + payload  # type: ignore[no-any-return]
    if kind == SLOT_IRI:
        if not iri_unchanged(value, payload):
            return None
        return "<" + value + ">"  # type: ignore[no-any-return]
    try:
        return literal_term(value, *payload)
    except (OverflowError, ValueError):
        return None


def _labels(first: Sequence[str]) -> list[str] | None:
    """Canonical labels (RDFC-1.0 section 4.4, steps 3-4) when every first-degree hash is
    unique: ``_:c14n<i>`` in code point order of the hashes; ``None`` otherwise (the
    N-degree steps are needed)."""
    count = len(first)
    if len(set(first)) != count:
        return None
    labels = [""] * count
    for position, node in enumerate(sorted(range(count), key=first.__getitem__)):
        labels[node] = f"_:c14n{position}"
    return labels


class _Memo:
    """What :meth:`CompiledShape.canonical` computed for one document (never modified)."""

    __slots__ = (
        "final",
        "first",
        "group_removed",
        "index",
        "labels",
        "leaves",
        "lines",
        "quads",
        "terms",
        "text",
        "to_final",
    )

    def __init__(
        self,
        leaves: tuple[Leaf, ...],
        terms: list[Any],
        quads: list[Quad],
        group_removed: tuple[frozenset[int], ...],
        to_final: list[int],
        final: list[Quad],
        index: Sequence[Sequence[int]],
        first: list[str],
        labels: list[str] | None,
        lines: list[str] | None,
        text: str | None,
    ) -> None:
        self.leaves = leaves
        #: every term (slots filled), every quad (repeats included)
        self.terms = terms
        self.quads = quads
        #: per collision group, the positions merged away
        self.group_removed = group_removed
        #: quad position -> position among the statements kept (-1: merged away)
        self.to_final = to_final
        self.final = final
        #: blank node -> positions of its statements in ``final``
        self.index = index
        #: first-degree hash of every blank node
        self.first = first
        #: canonical labels when the first-degree hashes are unique, else None
        self.labels = labels
        #: N-Quads line of every kept statement (same order as ``final``) when ``labels``
        self.lines = lines
        #: the canonical N-Quads when there are no ``lines``
        self.text = text
