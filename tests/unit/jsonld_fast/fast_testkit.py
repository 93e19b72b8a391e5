"""Helpers for the compiled-shape canonicaliser tests: outcomes of both paths, sample
documents, and hypothesis strategies that change values but keep (or break) the shape."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from microcred.jsonld.fast import FastCanonizer
from microcred.jsonld.fast.terms import is_absolute_iri
from microcred.jsonld.processing import canonize
from microcred.jsonld.static_loader import StaticDocumentLoader

REPO_ROOT = Path(__file__).resolve().parents[3]
BENCHMARK_CREDENTIAL = REPO_ROOT / "benchmarks" / "data" / "ob3-credential.json"

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
DI_V2 = "https://w3id.org/security/data-integrity/v2"


def outcome(fn: Any, document: Any, loader: Any) -> tuple[str, Any]:
    """("ok", N-Quads) or ("error", exception type name)."""
    try:
        return "ok", fn(document, loader, safe=True)
    except Exception as exc:  # both paths must fail the same way, whatever the error
        return "error", type(exc).__name__


def assert_same(fast: FastCanonizer, document: Any, loader: Any) -> tuple[str, Any]:
    expected = outcome(canonize, copy.deepcopy(document), loader)
    got = outcome(fast, document, loader)
    assert got == expected, json.dumps(document, ensure_ascii=True)[:2000]
    assert fast.stats.mismatches == 0, fast.stats.compile_problems
    return got


def ob_credential() -> dict[str, Any]:
    return json.loads(BENCHMARK_CREDENTIAL.read_text(encoding="utf-8"))


INLINE_CONTEXT: dict[str, Any] = {
    "ex": "https://example.org/vocab#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "schema": "https://schema.org/",
    "Thing": "ex:Thing",
    "Other": "ex:Other",
    "title": {"@id": "ex:title", "@language": "en"},
    "label": "ex:label",
    "homepage": {"@id": "ex:homepage", "@type": "@id"},
    "kind": {"@id": "ex:kind", "@type": "@vocab"},
    "when": {"@id": "ex:when", "@type": "xsd:dateTime"},
    "score": {"@id": "ex:score", "@type": "xsd:double"},
    "count": {"@id": "ex:count", "@type": "xsd:integer"},
    "ratio": {"@id": "ex:ratio", "@type": "xsd:decimal"},
    "flag": {"@id": "ex:flag", "@type": "xsd:boolean"},
    "plain": "ex:plain",
    "names": {"@id": "ex:names", "@container": "@language"},
    "tags": {"@id": "ex:tags", "@container": "@set"},
    "note": {"@id": "ex:note", "@language": None},
    "part": {"@id": "ex:part", "@context": {"detail": "ex:detail"}},
    "related": {"@id": "ex:related", "@type": "@id"},
    "steps": {"@id": "ex:steps", "@container": "@list"},
}


def inline_credential() -> dict[str, Any]:
    """A VC 2.0 credential with an inline context exercising many term definitions."""
    return {
        "@context": [VC_V2, copy.deepcopy(INLINE_CONTEXT)],
        "id": "urn:uuid:11111111-2222-4333-8444-555555555555",
        "type": ["VerifiableCredential"],
        "issuer": {"id": "did:example:issuer", "name": "Issuer"},
        "validFrom": "2024-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "did:example:subject",
            "type": "Thing",
            "title": "Hello",
            "label": "x",
            "homepage": "https://example.org/home",
            "kind": "Thing",
            "when": "2024-01-01T00:00:00Z",
            "score": 1.5,
            "count": 3,
            "ratio": "0.5",
            "flag": True,
            "plain": 42,
            "names": {"en": "Name", "fr": "Nom"},
            "tags": ["a", "b", "c"],
            "steps": ["one", 2, {"label": "three"}, "one"],
            "note": "n",
            "related": ["https://example.org/r1", "https://example.org/r2"],
            "part": {"detail": "d", "plain": 7.25, "label": "inner"},
            "ex:direct": "compact key",
            "https://example.org/vocab#full": "absolute key",
            "schema:name": {"@value": "typed", "@type": "xsd:token"},
            "schema:description": {"@value": "tagged", "@language": "de-CH"},
        },
    }


def presentation() -> dict[str, Any]:
    """A presentation of two signed credentials: named graphs inside named graphs."""

    def credential(n: int) -> dict[str, Any]:
        return {
            "@context": [VC_V2],
            "id": f"urn:uuid:00000000-0000-4000-8000-00000000000{n}",
            "type": ["VerifiableCredential"],
            "issuer": "did:example:issuer",
            "validFrom": "2024-01-01T00:00:00Z",
            "credentialSubject": {"id": f"did:example:subject{n}"},
            "proof": {
                "type": "DataIntegrityProof",
                "cryptosuite": "eddsa-rdfc-2022",
                "created": "2024-01-01T00:00:00Z",
                "verificationMethod": "did:example:issuer#key-1",
                "proofPurpose": "assertionMethod",
                "proofValue": "z3FXQjecWufY46yg5abdVZsXqLhxhueuSoZgNSARiKBk9czhSePTFehP8c3PGfb6a",
            },
        }

    return {
        "@context": [VC_V2],
        "type": ["VerifiablePresentation"],
        "holder": "did:example:holder",
        "verifiableCredential": [credential(1), credential(2)],
    }


def composed_credential() -> dict[str, Any]:
    """An EU micro-credential from our composer (lists, extension contexts)."""
    from datetime import UTC, datetime

    from microcred.definition import compose_credential
    from microcred.definition.samples import sample_achievement, sample_issuer
    from microcred.model import Result, hash_email

    return compose_credential(
        sample_achievement(),
        hash_email("ana.lopez@uni.example", salt="3f9c1a7be2d04c55"),
        sample_issuer(),
        credential_id="urn:uuid:8a6e2f2c-5d1b-4c39-9a55-0c4f3b7d2e11",
        valid_from=datetime(2024, 6, 28, 10, 0, tzinfo=UTC),
        result=[
            Result(
                result_description="https://uni.example/achievements/digital-content-creation#grade",
                value="Merit",
            )
        ],
    )


def proof_config(context: Any) -> dict[str, Any]:
    return {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2024-05-01T12:00:00Z",
        "verificationMethod": "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
        "#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        "proofPurpose": "assertionMethod",
        "@context": context,
    }


def bundled_loader() -> StaticDocumentLoader:
    return StaticDocumentLoader.bundled()


# -- values ----------------------------------------------------------------------------

_TRICKY = '"\\\n\r\t\x00\x01\x07\x0b\x0c\x1f\x7f\u2028\u2029\ufeff é€😀<>{}|^` '
_IRI_STARTS = [
    "https://",
    "http://",
    "urn:uuid:",
    "did:example:",
    "did:key:z6Mk",
    "urn:",
    "mailto:",
    "ex:",
    "xsd:",
    "schema:",
    "Thing",
    "_:",
    "_:b",
    "",
    "//",
    ":",
    "@",
    "#",
    "../",
    "HTTPS://",
    "a+b.c-d:",
]
_SPECIAL_STRINGS = [
    "",
    "@id",
    "@type",
    "@foo",
    "Thing",
    "Other",
    "ex:Thing",
    "_:b0",
    "_:c14n0",
    "http://relative-iri.microcred.invalid/x",
    "urn:microcred:undefined-term:x",
    "true",
    "1.5",
    "NaN",
    " 1e3 ",
    "1_000",
    "https://example.org/a b",
    "https://example.org/\n",
    "https://example.org/>",
    "\ud800",
]

strings = st.one_of(
    st.text(max_size=12),
    st.text(alphabet=_TRICKY, max_size=8),
    st.builds(
        lambda start, rest: start + rest,
        st.sampled_from(_IRI_STARTS),
        st.text(alphabet="abcz09/.-_:#?%~!$&'()*+,;=@" + ' \t\n"\\>é', max_size=10),
    ),
    st.datetimes().map(lambda d: d.isoformat() + "Z"),
    st.sampled_from(_SPECIAL_STRINGS),
)

valid_iris = st.builds(
    lambda start, rest: start + rest,
    st.sampled_from(
        [
            "https://",
            "http://",
            "urn:uuid:",
            "did:example:",
            "did:key:z6Mk",
            "urn:x:",
            "mailto:",
            "tag:",
            "HTTPS://",
            "a+b.c-d:",
        ]
    ),
    st.text(alphabet="abcXYZ0129/.-_:#?%~!$&'()*+,;=@é€\"<>\\^`{|}", max_size=16),
)

plain_numbers = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False, max_value=1e300, min_value=-1e300),
    st.sampled_from([0, -0.0, 0.0, 5.0, 1e21, 1e-7, 10**21, -(10**21), 2**53 + 1, 1e300]),
)
numbers = st.one_of(plain_numbers, st.integers(10**300, 10**310))

_FIXED_KEYS = frozenset({"@context", "type", "@type"})
# Values that select vocabulary terms or language tags: changed only now and then.
_MOSTLY_FIXED = frozenset({"kind", "@language", "proofPurpose"})


def _fixed(draw: Any, key: str) -> bool:
    if key in _FIXED_KEYS:
        return True
    return key in _MOSTLY_FIXED and draw(st.integers(0, 9)) != 0


@st.composite
def same_shape(draw: Any, template: Any) -> Any:
    """``template`` with every string/number replaced (types and keys kept, so the
    skeleton is the same except for booleans)."""

    def change(node: Any, key: str | None) -> Any:
        if isinstance(node, dict):
            return {k: (v if _fixed(draw, k) else change(v, k)) for k, v in node.items()}
        if isinstance(node, list):
            return [change(item, key) for item in node]
        if isinstance(node, bool):
            return draw(st.booleans())
        if isinstance(node, str):
            roll = draw(st.integers(0, 9))
            if roll == 0:
                return node
            if roll <= 8:
                return draw(valid_iris if is_absolute_iri(node) else st.text(max_size=16))
            return draw(strings)
        if isinstance(node, int | float):
            return draw(numbers if draw(st.integers(0, 19)) == 0 else plain_numbers)
        return node

    return change(template, None)


@st.composite
def other_shape(draw: Any, template: Any) -> Any:
    """``template`` with keys dropped, arrays resized, values of other JSON types."""

    def change(node: Any, depth: int) -> Any:
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                if _fixed(draw, k):
                    out[k] = v
                elif draw(st.integers(0, 19)) == 0:
                    continue  # a missing optional field
                else:
                    out[k] = change(v, depth + 1)
            return out
        if isinstance(node, list):
            items = [change(item, depth + 1) for item in node]
            action = draw(st.integers(0, 5))
            if action == 0 and items:
                items.pop(draw(st.integers(0, len(items) - 1)))
            elif action == 1 and items:
                items.append(copy.deepcopy(items[draw(st.integers(0, len(items) - 1))]))
            elif action == 2 and items and not isinstance(items[0], dict | list):
                items.append(draw(st.one_of(strings, numbers)))
            return items
        choice = draw(st.integers(0, 99))
        if choice == 0:
            return None
        if choice == 1:
            return draw(numbers)
        if choice == 2:
            return [draw(strings)]
        if choice == 3:
            return draw(st.booleans())
        return node  # values vary in same_shape

    return change(template, 0)


@st.composite
def shape_family(draw: Any, template: Any, size: int = 3) -> list[Any]:
    """A changed shape of ``template`` and ``size`` documents with its skeleton."""
    shape = draw(other_shape(template))
    return [shape] + [draw(same_shape(shape)) for _ in range(size)]
