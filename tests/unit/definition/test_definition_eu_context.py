"""The microcred EU v1 JSON-LD context: every EU element survives expansion.

Uses the contexts bundled in the package (``microcred/jsonld/contexts``) with pyld and a
loader that never touches the network. Undefined terms are found by appending a context
that only sets ``@vocab`` to a marker namespace: any property or type that no context
defines expands into that namespace instead of silently disappearing.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import pytest
from pyld import jsonld

from microcred.definition import compose_credential
from microcred.definition.compose import MICROCRED_EU_V1
from microcred.definition.samples import sample_achievement, sample_issuer
from microcred.model import hash_email

CONTEXTS = resources.files("microcred.jsonld") / "contexts"
FILES = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-v3p0-context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json": "ob-v3p0-extensions.json",
    MICROCRED_EU_V1: "microcred-eu-v1.jsonld",
}
MARK = "urn:microcred:undefined#"
ELM = "http://data.europa.eu/snb/model/elm/"
EU = "https://microcred.dev/ns/eu#"


def load_context(url: str) -> Any:
    return json.loads((CONTEXTS / FILES[url]).read_text(encoding="utf-8"))


def loader(url: str, options: Any = None) -> dict[str, Any]:
    if url not in FILES:
        raise jsonld.JsonLdError(f"not bundled: {url}", "loading document failed")
    return {"contextUrl": None, "documentUrl": url, "document": load_context(url)}


OPTIONS = {"documentLoader": loader}


def undefined_terms(doc: dict[str, Any]) -> set[str]:
    probe = copy.deepcopy(doc)
    probe["@context"] = [*probe["@context"], {"@vocab": MARK}]
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key.startswith(MARK):
                    found.add(key[len(MARK) :])
                if key == "@type":
                    types = value if isinstance(value, list) else [value]
                    found.update(t[len(MARK) :] for t in types if t.startswith(MARK))
                walk(value)

    walk(jsonld.expand(probe, OPTIONS))
    return found


def credential(**kw: Any) -> dict[str, Any]:
    return compose_credential(
        kw.pop("achievement", sample_achievement()),
        kw.pop("learner", hash_email("ana@uni.example", salt="x")),
        sample_issuer(),
        credential_id="urn:uuid:2b1f1c9e-0000-4000-8000-000000000002",
        valid_from=datetime(2024, 5, 1, tzinfo=UTC),
        **kw,
    )


def eu_node(expanded: list[dict[str, Any]]) -> dict[str, Any]:
    subject = expanded[0]["https://www.w3.org/2018/credentials#credentialSubject"][0]
    achievement = subject["https://purl.imsglobal.org/spec/vc/ob/vocab.html#achievement"][0]
    node: dict[str, Any] = achievement[EU + "euStandardElements"][0]
    return node


def test_context_file_is_protected_and_uses_absolute_iris() -> None:
    ctx = load_context(MICROCRED_EU_V1)["@context"]
    assert ctx["@protected"] is True
    scoped = ctx["euStandardElements"]["@context"]
    assert scoped["@protected"] is True
    for term, definition in scoped.items():
        if term.startswith("@") or term in ("id", "type"):
            continue
        iri = definition if isinstance(definition, str) else definition["@id"]
        assert iri.startswith(("http://", "https://")), term
    # Only one term at the top level besides id/type: nothing can clash with OB terms.
    assert sorted(k for k in ctx if not k.startswith("@")) == ["euStandardElements", "id", "type"]


def test_bundled_url_and_manifest_entry() -> None:
    urls = pytest.importorskip("microcred.jsonld.urls")
    assert urls.MICROCRED_EU_V1 == MICROCRED_EU_V1
    manifest = json.loads((CONTEXTS / "manifest.json").read_text(encoding="utf-8"))
    entries = [e for e in manifest["contexts"] if e["url"] == MICROCRED_EU_V1]
    assert [e["file"] for e in entries] == ["microcred-eu-v1.jsonld"]


@pytest.mark.parametrize("with_eu", [True, False])
def test_composed_credential_has_no_undefined_terms(with_eu: bool) -> None:
    doc = credential(achievement=sample_achievement(with_eu_elements=with_eu))
    assert undefined_terms(doc) == set()


def test_every_eu_element_expands_to_its_iri() -> None:
    node = eu_node(jsonld.expand(credential(), OPTIONS))
    assert node["@type"] == [EU + "EUStandardElements"]
    expected_keys = {
        "@type",
        ELM + "learningOutcome",
        ELM + "creditPoint",
        ELM + "volumeOfLearning",
        ELM + "EQFLevel",
        ELM + "awardingBody",
        EU + "qfEheaCycle",
        EU + "assessmentType",
        EU + "formOfParticipation",
        EU + "qualityAssurance",
        EU + "issuerCountry",
        EU + "issuerRegion",
        EU + "prerequisites",
        EU + "supervisionAndIdVerification",
        EU + "gradingScheme",
        EU + "integrationStackability",
        EU + "stackableTowards",
        EU + "furtherInformation",
    }
    assert set(node) == expected_keys
    assert node[ELM + "EQFLevel"] == [{"@id": "http://data.europa.eu/snb/eqf/6"}]
    assert node[ELM + "volumeOfLearning"] == [
        {"@type": "http://www.w3.org/2001/XMLSchema#duration", "@value": "PT125H"}
    ]
    outcome = node[ELM + "learningOutcome"][0]
    assert outcome["@type"] == [ELM + "LearningOutcome"]
    assert outcome["http://purl.org/dc/terms/title"][0]["@value"].startswith("Produce")
    assert outcome[ELM + "relatedESCOSkill"][0]["@id"].startswith(
        "http://data.europa.eu/esco/skill/"
    )
    credit = node[ELM + "creditPoint"][0]
    assert credit[ELM + "point"] == [{"@value": "5"}]
    assert credit[ELM + "framework"] == [
        {"@id": "http://data.europa.eu/snb/education-credit/6fcec5c5af"}
    ]
    body = node[ELM + "awardingBody"][0]
    assert body["https://schema.org/name"] == [{"@value": "University of Zed"}]


def test_eu_elements_without_the_eu_context_would_drop_out() -> None:
    doc = credential()
    doc["@context"] = [c for c in doc["@context"] if c != MICROCRED_EU_V1]
    missing = undefined_terms(doc)
    # The wrapper and every term inside it would silently drop out of the signed data.
    assert {"euStandardElements", "EUStandardElements", "learningOutcome", "eqfLevel"} <= missing
    assert missing <= set(
        load_context(MICROCRED_EU_V1)["@context"]["euStandardElements"]["@context"]
    ) | {"euStandardElements"}


def test_eu_terms_are_scoped_to_eu_standard_elements() -> None:
    doc = credential()
    achievement = doc["credentialSubject"]["achievement"]
    achievement["learningOutcome"] = achievement["euStandardElements"]["learningOutcome"]
    assert undefined_terms(doc) == {
        "learningOutcome",
        "LearningOutcome",
        "title",
        "relatedESCOSkill",
    }


def test_eu_terms_cannot_be_redefined_by_a_later_context() -> None:
    doc = credential()
    doc["@context"] = [*doc["@context"], {"euStandardElements": "https://evil.example/x"}]
    with pytest.raises(jsonld.JsonLdError) as exc:
        jsonld.expand(doc, OPTIONS)
    assert "redefine a protected term" in str(exc.value)


def test_the_eu_context_does_not_change_open_badges_terms() -> None:
    plain = credential(achievement=sample_achievement(with_eu_elements=False))
    with_eu_context = copy.deepcopy(plain)
    with_eu_context["@context"] = [*plain["@context"], MICROCRED_EU_V1]
    options = {"algorithm": "URDNA2015", "format": "application/n-quads", **OPTIONS}
    assert jsonld.normalize(with_eu_context, options) == jsonld.normalize(plain, options)


def test_canonical_form_carries_the_eu_elements() -> None:
    options = {"algorithm": "URDNA2015", "format": "application/n-quads", **OPTIONS}
    nquads = jsonld.normalize(credential(), options)
    assert f"<{ELM}EQFLevel> <http://data.europa.eu/snb/eqf/6> ." in nquads
    assert f'<{EU}formOfParticipation> "blended" .' in nquads
    assert f'<{ELM}volumeOfLearning> "PT125H"^^<http://www.w3.org/2001/XMLSchema#duration>' in (
        nquads
    )


def package_loader() -> Any:
    """The real StaticDocumentLoader over our package's context files (manifest aside)."""
    static_loader = pytest.importorskip("microcred.jsonld.static_loader")
    return static_loader.StaticDocumentLoader.empty().with_documents(
        {url: load_context(url) for url in FILES}
    )


def test_real_safe_mode_check_when_available() -> None:
    processing = pytest.importorskip("microcred.jsonld.processing")
    loader_ = package_loader()
    assert processing.find_undefined_terms(credential(), loader_) == []
    doc = credential()
    doc["@context"] = [c for c in doc["@context"] if c != MICROCRED_EU_V1]
    assert "euStandardElements" in processing.find_undefined_terms(doc, loader_)
    # The fast safe-mode canonicalisation equals plain pyld's.
    options = {"algorithm": "URDNA2015", "format": "application/n-quads", **OPTIONS}
    assert processing.canonize(credential(), loader_) == jsonld.normalize(credential(), options)


def test_bundled_loader_serves_this_context() -> None:
    static_loader = pytest.importorskip("microcred.jsonld.static_loader")
    errors = pytest.importorskip("microcred.errors")
    try:
        bundled = static_loader.StaticDocumentLoader.bundled()
    except errors.ConfigError as exc:
        if "microcred-eu-v1.jsonld" in exc.detail:
            pytest.skip(
                "the manifest entry of microcred-eu-v1.jsonld is stale: the jsonld/ owner "
                "refreshes it with scripts/fetch_contexts.py --local-only"
            )
        raise
    assert bundled(MICROCRED_EU_V1)["document"] == load_context(MICROCRED_EU_V1)
