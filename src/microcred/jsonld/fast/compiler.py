"""Compiling a shape: one traced JSON-LD expansion of a template document.

The template's leaves (strings and numbers outside ``@context``) are replaced by
tagged copies (subclasses of ``str``/``int``/``float`` that remember their position in
:func:`~microcred.jsonld.fast.shape.walk` order) and the document is expanded by pyld
itself (JSON-LD 1.1 API, section 5.1 "Expansion Algorithm"), with the same options
as the full path. A subclass of pyld's processor watches IRI expansion (section 5.2.2):

* a leaf expanded as a vocabulary-relative IRI (``@type`` values, values of terms
  typed ``@vocab``), or changed by expansion at all (compact IRIs, relative IRIs,
  blank node identifiers), is *structural*: its value becomes part of the cache key;
* a leaf expanded as an identifier and returned unchanged is a free *IRI slot*, valid
  for later documents only while :func:`~microcred.jsonld.fast.terms.iri_unchanged`
  holds for their values under the same active context.

Tagged leaves keep their identity through expansion, so the expanded output shows
where every free value lands: the ``@value`` of a value object (with the datatype or
language the term definition gave it) or an ``@id``. The expanded output is then
turned into RDF (section 8.2 "Deserialize JSON-LD to RDF": node map, blank nodes,
``rdf:type``, literal conversion of section 8.6) with holes for the free values.

:func:`compile_with_audit` traces the very expansion the safe-mode audit of
:mod:`microcred.jsonld.processing` makes (its sentinel vocabulary and base, its scan for
undefined terms: the private helpers ``_prepare``, ``_scan``, ``_SENTINEL_CONTEXT`` and
``_SENTINEL_BASE`` of that module are used on purpose, so both stay one definition), so
a new shape costs one expansion, not the full path's two.

Compiled: node objects, value objects, ``@id``/``@type``, arrays, lists (``@list``,
RDF collections) and named graphs (``@graph``, e.g. proofs embedded in endorsements,
credentials in a CLR). Anything else (``@reverse``, ``@included``, ``@index``,
``@direction``, ``@json`` literals, blank node types) raises :class:`UnsupportedShape`
and that shape always takes the full path.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from pyld.context_resolver import ContextResolver
from pyld.identifier_issuer import IdentifierIssuer
from pyld.jsonld import JsonLdError as PyldError
from pyld.jsonld import JsonLdProcessor

from microcred.errors import MicrocredError
from microcred.jsonld import processing as _processing
from microcred.jsonld.fast.rdfc import Quad, Term, TooComplexError, canonicalize
from microcred.jsonld.fast.shape import (
    SLOT_IRI,
    SLOT_LITERAL,
    SLOT_STRING,
    CompiledShape,
    QuadTemplate,
    Slot,
)
from microcred.jsonld.fast.terms import (
    RDF_FIRST,
    RDF_LANGSTRING,
    RDF_NIL,
    RDF_REST,
    RDF_TYPE,
    XSD_DOUBLE,
    XSD_STRING,
    escape_literal,
    iri_unchanged,
    is_absolute_iri,
    literal_suffix,
    literal_term,
)
from microcred.jsonld.protocols import DocumentLoader
from microcred.jsonld.static_loader import ContextCache, StaticDocumentLoader

__all__ = ["AuditedCompile", "UnsupportedShape", "compile_shape", "compile_with_audit"]

_RDF_TYPE_TERM: Final = "<" + RDF_TYPE + ">"
_NODE_KEYWORDS: Final = frozenset({"@id", "@type", "@graph"})
_RDF_FIRST_TERM: Final = "<" + RDF_FIRST + ">"
_RDF_REST_TERM: Final = "<" + RDF_REST + ">"
_RDF_NIL_TERM: Final = "<" + RDF_NIL + ">"
_VALUE_KEYWORDS: Final = frozenset({"@value", "@type", "@language"})


class UnsupportedShape(Exception):
    """The shape uses JSON-LD features the compiler does not handle."""


# -- tagged leaves ---------------------------------------------------------------------


class _StrLeaf(str):
    leaf_index: int

    def __deepcopy__(self, memo: Any) -> _StrLeaf:
        return self


class _IntLeaf(int):
    leaf_index: int

    def __deepcopy__(self, memo: Any) -> _IntLeaf:
        return self


class _FloatLeaf(float):
    leaf_index: int

    def __deepcopy__(self, memo: Any) -> _FloatLeaf:
        return self


_LEAF_TYPES: Final = (_StrLeaf, _IntLeaf, _FloatLeaf)


def _tag(value: Any, counter: list[int]) -> Any:
    cls = value.__class__
    leaf: _StrLeaf | _IntLeaf | _FloatLeaf
    if cls is str:
        leaf = _StrLeaf(value)
    elif cls is int:
        leaf = _IntLeaf(value)
    elif cls is float:
        leaf = _FloatLeaf(value)
    elif cls is dict:
        return {
            key: (item if key == "@context" else _tag(item, counter)) for key, item in value.items()
        }
    elif cls is list:
        return [_tag(item, counter) for item in value]
    else:
        return value
    leaf.leaf_index = counter[0]
    counter[0] += 1
    return leaf


def _plain(value: Any) -> Any:
    cls = value.__class__
    if cls is _StrLeaf:
        return str(value)
    if cls is _IntLeaf:
        return int(value)
    if cls is _FloatLeaf:
        return float(value)
    return value


def _leaf_index(value: Any) -> int | None:
    return value.leaf_index if value.__class__ in _LEAF_TYPES else None


# -- the traced expansion --------------------------------------------------------------


class _Tracer(JsonLdProcessor):  # type: ignore[misc]
    """pyld's processor, noting what IRI expansion does with each tagged leaf."""

    def __init__(self) -> None:
        super().__init__()
        self.structural: set[int] = set()
        self.iri_contexts: dict[int, list[Any]] = {}

    def _expand_iri(
        self,
        active_ctx: Any,
        value: Any,
        base: Any = None,
        vocab: bool = False,
        local_ctx: Any = None,
        defined: Any = None,
    ) -> Any:
        result = super()._expand_iri(
            active_ctx, value, base=base, vocab=vocab, local_ctx=local_ctx, defined=defined
        )
        if value.__class__ is _StrLeaf:
            if vocab or local_ctx is not None or result is None or result != value:
                self.structural.add(value.leaf_index)
                return result
            self.iri_contexts.setdefault(value.leaf_index, []).append(active_ctx)
            return value
        return result


@contextlib.contextmanager
def _pyld_options(
    loader: DocumentLoader,
    uses_import: bool,
    *,
    base: str = "",
    expand_context: Any = None,
) -> Iterator[dict[str, Any]]:
    """The options (and lock) the full path gives pyld for the same document."""
    if isinstance(loader, StaticDocumentLoader) and not loader.has_import and not uses_import:
        cache: Any = loader.context_cache
        lock: Any = loader.processing_lock
    else:
        cache = ContextCache(maxsize=64)
        lock = contextlib.nullcontext()
    options: dict[str, Any] = {
        "documentLoader": loader,
        "contextResolver": ContextResolver(cache, loader),
        "base": base,
        "processingMode": "json-ld-1.1",
    }
    if expand_context is not None:
        options["expandContext"] = dict(expand_context)
    with lock:
        yield options


def _uses_import(value: Any) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "@import" in node:
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def compile_shape(
    document: dict[str, Any], loader: DocumentLoader, leaf_count: int
) -> CompiledShape:
    """Compile the shape of ``document`` (which the full path has already accepted).

    ``leaf_count`` is the number of leaves :func:`~microcred.jsonld.fast.shape.walk`
    found. Raises :class:`UnsupportedShape`; pyld errors propagate (the caller treats
    any failure here as "always use the full path for this shape").
    """
    counter = [0]
    tagged = _tag(document, counter)
    if counter[0] != leaf_count:  # pragma: no cover - _tag mirrors walk
        raise UnsupportedShape("the tagged copy does not match the walk")
    tracer = _Tracer()
    with _pyld_options(loader, _uses_import(document)) as options:
        expanded = tracer.expand(tagged, options)
    converter = _Converter(tracer)
    for item in expanded:
        converter.node(item)
    return converter.finish(leaf_count)


@dataclass(frozen=True)
class AuditedCompile:
    """What :func:`compile_with_audit` found for a document."""

    #: the document's canonical N-Quads from pyld's own node map and RDF conversion of
    #: the safe-mode expansion (None: could not be computed here)
    reference: str | None
    #: the compiled shape (None: unsupported, see ``problem``)
    shape: CompiledShape | None
    problem: str | None = None


_TRACE_FAILURES: Final = (PyldError, TypeError, ValueError, KeyError, AttributeError, IndexError)


def compile_with_audit(
    document: dict[str, Any], loader: DocumentLoader, leaf_count: int, *, convert: bool = True
) -> AuditedCompile | None:
    """Compile ``document``'s shape from the very expansion the safe-mode audit makes.

    The full path (:func:`~microcred.jsonld.processing.canonize`) expands a document
    twice: once with the sentinel vocabulary (the audit), then again inside pyld's
    ``normalize``. Here the audit expansion is traced, checked exactly as the audit
    checks it, converted by the compiler *and* by pyld's own node map and RDF
    conversion (JSON-LD 1.1 API sections 7.2 and 8.2); both are canonicalised. The
    caller returns the result only when the two agree.

    ``convert=False`` leaves the compiler out: only pyld's conversion, canonicalised (the
    answer for a shape seen for the first time, see :class:`FastCanonizer`).

    Returns ``None`` when this shortcut does not apply (embedded contexts that reset
    the active context, which the audit handles on a modified copy; documents the audit
    rejects; pyld errors): the caller then takes the full path, which gives the exact
    answer or error.
    """
    try:
        prepared = _processing._prepare(document)
    except MicrocredError:
        return None
    if not prepared.exact:
        return None
    counter = [0]
    tagged = _tag(prepared.sentinel, counter)
    if counter[0] != leaf_count:  # pragma: no cover - _tag mirrors walk
        return None
    tracer = _Tracer()
    try:
        with _pyld_options(
            loader,
            prepared.has_import,
            base=_processing._SENTINEL_BASE,
            expand_context=_processing._SENTINEL_CONTEXT,
        ) as options:
            expanded = tracer.expand(tagged, options)
    except (*_TRACE_FAILURES, RecursionError, MicrocredError):
        return None
    undefined: set[str] = set(prepared.ignored_keys)
    unresolvable: set[str] = set()
    _processing._scan(expanded, undefined, unresolvable)
    if undefined or unresolvable:
        return None
    shape: CompiledShape | None = None
    problem: str | None = None
    if not convert:
        try:
            return AuditedCompile(_reference_canonical(tracer, expanded), None, None)
        except (TooComplexError, UnicodeEncodeError, *_TRACE_FAILURES):
            return None
    try:
        converter = _Converter(tracer)
        for item in expanded:
            converter.node(item)
        shape = converter.finish(leaf_count)
    except UnsupportedShape as exc:
        problem = f"unsupported: {exc}"
    try:
        reference: str | None = _reference_canonical(tracer, expanded)
    except (TooComplexError, UnicodeEncodeError, *_TRACE_FAILURES):
        reference = None
    return AuditedCompile(reference, shape, problem)


def _reference_canonical(processor: Any, expanded: list[Any]) -> str:
    """pyld's node map and RDF conversion of ``expanded`` (what its ``to_rdf`` does
    after expanding), canonicalised with the native RDFC-1.0."""
    issuer = IdentifierIssuer("_:b")
    node_map: dict[str, Any] = {"@default": {}}
    processor._create_node_map(expanded, node_map, "@default", issuer)
    options = {"produceGeneralizedRdf": False, "processingMode": "json-ld-1.1"}
    labels: dict[str, int] = {}

    def term(component: dict[str, Any]) -> Term:
        kind = component["type"]
        value = str(component["value"])
        if kind == "blank node":
            label = labels.get(value)
            if label is None:
                label = labels[value] = len(labels)
            return label
        if kind == "IRI":
            return "<" + value + ">"
        return (
            '"'
            + escape_literal(value)
            + '"'
            + literal_suffix(component["datatype"], component.get("language"))
        )

    quads: list[Quad] = []
    for graph_name, graph in sorted(node_map.items()):
        if graph_name == "@default":
            graph_term: Term | None = None
        elif is_absolute_iri(graph_name):
            graph_term = term(
                {
                    "type": "blank node" if graph_name.startswith("_:") else "IRI",
                    "value": graph_name,
                }
            )
        else:
            continue
        for triple in processor._graph_to_rdf(graph, issuer, options):
            quads.append(
                (
                    term(triple["subject"]),
                    "<" + str(triple["predicate"]["value"]) + ">",
                    term(triple["object"]),
                    graph_term,
                )
            )
    return canonicalize(quads, len(labels))


# -- expanded form -> RDF with holes ---------------------------------------------------


class _Converter:
    def __init__(self, tracer: _Tracer) -> None:
        self.structural = set(tracer.structural)
        self.iri_contexts = tracer.iri_contexts
        self.terms: list[Term | None] = []
        # (term, leaf, kind, payload, the template's value)
        self.slots: list[tuple[int, int, int, Any, Any]] = []
        self.quads: list[QuadTemplate] = []
        self.object_keys: list[Any] = []
        self.template_values: dict[int, Any] = {}
        self.blank_count = 0
        self.labels: dict[str, int] = {}
        self._prefixes: dict[int, frozenset[str]] = {}

    def _term(self, term: Term | None) -> int:
        self.terms.append(term)
        return len(self.terms) - 1

    def _blank(self) -> int:
        self.blank_count += 1
        return self.blank_count - 1

    def _constant(self, value: Any) -> Any:
        index = _leaf_index(value)
        if index is not None:
            self.structural.add(index)
        return _plain(value)

    def _constant_iri(self, value: Any) -> Term:
        iri = self._constant(value)
        if not isinstance(iri, str):
            raise UnsupportedShape("an identifier is not a string")
        if iri.startswith("_:"):
            label = self.labels.get(iri)
            if label is None:
                label = self.labels[iri] = self._blank()
            return label
        if not is_absolute_iri(iri):
            raise UnsupportedShape("a relative IRI")
        return "<" + iri + ">"

    def _prefixes_for(self, contexts: list[Any]) -> frozenset[str]:
        out: set[str] = set()
        for ctx in contexts:
            cached = self._prefixes.get(id(ctx))
            if cached is None:
                cached = frozenset(
                    term
                    for term, mapping in ctx["mappings"].items()
                    if mapping and mapping.get("_prefix")
                )
                self._prefixes[id(ctx)] = cached
            out |= cached
        return frozenset(out)

    def _identifier(self, value: Any) -> int:
        index = _leaf_index(value)
        if (
            value.__class__ is _StrLeaf
            and index is not None
            and index in self.iri_contexts
            and index not in self.structural
        ):
            prefixes = self._prefixes_for(self.iri_contexts[index])
            if iri_unchanged(str(value), prefixes):
                term = self._term(None)
                self.slots.append((term, index, SLOT_IRI, prefixes, value))
                return term
        return self._term(self._constant_iri(value))

    def _quad(self, subject: int, predicate: str, target: int, key: Any, graph: int | None) -> None:
        self.quads.append((subject, predicate, target, graph))
        self.object_keys.append(key)

    def node(self, obj: Any, graph: int | None = None) -> int:
        """Statements of a node object (in ``graph``, a term index or None for the
        default graph); returns the term index of its subject."""
        if not isinstance(obj, dict) or "@value" in obj or "@list" in obj:
            raise UnsupportedShape("expected a node object")
        for key in obj:
            if key.startswith("@") and key not in _NODE_KEYWORDS:
                raise UnsupportedShape(f"{key} is not compiled")
        subject = self._identifier(obj["@id"]) if "@id" in obj else self._term(self._blank())
        for type_ in obj.get("@type", ()):
            if not isinstance(type_, str) or type_.startswith("_:"):
                raise UnsupportedShape("a blank node type")
            target = self._term(self._constant_iri(type_))
            self._quad(subject, _RDF_TYPE_TERM, target, None, graph)
        for prop, items in obj.items():
            if prop in ("@id", "@type"):
                continue
            if not isinstance(items, list):
                raise UnsupportedShape("a property value that is not an array")
            if prop == "@graph":
                # JSON-LD 1.1 API 7.2 (node map): the node names a graph holding these.
                for item in items:
                    self.node(item, subject)
                continue
            if prop.startswith("_:") or not is_absolute_iri(prop):
                raise UnsupportedShape("a property that is not an absolute IRI")
            predicate = "<" + str(prop) + ">"
            for item in items:
                target, key = self._object(item, graph)
                self._quad(subject, predicate, target, key, graph)
        return subject

    def _object(self, item: Any, graph: int | None) -> tuple[int, Any]:
        if not isinstance(item, dict):
            raise UnsupportedShape("a bare value in expanded form")
        if "@value" in item:
            return self._literal(item)
        if "@list" in item:
            return self._list(item, graph)
        return self.node(item, graph), None

    def _list(self, item: dict[str, Any], graph: int | None) -> tuple[int, Any]:
        """An RDF collection (JSON-LD 1.1 API 8.4, List to RDF Conversion): a chain of
        blank nodes with ``rdf:first``/``rdf:rest``, ending in ``rdf:nil``."""
        if len(item) != 1 or not isinstance(item["@list"], list):
            raise UnsupportedShape("a list object with other entries")
        # A list is never merged with another one: give it a key of its own.
        key = ("list", len(self.quads), id(item))
        items = item["@list"]
        if not items:
            return self._term(_RDF_NIL_TERM), key
        head = self._term(self._blank())
        current = head
        for position, member in enumerate(items):
            target, member_key = self._object(member, graph)
            self._quad(current, _RDF_FIRST_TERM, target, member_key, graph)
            if position == len(items) - 1:
                self._quad(current, _RDF_REST_TERM, self._term(_RDF_NIL_TERM), None, graph)
            else:
                following = self._term(self._blank())
                self._quad(current, _RDF_REST_TERM, following, None, graph)
                current = following
        return head, key

    def _literal(self, item: dict[str, Any]) -> tuple[int, Any]:
        """The object term of a value object and how the node map compares it."""
        for key in item:
            if key not in _VALUE_KEYWORDS:
                raise UnsupportedShape(f"{key} in a value object is not compiled")
        value = item["@value"]
        datatype = item.get("@type")
        language = item.get("@language")
        if datatype is not None:
            datatype = self._constant(datatype)
            if (
                not isinstance(datatype, str)
                or datatype.startswith("_:")
                or not is_absolute_iri(datatype)
            ):
                raise UnsupportedShape("a datatype that is not an absolute IRI")
        if language is not None:
            language = self._constant(language)
            if not isinstance(language, str) or datatype is not None:
                raise UnsupportedShape("an unusual language tag")
        index = _leaf_index(value)
        plain = _plain(value)
        if isinstance(plain, bool):  # booleans are never tagged: part of the skeleton
            bool_key = ("lit", datatype, language, ("bool", plain))
            return self._term(literal_term(plain, datatype, language)), bool_key
        if not isinstance(plain, str | int | float):
            raise UnsupportedShape("an unusual literal value")
        constant = literal_term(plain, datatype, language)
        if index is None or index in self.structural or index in self.iri_contexts:
            if index is not None:
                self.structural.add(index)
            return self._term(constant), ("lit", datatype, language, plain)
        term = self._term(None)
        self.template_values[index] = plain
        if isinstance(plain, str) and datatype != XSD_DOUBLE:
            if language is not None:
                suffix = literal_suffix(RDF_LANGSTRING, language)
            else:
                suffix = literal_suffix(datatype or XSD_STRING, None)
            self.slots.append((term, index, SLOT_STRING, suffix, constant))
        else:
            self.slots.append((term, index, SLOT_LITERAL, (datatype, language), constant))
        return term, ("slot", index, datatype, language)

    def finish(self, leaf_count: int) -> CompiledShape:
        slots: list[Slot] = []
        free: set[int] = set()
        for term, leaf, kind, payload, template_value in self.slots:
            if leaf in self.structural:
                # The same value also acts structurally: bake the template's value in.
                self.terms[term] = (
                    self._constant_iri(template_value) if kind == SLOT_IRI else template_value
                )
            else:
                slots.append(Slot(term, leaf, kind, payload))
                free.add(leaf)
        structural = [i for i in range(leaf_count) if i not in free]
        keys = [
            ("lit", key[2], key[3], _plain(self.template_values[key[1]]))
            if key is not None and key[0] == "slot" and key[1] in self.structural
            else key
            for key in self.object_keys
        ]
        return CompiledShape.build(
            structural, self.terms, slots, self.quads, self.blank_count, keys
        )
