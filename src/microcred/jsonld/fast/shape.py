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
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

from microcred.jsonld.fast.rdfc import Quad, Term, blank_quad_index, canonicalize
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
        )

    def key_values(self, leaves: Sequence[Leaf]) -> tuple[Leaf, ...]:
        return tuple([leaves[i] for i in self.structural])

    def render(self, leaves: Sequence[Leaf]) -> list[Quad] | None:
        """The quads for these leaves, or ``None`` when the full path must decide."""
        terms: list[Any] = list(self.terms)
        for term, leaf, kind, payload in self.plan:
            value: Any = leaves[leaf]
            if kind == SLOT_STRING:
                terms[term] = '"' + escape_literal(value) + '"' + payload
            elif kind == SLOT_IRI:
                if not iri_unchanged(value, payload):
                    return None
                terms[term] = "<" + value + ">"
            else:
                try:
                    terms[term] = literal_term(value, *payload)
                except (OverflowError, ValueError):
                    return None
        quads: list[Quad] = [
            (terms[s], p, terms[o], None if g is None else terms[g]) for s, p, o, g in self.quads
        ]
        removed: set[int] | None = None
        for members in self.collision_groups:
            seen: dict[Quad, int] = {}
            for position in members:
                quad = quads[position]
                first = seen.get(quad)
                if first is None:
                    seen[quad] = position
                    continue
                # JSON-LD's node map keeps one copy of a repeated value (the same node
                # embedded twice); two different values written alike stay two statements
                # in pyld's output: leave that to the full path.
                if self._object_key(first, quad, leaves) != self._object_key(
                    position, quad, leaves
                ):
                    return None
                if removed is None:
                    removed = set()
                removed.add(position)
        if removed:
            return [quad for i, quad in enumerate(quads) if i not in removed]
        return quads

    def _object_key(self, position: int, quad: Quad, leaves: Sequence[Leaf]) -> Any:
        spec = self.object_keys[position]
        if spec is None:
            return quad[2]
        if spec[0] == "slot":
            return ("lit", spec[2], spec[3], leaves[spec[1]])
        return spec

    def canonical(self, leaves: Sequence[Leaf]) -> str | None:
        """Canonical N-Quads for these leaves, or ``None`` (full path)."""
        quads = self.render(leaves)
        if quads is None:
            return None
        if len(quads) != len(self.quads):  # repeated statements were merged
            return canonicalize(quads, self.blank_count)
        return canonicalize(quads, self.blank_count, self.blank_quads)
