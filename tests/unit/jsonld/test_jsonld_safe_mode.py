"""Safe mode: terms and IRIs that JSON-LD processing would silently drop are reported."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonld_testkit import loader_with_examples_v2, ob_credential, standards_json
from pyld import jsonld as pyld_jsonld

from microcred.errors import UndefinedTermError
from microcred.jsonld import urls
from microcred.jsonld.processing import (
    audit_document,
    canonize,
    expand,
    find_undefined_terms,
)
from microcred.jsonld.static_loader import StaticDocumentLoader

LOADER = StaticDocumentLoader.bundled()


def plain_pyld_canonize(document: Any, loader: Any = LOADER) -> str:
    options = {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        "documentLoader": loader,
    }
    result: str = pyld_jsonld.normalize(document, options)
    return result


# -- documents without problems ----------------------------------------------------------------


def test_a_fully_defined_credential_has_no_problems() -> None:
    assert find_undefined_terms(ob_credential(), LOADER) == []
    report = audit_document(ob_credential(), LOADER)
    assert report.ok
    assert report.problems == []


def test_the_official_ob_vector_has_no_problems() -> None:
    document = standards_json("openbadges/test-vectors/obv3p0/unsigned.json")
    assert find_undefined_terms(document, LOADER) == []


def test_terms_mapped_by_a_vocab_are_defined() -> None:
    document = standards_json("vc-di-eddsa/TestVectors/unsigned.json")
    loader = loader_with_examples_v2()
    assert urls.VC_EXAMPLES_V2 in document["@context"]
    assert find_undefined_terms(document, loader) == []


def test_an_inline_vocab_defines_every_term_after_it() -> None:
    document = ob_credential()
    document["@context"].append({"@vocab": "https://example.com/vocab#"})
    document["shoeSize"] = 42
    document["credentialSubject"]["favouriteColour"] = "blue"
    assert find_undefined_terms(document, LOADER) == []
    assert "<https://example.com/vocab#shoeSize>" in canonize(document, LOADER)


def test_terms_inside_a_json_literal_are_not_terms() -> None:
    document = ob_credential()
    document["@context"].append(
        {"payload": {"@id": "https://example.com/payload", "@type": "@json"}}
    )
    document["credentialSubject"]["payload"] = {
        "anything": {"nested": [1, 2, {"@context": None, "deeper": True}]},
        "type": "NotAType",
    }
    assert find_undefined_terms(document, LOADER) == []
    nquads = canonize(document, LOADER)
    assert "rdf-syntax-ns#JSON" in nquads
    assert nquads == plain_pyld_canonize(document)


def test_absolute_iris_and_compact_iris_are_not_terms() -> None:
    document = ob_credential()
    document["https://example.com/custom#property"] = "x"
    document["credentialSubject"]["ex:thing"] = "y"  # "ex" is read as an IRI scheme
    assert find_undefined_terms(document, LOADER) == []


# -- undefined terms ------------------------------------------------------------------------


def test_undefined_top_level_property() -> None:
    document = ob_credential()
    document["shoeSize"] = 42
    assert find_undefined_terms(document, LOADER) == ["shoeSize"]
    report = audit_document(document, LOADER)
    assert report.locations["shoeSize"] == ("/shoeSize",)


def test_undefined_property_in_credential_subject() -> None:
    document = ob_credential()
    document["credentialSubject"]["shoeSize"] = 42
    assert find_undefined_terms(document, LOADER) == ["shoeSize"]


def test_undefined_property_in_an_object_nested_inside_credential_subject() -> None:
    document = ob_credential()
    document["credentialSubject"]["achievement"]["criteria"]["secretNote"] = "x"
    report = audit_document(document, LOADER)
    assert report.undefined_terms == ("secretNote",)
    assert report.locations["secretNote"] == ("/credentialSubject/achievement/criteria/secretNote",)


def test_undefined_type_value() -> None:
    document = ob_credential()
    document["type"].append("FancyCredential")
    report = audit_document(document, LOADER)
    assert report.undefined_terms == ("FancyCredential",)
    assert report.locations["FancyCredential"] == ("/type/2",)


def test_undefined_type_on_a_nested_node() -> None:
    document = ob_credential()
    document["credentialSubject"]["achievement"]["type"] = ["Achievement", "Trophy"]
    assert find_undefined_terms(document, LOADER) == ["Trophy"]


def test_undefined_value_of_a_vocab_typed_property() -> None:
    proof_options = {
        "@context": [urls.VC_V2],
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "proofPurpose": "impersonation",
        "verificationMethod": "did:example:123#key-1",
    }
    assert find_undefined_terms(proof_options, LOADER) == ["impersonation"]
    proof_options["proofPurpose"] = "assertionMethod"
    assert find_undefined_terms(proof_options, LOADER) == []


def test_several_problems_are_all_reported_sorted() -> None:
    document = ob_credential()
    document["zeta"] = 1
    document["alpha"] = 2
    document["credentialSubject"]["alpha"] = 3
    report = audit_document(document, LOADER)
    assert report.undefined_terms == ("alpha", "zeta")
    assert report.locations["alpha"] == ("/alpha", "/credentialSubject/alpha")


def test_a_document_without_context_has_only_undefined_terms() -> None:
    # without a context even "type" is just an undefined term
    assert find_undefined_terms({"name": "x", "type": "Thing"}, LOADER) == ["name", "type"]
    assert find_undefined_terms({"name": "x", "@type": "Thing"}, LOADER) == ["Thing", "name"]


def test_keyword_like_keys_are_reported() -> None:
    document = ob_credential()
    document["@comment"] = "JSON-LD ignores this key"
    assert find_undefined_terms(document, LOADER) == ["@comment"]


def test_a_null_context_inside_the_document_does_not_hide_terms() -> None:
    document = {
        "@context": {"@vocab": "https://example.com/vocab#"},
        "outer": {"@context": None, "inner": 1},
    }
    assert find_undefined_terms(document, LOADER) == ["inner"]


def test_a_presentation_reports_terms_of_the_credentials_inside() -> None:
    credential = ob_credential()
    credential["credentialSubject"]["shoeSize"] = 42
    presentation = {
        "@context": [urls.VC_V2],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [credential],
    }
    report = audit_document(presentation, LOADER)
    assert report.undefined_terms == ("shoeSize",)
    assert report.locations["shoeSize"] == ("/verifiableCredential/0/credentialSubject/shoeSize",)


def test_a_clean_presentation_canonizes_like_pyld() -> None:
    presentation = {
        "@context": [urls.VC_V2],
        "type": ["VerifiablePresentation"],
        "holder": "did:example:holder",
        "verifiableCredential": [ob_credential()],
    }
    assert find_undefined_terms(presentation, LOADER) == []
    assert canonize(presentation, LOADER) == plain_pyld_canonize(presentation)


def test_the_older_ob_context_lacks_endorsement_jwt() -> None:
    document = ob_credential()
    document["credentialSubject"]["achievement"]["endorsementJwt"] = ["eyJ..."]
    assert find_undefined_terms(document, LOADER) == []
    document["@context"][1] = urls.OB_V3P0_3_0_2
    assert find_undefined_terms(document, LOADER) == ["endorsementJwt"]


# -- identifiers that are not absolute IRIs ---------------------------------------------------


def test_relative_id_is_reported() -> None:
    document = ob_credential()
    document["id"] = "credential-17"
    report = audit_document(document, LOADER)
    assert report.undefined_terms == ()
    assert report.unresolvable_iris == ("credential-17",)
    assert report.locations["credential-17"] == ("/id",)
    assert find_undefined_terms(document, LOADER) == ['relative IRI "credential-17"']


@pytest.mark.parametrize("value", ["", "#me", "../up", "?query=1", "issuers/1"])
def test_relative_references_of_every_shape_are_reported(value: str) -> None:
    document = ob_credential()
    document["issuer"]["id"] = value
    assert audit_document(document, LOADER).unresolvable_iris, value


def test_an_iri_with_a_space_is_reported() -> None:
    document = ob_credential()
    document["credentialSubject"]["id"] = "https://example.com/learner 1"
    report = audit_document(document, LOADER)
    assert report.unresolvable_iris == ("https://example.com/learner 1",)


def test_a_blank_node_property_is_reported() -> None:
    document = {"@context": {"secret": "_:secret"}, "@id": "https://example.com/s", "secret": 1}
    assert audit_document(document, LOADER).unresolvable_iris == ("_:secret",)


def test_a_document_base_makes_relative_ids_absolute() -> None:
    document = {
        "@context": {"@base": "https://example.com/", "name": "https://schema.org/name"},
        "@id": "things/1",
        "name": "x",
    }
    assert find_undefined_terms(document, LOADER) == []
    assert canonize(document, LOADER).startswith("<https://example.com/things/1>")


# -- raising, and the safe=False escape hatch -------------------------------------------------


def test_safe_canonize_and_expand_raise_naming_the_terms() -> None:
    document = ob_credential()
    document["credentialSubject"]["shoeSize"] = 42
    document["id"] = "relative"
    for call in (canonize, expand):
        with pytest.raises(UndefinedTermError) as info:
            call(document, LOADER)
        error = info.value
        assert "'shoeSize' (at /credentialSubject/shoeSize)" in error.detail
        assert "'relative' (at /id)" in error.detail
        problem = error.to_problem()
        assert problem["terms"] == ["shoeSize"]
        assert problem["unresolvable_iris"] == ["relative"]
        assert problem["type"].endswith("undefined-term")


def test_unsafe_canonize_silently_drops_what_safe_mode_refuses() -> None:
    clean = ob_credential()
    dirty = ob_credential()
    dirty["credentialSubject"]["shoeSize"] = 42
    assert canonize(dirty, LOADER, safe=False) == canonize(clean, LOADER)
    with pytest.raises(UndefinedTermError):
        canonize(dirty, LOADER)


def test_safe_expand_equals_plain_pyld_expansion() -> None:
    document = ob_credential()
    expanded = expand(document, LOADER)
    assert expanded == pyld_jsonld.expand(document, {"documentLoader": LOADER})
    assert expand(document, LOADER, safe=False) == expanded


# -- properties ---------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3),
    max_leaves=8,
)
undefined_names = st.from_regex(r"zz[a-z][a-zA-Z0-9]{0,8}", fullmatch=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=json_scalars, description=json_values, narrative=st.text(max_size=40))
def test_defined_values_canonize_exactly_like_pyld(
    name: Any, description: Any, narrative: str
) -> None:
    document = ob_credential()
    document["name"] = name
    achievement = document["credentialSubject"]["achievement"]
    achievement["description"] = description
    achievement["criteria"]["narrative"] = narrative
    assert canonize(document, LOADER) == plain_pyld_canonize(document)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    term=undefined_names,
    where=st.sampled_from(["top", "subject", "achievement", "criteria"]),
    value=json_values.filter(lambda v: v is not None and v != []),
)
def test_any_undefined_property_anywhere_is_reported(term: str, where: str, value: Any) -> None:
    document = ob_credential()
    target = {
        "top": document,
        "subject": document["credentialSubject"],
        "achievement": document["credentialSubject"]["achievement"],
        "criteria": document["credentialSubject"]["achievement"]["criteria"],
    }[where]
    target[term] = value
    assert find_undefined_terms(document, LOADER) == [term]
