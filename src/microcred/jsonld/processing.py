"""JSON-LD expansion and RDF Dataset Canonicalization (RDFC-1.0), with a safe mode.

* Expansion: JSON-LD 1.1 Processing Algorithms and API, section 5.1 (Expansion Algorithm).
* Canonicalization: RDF Dataset Canonicalization (RDFC-1.0), W3C Recommendation 2024,
  implemented by pyld as ``URDNA2015`` (identical output), serialised as canonical
  N-Quads (RDFC-1.0 section 4.6 / N-Quads section 5.1).
* Safe mode: VC Data Model 2.0 section 4.3 (Contexts) and Data Integrity 1.0 (section
  "Validating Contexts" and the security considerations on canonicalization) require that
  no term silently drops out of the signed data. A JSON-LD processor drops a property whose
  term no context defines, a ``type`` value it cannot map, and any statement whose subject,
  predicate or object is a relative IRI (JSON-LD 1.1 API, section 8.2, Deserialize JSON-LD
  to RDF). pyld has no safe mode, so we detect both cases ourselves.

How undefined terms are found (the *sentinel vocabulary*): the document is expanded once
with an extra context ``{"@vocab": "urn:microcred:undefined-term:"}`` placed before its own
contexts. A term that a context defines (explicitly, as a compact/absolute IRI, or through a
``@vocab`` of the document's own contexts) expands exactly as before; a term that nothing
defines now expands to ``urn:microcred:undefined-term:<term>`` instead of being dropped.
Values of ``@json`` literals are not expanded, so their keys are never reported. The
sentinel is also placed after every ``null`` that resets the context inside the document,
and in front of the contexts of embedded credentials (which the VC 2.0 context isolates
with a ``null`` scoped context). When the sentinel never appears in the output, the
expansion is identical to a plain one and is used as the result.

Every pyld error is translated to :class:`~microcred.errors.JsonLdError` (or, when the
loader refused a URL, :class:`~microcred.errors.UnknownContextError`). pyld always gets our
document loader and our own context cache, never its process-wide one.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from pyld import jsonld as _pyld
from pyld.context_resolver import ContextResolver

from microcred.errors import JsonLdError, MicrocredError, UndefinedTermError
from microcred.jsonld.protocols import DocumentLoader
from microcred.jsonld.static_loader import ContextCache, StaticDocumentLoader
from microcred.jsonld.urls import VC_V1, VC_V2

__all__ = [
    "MAX_ARRAY_ITEMS",
    "MAX_DEPTH",
    "MAX_VALUES",
    "SafeModeReport",
    "audit_document",
    "canonize",
    "expand",
    "find_undefined_terms",
]

#: Deepest nesting of objects and arrays accepted (pyld recurses per level).
MAX_DEPTH: Final = 100
#: Most items one array may hold: pyld's expansion compares each value of a property with the
#: ones before it (quadratic), so 10,000 items in one array took minutes of CPU. A credential
#: or a presentation has far fewer.
MAX_ARRAY_ITEMS: Final = 1_000
#: Most JSON values (objects, arrays, scalars) one document may hold.
MAX_VALUES: Final = 50_000

_SENTINEL: Final = "urn:microcred:undefined-term:"
# pyld resolves relative IRIs against http://example.org/base/ when the document has no
# base; the audit gives it this base instead, so relative IRIs become recognisable.
_SENTINEL_BASE: Final = "http://relative-iri.microcred.invalid/"
# Keys that look like keywords but are not: JSON-LD ignores them (section 4.1.2 / 6.1).
_KEYWORD_LIKE: Final = re.compile(r"^@[A-Za-z]+$")
_KEYWORDS: Final = frozenset(_pyld.KEYWORDS)
_SENTINEL_CONTEXT: Final[Mapping[str, str]] = {"@vocab": _SENTINEL}
_DOCUMENT_ROOT_CONTEXTS: Final = frozenset({VC_V1, VC_V2})
_NORMALIZE_OPTIONS: Final = {"algorithm": "URDNA2015", "format": "application/n-quads"}
# pyld's own test for an IRI that can become RDF (jsonld._is_absolute_iri).
_ABSOLUTE_IRI: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$")
_MAX_LOCATIONS: Final = 5
# Exceptions pyld lets escape on malformed input besides its own JsonLdError.
_PYLD_CRASHES: Final = (
    TypeError,
    ValueError,
    KeyError,
    AttributeError,
    IndexError,
    OverflowError,  # an integer too large for a float (pyld tests numbers with float())
)


@dataclass(frozen=True)
class SafeModeReport:
    """What JSON-LD processing would silently lose from a document."""

    #: Terms (property names, ``type`` values, ``@vocab``-typed values) that no context
    #: defines, sorted.
    undefined_terms: tuple[str, ...] = ()
    #: IRIs that cannot become RDF (relative IRIs, IRIs with spaces, blank-node
    #: properties), sorted.
    unresolvable_iris: tuple[str, ...] = ()
    #: JSON pointers into the document where each problem occurs (at most a few each).
    locations: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.undefined_terms and not self.unresolvable_iris

    @property
    def problems(self) -> list[str]:
        """Undefined terms, then unresolvable IRIs rendered as ``relative IRI "x"``."""
        return list(self.undefined_terms) + [
            f'relative IRI "{iri}"' for iri in self.unresolvable_iris
        ]

    def message(self) -> str:
        parts: list[str] = []
        if self.undefined_terms:
            shown = ", ".join(self._with_location(t) for t in self.undefined_terms)
            noun = "term is" if len(self.undefined_terms) == 1 else "terms are"
            parts.append(
                f"{len(self.undefined_terms)} {noun} not defined by any of the document's "
                f"JSON-LD contexts: {shown}"
            )
        if self.unresolvable_iris:
            shown = ", ".join(self._with_location(i) for i in self.unresolvable_iris)
            noun = (
                "value is not an absolute IRI"
                if len(self.unresolvable_iris) == 1
                else ("values are not absolute IRIs")
            )
            parts.append(f"{len(self.unresolvable_iris)} identifier {noun}: {shown}")
        return (
            "JSON-LD safe mode: "
            + "; ".join(parts)
            + ". They would silently drop out of the canonical (signed) data. Define the "
            "terms in a context (or use absolute IRIs) before signing."
        )

    def _with_location(self, item: str) -> str:
        where = self.locations.get(item, ())
        return f"'{item}' (at {', '.join(where)})" if where else f"'{item}'"


# -- public API ---------------------------------------------------------------------------


def expand(
    document: Mapping[str, Any] | Sequence[Any],
    loader: DocumentLoader,
    *,
    safe: bool = True,
) -> list[dict[str, Any]]:
    """The JSON-LD expanded form of ``document`` (a list of node objects).

    With ``safe=True`` a term no context defines, or an identifier that is not an absolute
    IRI, raises :class:`UndefinedTermError` instead of silently disappearing.
    """
    prepared = _prepare(document)
    if not safe:
        return _run_expand(prepared.original, loader, prepared.has_import)
    report, expanded = _audit(prepared, loader)
    if not report.ok:
        raise _undefined_error(report)
    if prepared.exact:
        return expanded
    return _run_expand(prepared.original, loader, prepared.has_import)


def canonize(
    document: Mapping[str, Any] | Sequence[Any],
    loader: DocumentLoader,
    *,
    safe: bool = True,
) -> str:
    """RDFC-1.0 canonical N-Quads of ``document``, exactly as pyld's ``URDNA2015`` gives.

    With ``safe=True`` the document is first checked as in :func:`expand`.
    """
    prepared = _prepare(document)
    if safe:
        report, expanded = _audit(prepared, loader)
        if not report.ok:
            raise _undefined_error(report)
        if prepared.exact:
            # Already expanded: canonicalising the expanded form needs no context.
            return _run_normalize(expanded, loader, has_import=False)
    return _run_normalize(prepared.original, loader, prepared.has_import)


def find_undefined_terms(
    document: Mapping[str, Any] | Sequence[Any], loader: DocumentLoader
) -> list[str]:
    """Every safe-mode problem of ``document``, without raising for them.

    Returns the undefined terms, then identifiers that are not absolute IRIs rendered as
    ``relative IRI "<value>"``; an empty list means the document is safe to sign. Other
    JSON-LD errors (unknown context, invalid syntax) still raise.
    """
    report, _ = _audit(_prepare(document), loader)
    return report.problems


def audit_document(
    document: Mapping[str, Any] | Sequence[Any], loader: DocumentLoader
) -> SafeModeReport:
    """The full safe-mode report for ``document`` (terms, IRIs and where they occur)."""
    report, _ = _audit(_prepare(document), loader)
    return report


# -- preparation: validation, depth guard and the sentinel copy ------------------------------


@dataclass(frozen=True)
class _Prepared:
    #: the document as plain dicts and lists (the caller's object when it already is)
    original: Any
    #: the document to expand for the audit (``original`` when only the top level needs
    #: the sentinel, which then comes in through pyld's ``expandContext`` option)
    sentinel: Any
    #: whether a clean audit expansion equals the plain expansion of ``original``
    exact: bool
    has_import: bool
    #: keys such as ``@foo`` that JSON-LD ignores (outside contexts)
    ignored_keys: frozenset[str] = frozenset()


def _prepare(document: Any) -> _Prepared:
    if isinstance(document, str | bytes) or not isinstance(document, Mapping | Sequence):
        raise JsonLdError(
            f"A JSON-LD document must be a JSON object or array, not {type(document).__name__}."
        )
    nested, plain, has_import, ignored = _inspect(document)
    original = document if plain else _copy(document, sentinels=False, root=True)
    if not nested:
        return _Prepared(original, original, True, has_import, ignored)
    sentinel = _copy(document, sentinels=True, root=True)
    return _Prepared(original, sentinel, False, has_import, ignored)


def _inspect(document: Any) -> tuple[bool, bool, bool, frozenset[str]]:
    """Validate ``document`` as JSON (types, depth) without recursion.

    Returns (needs nested sentinels, is plain dict/list JSON, uses ``@import``, the
    keyword-like keys JSON-LD would ignore).
    """
    nested = False
    plain = True
    has_import = False
    ignored: set[str] = set()
    top_is_array = not isinstance(document, Mapping)
    # (value, depth, is a document root, is inside a context definition)
    stack: list[tuple[Any, int, bool, bool]] = [(document, 1, not top_is_array, False)]
    values = 0
    while stack:
        node, depth, is_root, in_context = stack.pop()
        values += 1
        if values > MAX_VALUES:
            raise JsonLdError(
                f"The document holds more than {MAX_VALUES} JSON values; refusing to process it."
            )
        if depth > MAX_DEPTH:
            raise JsonLdError(
                f"The document is nested more than {MAX_DEPTH} levels deep; refusing to process it."
            )
        if isinstance(node, Mapping):
            plain = plain and type(node) is dict
            for key, child in node.items():
                if not isinstance(key, str):
                    raise JsonLdError(f"JSON object keys must be strings, got {key!r}.")
                if key == "@context":
                    has_import = has_import or _has_key(child, "@import")
                    if not in_context and _nested_context(child, root=is_root) is not child:
                        nested = True
                elif not in_context and _KEYWORD_LIKE.match(key) and key not in _KEYWORDS:
                    ignored.add(key)
                stack.append((child, depth + 1, False, in_context or key == "@context"))
        elif isinstance(node, list | tuple):
            if len(node) > MAX_ARRAY_ITEMS:
                raise JsonLdError(
                    f"An array of the document holds {len(node)} items, more than "
                    f"{MAX_ARRAY_ITEMS}; refusing to process it."
                )
            plain = plain and type(node) is list
            root_items = depth == 1 and top_is_array
            stack.extend((child, depth + 1, root_items, in_context) for child in node)
        elif isinstance(node, float):
            if not math.isfinite(node):
                raise JsonLdError("JSON numbers must be finite (no NaN or Infinity).")
        elif not (node is None or isinstance(node, str | bool | int)):
            raise JsonLdError(f"Not a JSON value: {type(node).__name__}.")
    return nested, plain, has_import, frozenset(ignored)


def _nested_context(context: Any, *, root: bool) -> Any:
    """``context`` with the sentinel re-added where it resets the active context: after
    each ``null``, and (below the top level) in front of an embedded credential's contexts.

    Returns ``context`` itself when nothing needs to change.
    """
    entries = _as_list(context)
    if (
        not root
        and entries
        and isinstance(entries[0], str)
        and entries[0] in _DOCUMENT_ROOT_CONTEXTS
    ):
        return [dict(_SENTINEL_CONTEXT), *_after_nulls(entries)]
    if any(entry is None for entry in entries):
        return _after_nulls(entries)
    return context


def _copy(value: Any, *, sentinels: bool, root: bool) -> Any:
    """Plain dict/list copy (depth already checked); optionally with nested sentinels."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, child in value.items():
            if sentinels and key == "@context":
                child = _nested_context(child, root=root)
            out[key] = _copy(child, sentinels=sentinels, root=False)
        return out
    if isinstance(value, list | tuple):
        return [_copy(child, sentinels=sentinels, root=root) for child in value]
    return value


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _after_nulls(entries: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for entry in entries:
        out.append(entry)
        if entry is None:
            out.append(dict(_SENTINEL_CONTEXT))
    return out


def _has_key(value: Any, wanted: str) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            if wanted in node:
                return True
            stack.extend(node.values())
        elif isinstance(node, list | tuple):
            stack.extend(node)
    return False


# -- the audit -------------------------------------------------------------------------------


def _audit(
    prepared: _Prepared, loader: DocumentLoader
) -> tuple[SafeModeReport, list[dict[str, Any]]]:
    expanded = _run_expand(
        prepared.sentinel,
        loader,
        prepared.has_import,
        expand_context=_SENTINEL_CONTEXT,
        base=_SENTINEL_BASE,
    )
    undefined: set[str] = set(prepared.ignored_keys)
    unresolvable: set[str] = set()
    _scan(expanded, undefined, unresolvable)
    if not undefined and not unresolvable:
        return SafeModeReport(), expanded
    locations = _locate(prepared.original, undefined | unresolvable)
    report = SafeModeReport(
        undefined_terms=tuple(sorted(undefined)),
        unresolvable_iris=tuple(sorted(unresolvable)),
        locations=locations,
    )
    return report, expanded


def _check_iri(value: Any, undefined: set[str], unresolvable: set[str]) -> None:
    if not isinstance(value, str):
        return
    if value.startswith(_SENTINEL):
        undefined.add(value[len(_SENTINEL) :])
    elif value.startswith(_SENTINEL_BASE):
        unresolvable.add(value[len(_SENTINEL_BASE) :])
    elif not _ABSOLUTE_IRI.match(value):
        unresolvable.add(value)


def _scan(expanded: Any, undefined: set[str], unresolvable: set[str]) -> None:
    """Collect sentinel IRIs and non-absolute IRIs from an expanded document."""
    stack: list[Any] = [expanded]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        if "@value" in node:
            datatype = node.get("@type")
            if datatype is not None and datatype != "@json":
                _check_iri(datatype, undefined, unresolvable)
            continue  # a literal: never look inside (an @json value is data)
        for key, value in node.items():
            if key == "@id":
                _check_iri(value, undefined, unresolvable)
            elif key == "@type":
                for item in value if isinstance(value, list) else [value]:
                    _check_iri(item, undefined, unresolvable)
            elif key == "@reverse":
                if isinstance(value, dict):
                    for prop, items in value.items():
                        _check_property(prop, undefined, unresolvable)
                        stack.append(items)
            elif key.startswith("@"):
                if key in ("@graph", "@list", "@set", "@included"):
                    stack.append(value)
            else:
                _check_property(key, undefined, unresolvable)
                stack.append(value)


def _check_property(key: str, undefined: set[str], unresolvable: set[str]) -> None:
    if key.startswith("_:"):
        unresolvable.add(key)  # blank-node predicates are not RDF: pyld drops them
    else:
        _check_iri(key, undefined, unresolvable)


def _locate(document: Any, wanted: set[str]) -> dict[str, tuple[str, ...]]:
    """JSON pointers (RFC 6901) where each wanted term or IRI appears in ``document``."""
    found: dict[str, list[str]] = {}
    stack: list[tuple[Any, str]] = [(document, "")]
    while stack:
        node, pointer = stack.pop()
        if isinstance(node, Mapping):
            for key, value in node.items():
                if key == "@context":
                    continue
                child = pointer + "/" + _escape(str(key))
                if key in wanted:
                    found.setdefault(key, []).append(child)
                stack.append((value, child))
        elif isinstance(node, list | tuple):
            for index, value in enumerate(node):
                stack.append((value, f"{pointer}/{index}"))
        elif isinstance(node, str) and node in wanted:
            found.setdefault(node, []).append(pointer or "/")
    return {key: tuple(sorted(paths)[:_MAX_LOCATIONS]) for key, paths in found.items()}


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _undefined_error(report: SafeModeReport) -> UndefinedTermError:
    return UndefinedTermError(
        report.message(),
        terms=list(report.undefined_terms),
        unresolvable_iris=list(report.unresolvable_iris),
        locations={key: list(value) for key, value in report.locations.items()},
    )


# -- calling pyld ----------------------------------------------------------------------------


def _options(loader: DocumentLoader, isolated: bool) -> tuple[dict[str, Any], Any]:
    """pyld options for one operation, and the lock to hold while pyld runs."""
    cache: Any
    lock: Any
    if isinstance(loader, StaticDocumentLoader) and not isolated and not loader.has_import:
        cache = loader.context_cache
        # pyld's per-context caches are not thread-safe; pyld is pure Python, so holding
        # the loader's lock costs no parallelism under the GIL.
        lock = loader.processing_lock
    else:
        # A private cache for this one operation: pyld's @import processing edits the
        # resolved context it imports, which must never reach a shared cache.
        cache = ContextCache(maxsize=64)
        lock = contextlib.nullcontext()
    options = {
        "documentLoader": loader,
        "contextResolver": ContextResolver(cache, loader),
        "base": "",
        "processingMode": "json-ld-1.1",
    }
    return options, lock


@contextlib.contextmanager
def _pyld_errors() -> Iterator[None]:
    """Translate what a pyld call raises into the microcred error tree (once, here)."""
    try:
        yield
    except RecursionError:
        raise JsonLdError("The document is nested too deeply to process.") from None
    except _pyld.JsonLdError as exc:
        raise _translate(exc) from exc
    except _PYLD_CRASHES as exc:
        raise JsonLdError(f"The document is not valid JSON-LD: {exc!r}.") from exc


def _run_expand(
    document: Any,
    loader: DocumentLoader,
    has_import: bool,
    *,
    expand_context: Mapping[str, Any] | None = None,
    base: str = "",
) -> list[dict[str, Any]]:
    options, lock = _options(loader, has_import)
    options["base"] = base
    if expand_context is not None:
        options["expandContext"] = dict(expand_context)
    with _pyld_errors(), lock:
        result = _pyld.expand(document, options)
    if not isinstance(result, list):  # pragma: no cover - pyld always returns a list
        raise JsonLdError("Expansion did not produce a list of nodes.")
    return result


def _run_normalize(document: Any, loader: DocumentLoader, has_import: bool) -> str:
    options, lock = _options(loader, has_import)
    options.update(_NORMALIZE_OPTIONS)
    with _pyld_errors(), lock:
        result = _pyld.normalize(document, options)
    if not isinstance(result, str):  # pragma: no cover - pyld returns str for this format
        raise JsonLdError("Canonicalization did not produce N-Quads.")
    return result


def _translate(exc: BaseException) -> MicrocredError:
    """The microcred error for a pyld failure (the loader's own error if it caused it).

    Only explicit causes are followed (pyld wraps with ``raise ... from cause``): the
    implicit ``__context__`` may be an unrelated exception the *caller* was handling when it
    called pyld, which must never become this error or its message.
    """
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__
    for link in chain:
        if isinstance(link, MicrocredError):
            try:
                return type(link)(link.detail, **link.extra)
            except TypeError:  # a subclass with its own constructor
                return JsonLdError(link.detail, **link.extra)
    innermost = chain[-1]
    message = innermost.args[0] if innermost.args else str(innermost)
    codes = [getattr(link, "code", None) for link in reversed(chain)]
    code = next((c for c in codes if isinstance(c, str) and c), None)
    detail = f"JSON-LD processing failed: {message}"
    if code:
        detail += f" ({code})"
    return JsonLdError(detail, jsonld_code=code) if code else JsonLdError(detail)
