"""The compiled-shape canonicaliser: a drop-in for ``jsonld.processing.canonize``.

:class:`FastCanonizer` is bound to one document loader. For each document it

1. walks the JSON once (:func:`~microcred.jsonld.fast.shape.walk`): skeleton + leaves;
2. looks the skeleton up in an LRU of *families*; a family holds the compiled shapes
   seen for that skeleton, keyed by the values of their structural leaves;
3. on a hit renders the quads from the leaves and canonicalises them (RDFC-1.0,
   :mod:`~microcred.jsonld.fast.rdfc`) — no JSON-LD expansion at all;
4. on a miss compiles the shape from the safe-mode audit expansion
   (:func:`~microcred.jsonld.fast.compiler.compile_with_audit`): the compiled program
   and pyld's own node map / RDF conversion of that expansion must give the same
   canonical N-Quads, which are then the answer. When that shortcut does not apply
   (embedded contexts resetting the active context, a document the audit rejects, an
   unsupported shape) the full path (:func:`~microcred.jsonld.processing.canonize`)
   answers; for the first case it also compiles the shape
   (:func:`~microcred.jsonld.fast.compiler.compile_shape`) and checks it against that
   answer.

Safe mode is preserved: a compiled shape exists only for a document the safe-mode audit
accepted; another document reaches it only with the same keys, nesting, JSON types,
contexts and structural values, and its free values are checked (identifiers must stay
absolute IRIs untouched by expansion). Everything the fast path cannot vouch for — an
unsupported shape, an unusual value, different values that would be written as the same
statement, an N-degree budget overrun, a document that is not plain JSON — goes to the
full path and is counted in :attr:`FastCanonizer.stats`.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from pyld.jsonld import JsonLdError as PyldError

from microcred.jsonld.fast.compiler import (
    AuditedCompile,
    UnsupportedShape,
    compile_shape,
    compile_with_audit,
)
from microcred.jsonld.fast.rdfc import TooComplexError
from microcred.jsonld.fast.shape import CompiledShape, Leaf, Skeleton, WalkError, walk
from microcred.jsonld.protocols import DocumentLoader

__all__ = ["CanonStats", "FallbackReason", "FastCanonizer"]

_log = logging.getLogger(__name__)

FullCanonize = Callable[..., str]

# OverflowError: pyld turns every number into a float; a huge integer overflows (the full
# path then reports it as a JsonLdError)
_COMPILER_FAILURES = (
    PyldError,
    TypeError,
    ValueError,
    KeyError,
    AttributeError,
    IndexError,
    OverflowError,
)


class FallbackReason:
    """Why a document took the full path (keys of :attr:`CanonStats.fallbacks`)."""

    FIRST_SEEN: Final = "first_seen"  # skeleton not seen often enough to compile yet
    COMPILED: Final = "compiled"  # the run that compiled (and checked) a new shape
    UNSUPPORTED: Final = "unsupported_shape"  # the compiler does not handle this shape
    VALUES: Final = "values"  # a value the compiled program cannot vouch for
    TOO_COMPLEX: Final = "too_complex"  # RDFC-1.0 N-degree work limit
    NOT_PLAIN: Final = "not_plain_json"  # not a plain JSON object (or too deep)
    OTHER_LOADER: Final = "other_loader"  # called with another loader, or safe=False


@dataclass
class CanonStats:
    """Counters of one :class:`FastCanonizer` (cumulative, approximate under threads)."""

    calls: int = 0
    #: answered from a compiled shape
    fast: int = 0
    #: answered by a compiling run without the full path
    compiles: int = 0
    #: first sightings answered from the audit expansion by pyld's conversion alone (no
    #: compiling, no full path)
    first_sights: int = 0
    fallbacks: Counter[str] = field(default_factory=Counter)
    compiled_shapes: int = 0
    failed_compiles: int = 0
    #: compiled shapes whose output differed from the full path on their own template
    #: (a compiler defect; the shape is disabled, the document got the full path's answer)
    mismatches: int = 0
    #: why compiling failed, most recent last (a few)
    compile_problems: list[str] = field(default_factory=list)

    @property
    def full(self) -> int:
        """Documents canonicalised by the full path."""
        return sum(self.fallbacks.values())

    @property
    def fallback_rate(self) -> float:
        return self.full / self.calls if self.calls else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "fast": self.fast,
            "compiles": self.compiles,
            "first_sights": self.first_sights,
            "full": self.full,
            "fallback_rate": round(self.fallback_rate, 6),
            "fallbacks": dict(sorted(self.fallbacks.items())),
            "compiled_shapes": self.compiled_shapes,
            "failed_compiles": self.failed_compiles,
            "mismatches": self.mismatches,
        }


@dataclass
class _Variant:
    structural: tuple[int, ...]
    shapes: OrderedDict[tuple[Leaf, ...], CompiledShape] = field(default_factory=OrderedDict)


@dataclass
class _Family:
    variants: list[_Variant] = field(default_factory=list)
    unsupported: str | None = None
    failed_checks: int = 0


class FastCanonizer:
    """RDFC-1.0 canonical N-Quads, byte-identical to the full path, fast for repeated
    shapes. Call it like :func:`~microcred.jsonld.processing.canonize`.

    ``max_families`` bounds the skeletons kept (LRU), ``max_shapes_per_family`` the
    structural-value combinations per skeleton, ``max_statements`` the size of a shape
    worth keeping (larger documents always take the full path); ``compile_after`` is the
    sighting of a skeleton on which it is compiled (1: a new shape is compiled from the
    audit expansion, which costs less than the full path; 2, the default: a first
    sighting is answered from that expansion by pyld's own conversion, without compiling
    — shapes seen once, as a verifier sees many, cost the least — and the second compiles).
    """

    MAX_VARIANTS: Final = 4
    MAX_FAILED_CHECKS: Final = 3

    def __init__(
        self,
        loader: DocumentLoader,
        *,
        max_families: int = 128,
        max_shapes_per_family: int = 32,
        compile_after: int = 2,
        max_statements: int = 10_000,
        full: FullCanonize | None = None,
    ) -> None:
        if full is None:
            from microcred.jsonld.processing import canonize

            full = canonize
        self._loader = loader
        self._full = full
        self._max_families = max(1, max_families)
        self._max_shapes = max(1, max_shapes_per_family)
        self._compile_after = max(1, compile_after)
        self._max_statements = max_statements
        self._families: OrderedDict[Skeleton, _Family] = OrderedDict()
        self._seen: OrderedDict[Skeleton, int] = OrderedDict()
        self._lock = threading.Lock()
        self.stats = CanonStats()

    @property
    def loader(self) -> DocumentLoader:
        return self._loader

    def __call__(
        self,
        document: Mapping[str, Any] | Sequence[Any],
        loader: DocumentLoader,
        *,
        safe: bool = True,
    ) -> str:
        self.stats.calls += 1
        if not safe or loader is not self._loader:
            return self._fallback(FallbackReason.OTHER_LOADER, document, loader, safe)
        try:
            skeleton, leaves = walk(document)
        except (WalkError, RecursionError):
            return self._fallback(FallbackReason.NOT_PLAIN, document, loader, safe)
        with self._lock:
            family = self._families.get(skeleton)
            if family is not None:
                self._families.move_to_end(skeleton)
        if family is not None:
            if family.unsupported is not None:
                return self._fallback(FallbackReason.UNSUPPORTED, document, loader, safe)
            for variant in family.variants:
                shape = variant.shapes.get(tuple([leaves[i] for i in variant.structural]))
                if shape is None:
                    continue
                try:
                    canonical = shape.canonical(leaves)
                except TooComplexError:
                    return self._fallback(FallbackReason.TOO_COMPLEX, document, loader, safe)
                except UnicodeEncodeError:  # a lone surrogate reached a hashed statement
                    return self._fallback(FallbackReason.VALUES, document, loader, safe)
                if canonical is None:
                    return self._fallback(FallbackReason.VALUES, document, loader, safe)
                self.stats.fast += 1
                return canonical
        elif not self._sighted_enough(skeleton):
            return self._first_sight(document, len(leaves))
        return self._compile(skeleton, leaves, document, family)

    # -- internals ----------------------------------------------------------------------

    def _fallback(self, reason: str, document: Any, loader: DocumentLoader, safe: bool) -> str:
        with self._lock:
            self.stats.fallbacks[reason] += 1
        return self._full(document, loader, safe=safe)

    def _first_sight(self, document: Any, leaf_count: int) -> str:
        """A shape not seen often enough to compile: the audit expansion converted by pyld
        and canonicalised (one expansion, where the full path makes two), else the full
        path. A verifier meets many shapes once; compiling each would cost more than it
        saves."""
        try:
            audited = compile_with_audit(document, self._loader, leaf_count, convert=False)
        except _COMPILER_FAILURES:
            audited = None
        if audited is None or audited.reference is None:
            return self._fallback(FallbackReason.FIRST_SEEN, document, self._loader, True)
        with self._lock:
            self.stats.first_sights += 1
        return audited.reference

    def _sighted_enough(self, skeleton: Skeleton) -> bool:
        if self._compile_after <= 1:
            return True
        with self._lock:
            count = self._seen.pop(skeleton, 0) + 1
            if count >= self._compile_after:
                return True
            self._seen[skeleton] = count
            while len(self._seen) > 4 * self._max_families:
                self._seen.popitem(last=False)
        return False

    def _compile(
        self,
        skeleton: Skeleton,
        leaves: list[Leaf],
        document: Any,
        family: _Family | None,
    ) -> str:
        if family is None:
            family = _Family()
        audited: AuditedCompile | None
        try:
            audited = compile_with_audit(document, self._loader, len(leaves))
        except _COMPILER_FAILURES:
            audited = None
        shape: CompiledShape | None = None
        problem: str | None = None
        result: str | None = None
        if audited is not None and audited.shape is None:
            problem = audited.problem or "unsupported"
        elif audited is not None and audited.shape is not None and audited.reference is not None:
            # One expansion, two independent conversions to RDF (the compiled program and
            # pyld's own): they must agree, or the full path answers.
            checked = self._check(audited.shape, leaves, audited.reference, family)
            if checked is not None:
                shape, result = checked, audited.reference
            else:
                problem = family.unsupported
        if result is None:
            # The full path: its answer (or error: safe mode, unknown context) stands.
            result = self._fallback(FallbackReason.COMPILED, document, self._loader, True)
            if audited is None and problem is None:
                try:
                    candidate = compile_shape(document, self._loader, len(leaves))
                except UnsupportedShape as exc:
                    problem = f"unsupported: {exc}"
                except _COMPILER_FAILURES as exc:
                    problem = f"compiler error: {exc!r}"
                else:
                    shape = self._check(candidate, leaves, result, family)
                    problem = family.unsupported
        else:
            with self._lock:
                self.stats.compiles += 1
        if shape is not None and len(shape.quads) > self._max_statements:
            shape, problem = None, "too many statements to keep a compiled shape"
        with self._lock:
            if problem is not None:
                family.unsupported = problem
                self.stats.failed_compiles += 1
                self.stats.compile_problems = [*self.stats.compile_problems[-7:], problem]
            elif shape is not None:
                self._store(family, shape, leaves)
                self.stats.compiled_shapes += 1
            self._families[skeleton] = family
            self._families.move_to_end(skeleton)
            while len(self._families) > self._max_families:
                self._families.popitem(last=False)
        return result

    def _check(
        self, shape: CompiledShape, leaves: list[Leaf], reference: str, family: _Family
    ) -> CompiledShape | None:
        """``shape`` if it reproduces ``reference`` for its own template; otherwise None
        (and ``family.unsupported`` says why when the shape must not be tried again)."""
        try:
            check = shape.canonical(leaves)
        except (TooComplexError, UnicodeEncodeError):
            check = None
        if check is None:
            # Cannot be checked on this document (e.g. repeated statements): try again on
            # a later one, a few times.
            family.failed_checks += 1
            if family.failed_checks >= self.MAX_FAILED_CHECKS:
                family.unsupported = "could not be checked against the full path"
            return None
        if check != reference:
            family.unsupported = "self-check mismatch"
            self.stats.mismatches += 1
            _log.warning("compiled JSON-LD shape disagrees with pyld; shape disabled")
            return None
        return shape

    def _store(self, family: _Family, shape: CompiledShape, leaves: list[Leaf]) -> None:
        variant = next((v for v in family.variants if v.structural == shape.structural), None)
        if variant is None:
            if len(family.variants) >= self.MAX_VARIANTS:
                family.variants.pop(0)
            variant = _Variant(shape.structural)
            family.variants.append(variant)
        variant.shapes[shape.key_values(leaves)] = shape
        while len(variant.shapes) > self._max_shapes:
            variant.shapes.popitem(last=False)
