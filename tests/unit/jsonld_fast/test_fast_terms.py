"""Term rendering against pyld's own functions, on random input."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pyld import jsonld as pyld
from pyld.nquads import serialize_nquad

from microcred.jsonld.fast.terms import (
    RDF_LANGSTRING,
    XSD_DOUBLE,
    XSD_INTEGER,
    XSD_STRING,
    canonical_double,
    escape_literal,
    iri_unchanged,
    literal_term,
)

DATATYPES = [
    None,
    XSD_STRING,
    XSD_DOUBLE,
    XSD_INTEGER,
    "http://www.w3.org/2001/XMLSchema#float",
    "http://www.w3.org/2001/XMLSchema#dateTime",
    RDF_LANGSTRING,
]
finite = st.floats(allow_nan=False, allow_infinity=False)
values = st.one_of(
    st.text(),
    st.integers(-(10**25), 10**25),
    finite,
    st.booleans(),
    st.sampled_from(["1.5", " 7 ", "1_000", "nan", "inf", "-0", "x"]),
)


def _pyld_literal(value: Any, datatype: str | None, language: str | None) -> str | None:
    item: dict[str, Any] = {"@value": value}
    if datatype is not None:
        item["@type"] = datatype
    if language is not None:
        item["@language"] = language
    processor = pyld.JsonLdProcessor()
    obj = processor._object_to_rdf(item, None, [], {"processingMode": "json-ld-1.1"})
    triple = {
        "subject": {"type": "IRI", "value": "urn:s"},
        "predicate": {"type": "IRI", "value": "urn:p"},
        "object": obj,
    }
    line: str = serialize_nquad(triple)
    return line[len("<urn:s> <urn:p> ") : -len(" .\n")]


@settings(max_examples=400, deadline=None)
@given(values, st.sampled_from(DATATYPES))
def test_typed_literals_match_pyld(value: Any, datatype: str | None) -> None:
    try:
        expected = _pyld_literal(value, datatype, None)
    except OverflowError:
        expected = "overflow"
    try:
        got = literal_term(value, datatype, None)
    except OverflowError:
        got = "overflow"
    assert got == expected


@settings(max_examples=200, deadline=None)
@given(st.text(), st.sampled_from(["en", "de-CH", "", "x-private"]))
def test_language_tagged_literals_match_pyld(value: str, language: str) -> None:
    assert literal_term(value, None, language) == _pyld_literal(value, None, language)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_escaping_matches_pyld(value: str) -> None:
    from pyld.nquads import escape

    assert escape_literal(value) == escape(value)


@settings(max_examples=300, deadline=None)
@given(st.one_of(finite, st.integers(-(10**300), 10**300)))
def test_canonical_doubles_match_pyld(value: float | int) -> None:
    assert canonical_double(value) == pyld._canonicalize_double(value)


_CONTEXT = {
    "@context": {
        "ex": "https://example.org/",
        "term": "https://example.org/term",
        "noprefix": {"@id": "https://example.org/np", "@prefix": False},
        "nulled": None,
    }
}
_PREFIXES = frozenset({"ex"})

iri_like = st.builds(
    lambda a, b: a + b,
    st.sampled_from(
        [
            "https://",
            "http:",
            "ex:",
            "term:",
            "noprefix:",
            "nulled:",
            "_:",
            "urn:",
            ":",
            "@",
            "",
            "did:example:",
            "ex://",
            "a b:",
            "x",
            "HTTP://",
        ]
    ),
    st.text(alphabet="abc/:#?. \t\n>é@", max_size=8),
)


@settings(max_examples=500, deadline=None)
@given(iri_like)
def test_iri_unchanged_agrees_with_pyld_iri_expansion(value: str) -> None:
    processor = pyld.JsonLdProcessor()
    options = {"documentLoader": None, "processingMode": "json-ld-1.1"}
    ctx = processor.process_context(processor._get_initial_context(options), _CONTEXT, options)
    prefixes = {t for t, m in ctx["mappings"].items() if m and m.get("_prefix")}
    assert prefixes == _PREFIXES
    if iri_unchanged(value, prefixes):
        assert processor._expand_iri(ctx, value, base="") == value
        assert pyld._is_absolute_iri(value)
        assert not value.startswith("_:")
