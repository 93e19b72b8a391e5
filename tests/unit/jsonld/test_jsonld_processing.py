"""expand / canonize: official canonical N-Quads, error translation, hostile input."""

from __future__ import annotations

import socket
import types
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from jsonld_testkit import (
    loader_with_examples_v2,
    ob_credential,
    standards_json,
    standards_text,
)

from microcred.errors import JsonLdError, UndefinedTermError, UnknownContextError
from microcred.jsonld import urls
from microcred.jsonld.processing import (
    MAX_DEPTH,
    audit_document,
    canonize,
    expand,
    find_undefined_terms,
)
from microcred.jsonld.protocols import RemoteDocument
from microcred.jsonld.static_loader import StaticDocumentLoader

LOADER = StaticDocumentLoader.bundled()
UNKNOWN = "https://contexts.example.com/never-bundled/v1"


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any attempt to resolve a host or open a connection fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    yield


# -- official canonical forms, byte for byte ----------------------------------------------------


def test_w3c_eddsa_vector_document_canonizes_to_the_official_nquads() -> None:
    document = standards_json("vc-di-eddsa/TestVectors/unsigned.json")
    expected = standards_text("vc-di-eddsa/TestVectors/eddsa-rdfc-2022/canonDocDataInt.txt")
    assert canonize(document, loader_with_examples_v2()) == expected


def test_w3c_eddsa_vector_proof_options_canonize_to_the_official_nquads() -> None:
    options = standards_json("vc-di-eddsa/TestVectors/eddsa-rdfc-2022/proofConfigDataInt.json")
    expected = standards_text("vc-di-eddsa/TestVectors/eddsa-rdfc-2022/proofCanonDataInt.txt")
    assert canonize(options, loader_with_examples_v2()) == expected


def test_open_badges_vector_canonizes_to_the_official_nquads() -> None:
    document = standards_json("openbadges/test-vectors/obv3p0/unsigned.json")
    expected = standards_text("openbadges/test-vectors/obv3p0/document-canon.txt")
    assert canonize(document, LOADER) == expected


def test_open_badges_vector_proof_options_canonize_to_the_official_nquads() -> None:
    document = standards_json("openbadges/test-vectors/obv3p0/unsigned.json")
    options = dict(standards_json("openbadges/test-vectors/obv3p0/proofOptions.json"))
    options["@context"] = document["@context"]
    expected = standards_text("openbadges/test-vectors/obv3p0/proof-canon.txt")
    assert canonize(options, LOADER) == expected


def test_clr_vector_canonizes_to_the_official_nquads() -> None:
    document = standards_json("openbadges/test-vectors/clrv2p0/unsigned.json")
    expected = standards_text("openbadges/test-vectors/clrv2p0/document-canon.txt")
    assert canonize(document, LOADER) == expected


def test_legacy_ed25519_signature_2020_vector_canonizes_to_the_official_nquads() -> None:
    """Our Ed25519Signature2020 context (from the registry) yields the W3C vector's N-Quads."""
    signed = standards_json("vc-di-eddsa/TestVectors/Ed25519Signature2020/signedEdSig.json")
    unsigned = {key: value for key, value in signed.items() if key != "proof"}
    loader = loader_with_examples_v2()
    expected_doc = standards_text("vc-di-eddsa/TestVectors/Ed25519Signature2020/canonDocEdSig.txt")
    assert canonize(unsigned, loader) == expected_doc
    options = standards_json("vc-di-eddsa/TestVectors/Ed25519Signature2020/proofConfigEdSig.json")
    expected = standards_text("vc-di-eddsa/TestVectors/Ed25519Signature2020/proofCanonEdSig.txt")
    assert canonize(options, loader) == expected


def test_canonize_output_is_sorted_nquads() -> None:
    nquads = canonize(ob_credential(), LOADER)
    lines = nquads.splitlines()
    assert nquads.endswith("\n")
    assert lines == sorted(lines)
    assert all(line.endswith(" .") for line in lines)


def test_expand_returns_a_list_of_node_objects() -> None:
    expanded = expand(ob_credential(), LOADER)
    assert isinstance(expanded, list) and len(expanded) == 1
    node = expanded[0]
    assert node["@id"] == "urn:uuid:91537dba-56cb-11ec-bf63-0242ac130002"
    assert "https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential" in node["@type"]


def test_results_do_not_depend_on_call_order_or_loader_instance() -> None:
    document = ob_credential()
    first = canonize(document, LOADER)
    fresh = StaticDocumentLoader.bundled().with_documents({})
    assert canonize(document, fresh) == first
    assert canonize(document, LOADER, safe=False) == first


def test_input_is_not_modified() -> None:
    document = ob_credential()
    before = ob_credential()
    canonize(document, LOADER)
    expand(document, LOADER)
    audit_document(document, LOADER)
    assert document == before


def test_mappings_and_tuples_are_accepted_as_json() -> None:
    document = ob_credential()
    frozen = types.MappingProxyType(
        {**document, "@context": tuple(document["@context"]), "type": tuple(document["type"])}
    )
    assert canonize(frozen, LOADER) == canonize(document, LOADER)


def test_a_top_level_array_of_documents() -> None:
    first, second = ob_credential(), ob_credential()
    second["id"] = "urn:uuid:00000000-0000-4000-8000-000000000002"
    assert find_undefined_terms([first, second], LOADER) == []
    second["credentialSubject"]["shoeSize"] = 1
    assert find_undefined_terms([first, second], LOADER) == ["shoeSize"]


# -- contexts are never fetched -------------------------------------------------------------


@pytest.mark.parametrize("call", [canonize, expand, find_undefined_terms, audit_document])
def test_an_unknown_remote_context_raises_and_never_touches_the_network(
    call: Any, no_network: None
) -> None:
    document = ob_credential()
    document["@context"].append(UNKNOWN)
    with pytest.raises(UnknownContextError) as info:
        call(document, LOADER)
    assert UNKNOWN in info.value.detail
    assert info.value.extra["url"] == UNKNOWN


def test_unknown_context_with_safe_mode_off_also_raises(no_network: None) -> None:
    with pytest.raises(UnknownContextError):
        canonize({"@context": UNKNOWN, "a": 1}, LOADER, safe=False)


def test_an_import_of_an_unbundled_context_raises(no_network: None) -> None:
    document = {"@context": [urls.VC_V2, {"@import": UNKNOWN}], "type": "VerifiableCredential"}
    with pytest.raises(UnknownContextError, match="never-bundled"):
        canonize(document, LOADER)


def test_a_nested_unknown_context_raises(no_network: None) -> None:
    document = ob_credential()
    document["credentialSubject"]["@context"] = UNKNOWN
    with pytest.raises(UnknownContextError):
        find_undefined_terms(document, LOADER)


def test_an_import_cannot_poison_the_loader_cache() -> None:
    """pyld merges an @import into the imported context object; that must stay private."""
    hostile = {
        "@context": [{"@import": urls.VC_V2, "shoeSize": "https://evil.example/shoeSize"}],
        "type": "VerifiableCredential",
        "shoeSize": 44,
    }
    assert find_undefined_terms(hostile, LOADER) == []
    assert "evil.example" in canonize(hostile, LOADER)
    victim = ob_credential()
    victim["shoeSize"] = 44
    assert find_undefined_terms(victim, LOADER) == ["shoeSize"]
    assert "evil.example" not in canonize(victim, LOADER, safe=False)


def test_an_extra_document_using_import_cannot_poison_the_cache() -> None:
    extra_url = "https://example.com/importing-context"
    loader = LOADER.with_documents(
        {extra_url: {"@context": {"@import": urls.VC_V2, "shoeSize": "https://evil.example/s"}}}
    )
    assert loader.has_import
    document = {"@context": [extra_url], "type": "VerifiableCredential", "shoeSize": 1}
    assert find_undefined_terms(document, loader) == []
    victim = ob_credential()
    victim["shoeSize"] = 44
    assert find_undefined_terms(victim, loader) == ["shoeSize"]


def test_a_plain_function_loader_works_and_its_errors_pass_through() -> None:
    calls: list[str] = []

    def loader(url: str, options: dict[str, Any] | None = None) -> RemoteDocument:
        calls.append(url)
        if url != "https://example.com/ctx":
            raise UnknownContextError(f"no {url}", url=url)
        document = {"@context": {"name": "https://schema.org/name"}}
        return {"contextUrl": None, "documentUrl": url, "document": document}

    document = {"@context": "https://example.com/ctx", "name": "x"}
    assert canonize(document, loader) == '_:c14n0 <https://schema.org/name> "x" .\n'
    assert calls
    with pytest.raises(UnknownContextError, match="no https://example.com/other"):
        canonize({"@context": "https://example.com/other", "name": "x"}, loader)


# -- invalid and hostile input --------------------------------------------------------------


def test_invalid_jsonld_becomes_a_jsonld_error_with_the_pyld_code() -> None:
    with pytest.raises(JsonLdError) as info:
        canonize({"@context": 5, "a": 1}, LOADER)
    assert not isinstance(info.value, UndefinedTermError)
    assert "invalid local context" in info.value.detail
    assert info.value.extra["jsonld_code"] == "invalid local context"


def test_redefining_a_protected_term_is_an_error() -> None:
    document = ob_credential()
    document["@context"].append({"name": "https://evil.example/name"})
    with pytest.raises(JsonLdError, match="protected term redefinition"):
        canonize(document, LOADER)


def test_nullifying_a_protected_context_is_an_error() -> None:
    document = ob_credential()
    document["credentialSubject"]["@context"] = None
    with pytest.raises(JsonLdError, match="invalid context nullification"):
        find_undefined_terms(document, LOADER)


@pytest.mark.parametrize(
    "bad",
    [
        "a string",
        b"bytes",
        5,
        None,
        {"@context": urls.VC_V2, "a": {1, 2}},
        {"@context": urls.VC_V2, "a": float("nan")},
        {"@context": urls.VC_V2, "a": float("inf")},
        {"@context": urls.VC_V2, 1: "non-string key"},
        {"@context": urls.VC_V2, "a": object()},
    ],
)
def test_non_json_input_is_rejected(bad: Any) -> None:
    for call in (canonize, expand, find_undefined_terms):
        with pytest.raises(JsonLdError):
            call(bad, LOADER)


def nested_objects(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"leaf": 1}
    for _ in range(depth - 1):
        node = {"child": node}
    return node


def nested_lists(depth: int) -> Any:
    node: Any = 1
    for _ in range(depth - 1):
        node = [node]
    return node


def test_input_at_the_depth_limit_is_processed() -> None:
    document = {"@context": {"@vocab": "https://example.com/#"}, **nested_objects(MAX_DEPTH - 1)}
    assert find_undefined_terms(document, LOADER) == []
    assert canonize(document, LOADER)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5_000, 200_000])
def test_deeply_nested_objects_get_a_clear_error(depth: int) -> None:
    document = {"@context": {"@vocab": "https://example.com/#"}, **nested_objects(depth)}
    for call in (canonize, expand, find_undefined_terms):
        with pytest.raises(JsonLdError, match="nested more than"):
            call(document, LOADER)


def test_deeply_nested_arrays_get_a_clear_error() -> None:
    document = {"@context": {"@vocab": "https://example.com/#"}, "a": nested_lists(10_000)}
    with pytest.raises(JsonLdError, match="nested more than"):
        canonize(document, LOADER, safe=False)


def test_deeply_nested_context_definitions_are_limited_too() -> None:
    context: dict[str, Any] = {"@vocab": "https://example.com/#"}
    for _ in range(MAX_DEPTH + 5):
        context = {"t": {"@id": "https://example.com/t", "@context": context}}
    with pytest.raises(JsonLdError, match="nested more than"):
        canonize({"@context": context, "a": 1}, LOADER)


def test_concurrent_use_of_one_loader_gives_the_serial_results() -> None:
    loader = StaticDocumentLoader.bundled().with_documents({})
    documents = []
    for index in range(8):
        document = ob_credential()
        document["name"] = f"Badge {index}"
        documents.append(document)
    expected = [canonize(document, StaticDocumentLoader.bundled()) for document in documents]

    def work(index: int) -> str:
        return canonize(documents[index % len(documents)], loader)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(work, range(48)))
    assert results == [expected[i % len(documents)] for i in range(48)]


def test_a_loader_error_with_its_own_constructor_still_surfaces() -> None:
    class ShelfError(UnknownContextError):
        def __init__(self, shelf: int) -> None:
            super().__init__(f"shelf {shelf} is empty", shelf=shelf)

    def loader(url: str, options: dict[str, Any] | None = None) -> RemoteDocument:
        raise ShelfError(7)

    with pytest.raises(JsonLdError, match="shelf 7 is empty") as info:
        canonize({"@context": "https://example.com/ctx", "a": 1}, loader)
    assert info.value.extra["shelf"] == 7
