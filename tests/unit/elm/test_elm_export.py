"""ELM v3 export: structure, every EU element, SHACL validation, comparison with Annex I."""

from __future__ import annotations

from typing import Any

import pytest
from elm_testkit import (
    ISSUER_DID,
    LEARNER_DID,
    load_sample,
    ob_credential,
    shacl_conforms,
)

from microcred.certificates.badge import badge_png
from microcred.elm import to_elm
from microcred.elm.reading import read_elm
from microcred.errors import InvalidInput

PNG = badge_png("Digital Content Creation", size=64)


def export(**changes: Any) -> dict[str, Any]:
    return to_elm(ob_credential(**changes), learner_name="Ana Andromeda", display_image=PNG)


def claim(doc: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = doc["credentialSubject"]["hasClaim"]
    return result


def test_export_is_a_european_digital_credential() -> None:
    doc = export()
    assert doc["@context"] == [
        "https://www.w3.org/2018/credentials/v1",
        "http://data.europa.eu/snb/model/context/edc-ap",
    ]
    assert doc["type"] == ["VerifiableCredential", "EuropeanDigitalCredential"]
    assert doc["issuer"]["id"] == ISSUER_DID
    assert doc["credentialSubject"]["id"] == LEARNER_DID
    assert doc["credentialSubject"]["fullName"] == {"en": "Ana Andromeda"}
    assert doc["issued"] == doc["issuanceDate"] == doc["validFrom"] == "2026-02-01T09:00:00Z"
    assert doc["identifier"]["notation"].startswith("https://uni.example/credentials/")
    assert doc["credentialSchema"]["id"] == "http://data.europa.eu/snb/model/ap/edc-generic-full"


def test_export_is_deterministic() -> None:
    assert export() == export()


def test_every_eu_element_is_carried() -> None:
    doc = export()
    spec = claim(doc)["specifiedBy"]
    assessment = claim(doc)["provenBy"]
    assert spec["eqfLevel"]["id"] == "http://data.europa.eu/snb/eqf/6"
    assert spec["creditPoint"][0]["point"] == "5"
    assert spec["creditPoint"][0]["framework"]["id"] == (
        "http://data.europa.eu/snb/education-credit/6fcec5c5af"
    )
    assert spec["volumeOfLearning"] == "PT125H"
    assert len(spec["learningOutcome"]) == 2
    assert spec["learningOutcome"][0]["relatedESCOSkill"][0]["id"].startswith(
        "http://data.europa.eu/esco/skill/"
    )
    assert spec["mode"]["id"] == "http://data.europa.eu/snb/learning-assessment/e92d221e4d"
    assert spec["entryRequirement"]["noteLiteral"]["en"].startswith("A bachelor")
    assert spec["isPartialQualification"] is True
    assert assessment["grade"]["noteLiteral"] == {"en": "Merit"}
    assert assessment["specifiedBy"]["dcType"]["prefLabel"]["en"].startswith("Online exam")
    assert assessment["idVerification"]["prefLabel"]["en"] == "Supervised with ID Verification"
    country = doc["issuer"]["location"]["address"]["countryCode"]
    assert country["id"] == "http://publications.europa.eu/resource/authority/country/IRL"
    view = read_elm(doc)
    assert view.missing == []
    values = {e.element_id: e.values for e in view.elements}
    assert values["notional_workload"] == ["5 ECTS", "PT125H"]
    assert values["level"] == ["EQF Level 6"]
    assert values["quality_assurance"][0].startswith("Quality assurance: Internal")
    assert all(e.present for e in view.elements), [e for e in view.elements if not e.present]


def test_not_an_achievement_credential_is_refused() -> None:
    doc = ob_credential()
    doc["credentialSubject"] = {"id": LEARNER_DID}
    with pytest.raises(InvalidInput, match="achievement"):
        to_elm(doc, display_image=PNG)


def test_unknown_country_is_refused_with_a_clear_message() -> None:
    doc = ob_credential()
    doc["issuer"]["address"]["addressCountryCode"] = "US"
    doc["credentialSubject"]["achievement"]["euStandardElements"].pop("issuerCountry")
    with pytest.raises(InvalidInput, match="'US'"):
        to_elm(doc, display_image=PNG)


def test_display_image_must_be_png() -> None:
    with pytest.raises(InvalidInput, match="PNG"):
        to_elm(ob_credential(), display_image=b"GIF89a")


def test_shacl_no_cv_shapes_accept_the_export() -> None:
    conforms, text = shacl_conforms(export(), ("EDC-generic-no-cv.ttl",))
    assert conforms, text


def test_shacl_full_shapes_accept_the_export() -> None:
    # EDC-generic-full.ttl owl:imports the no-cv shapes: both are loaded together
    conforms, text = shacl_conforms(export(), ("EDC-generic-no-cv.ttl", "EDC-generic-full.ttl"))
    assert conforms, text


def test_shacl_rejects_an_export_without_its_claim() -> None:
    doc = export()
    doc["credentialSubject"].pop("hasClaim")
    doc["issuer"].pop("legalName")
    conforms, text = shacl_conforms(doc, ("EDC-generic-no-cv.ttl",))
    assert not conforms
    assert "legalName" in text


def _shape(node: Any, depth: int = 0) -> set[tuple[str, ...]]:
    """(path of property names) for every property, ignoring ids and values."""
    found: set[tuple[str, ...]] = set()
    if isinstance(node, list):
        for item in node:
            found |= _shape(item, depth)
    elif isinstance(node, dict) and depth < 6:
        for key, value in node.items():
            found.add((key,))
            for sub in _shape(value, depth + 1):
                found.add((key, *sub))
    return found


def test_structure_matches_the_official_annex_i_sample() -> None:
    sample = load_sample("Sample-MC-Annex1-unsigned.jsonld")
    ours = export()
    # the same top-level classes and properties
    assert set(ours["type"]) == set(sample["type"])
    sample_top = set(sample) - {"displayParameter"}
    assert sample_top <= set(ours)
    # the same node classes along the Annex I paths
    for path in (
        ("credentialSubject", "type"),
        ("credentialSubject", "hasClaim", "type"),
        ("credentialSubject", "hasClaim", "awardedBy", "type"),
        ("credentialSubject", "hasClaim", "provenBy", "type"),
        ("credentialSubject", "hasClaim", "specifiedBy", "type"),
    ):
        a, b = sample, ours
        for key in path:
            a, b = a[key], b[key]
        assert a == b, path
    # every Annex I property path of the sample's claim is present in ours
    wanted = {
        ("awardedBy", "awardingBody", "legalName"),
        ("provenBy", "grade", "noteLiteral"),
        ("provenBy", "idVerification", "prefLabel"),
        ("provenBy", "specifiedBy", "dcType"),
        ("specifiedBy", "eqfLevel", "id"),
        ("specifiedBy", "creditPoint", "framework"),
        ("specifiedBy", "creditPoint", "point"),
        ("specifiedBy", "learningOutcome", "title"),
        ("specifiedBy", "learningOutcome", "relatedESCOSkill"),
        ("specifiedBy", "volumeOfLearning"),
        ("specifiedBy", "mode", "prefLabel"),
        ("specifiedBy", "learningSetting", "id"),
        ("specifiedBy", "entryRequirement", "noteLiteral"),
        ("specifiedBy", "isPartialQualification"),
        ("specifiedBy", "title"),
        ("title",),
    }
    sample_paths = _shape(sample["credentialSubject"]["hasClaim"])
    our_paths = _shape(claim(ours))
    assert wanted <= sample_paths
    assert wanted <= our_paths, wanted - our_paths
    assert read_elm(sample).title == "Digital micro-credential creation"
