"""Structure checks (VC Data Model 2.0 / 1.1 shape)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from verification_testkit import CONTEXT, badge, standards_file

from microcred.verification import codes
from microcred.verification.checks.base import (
    format_day,
    is_absolute_iri,
    parse_date_time_stamp,
)
from microcred.verification.checks.structure import MAX_DEPTH, StructureCheck, check_object
from microcred.verification.report import CheckResult, Outcome


def run(doc: dict[str, Any]) -> dict[str, CheckResult]:
    return {r.code: r for r in StructureCheck().run(doc, CONTEXT)}


def outcome_of(doc: dict[str, Any], code: str) -> Outcome:
    return run(doc)[code].outcome


def test_a_good_badge_passes_every_structure_check() -> None:
    results = run(badge())
    assert list(results) == [
        codes.STRUCTURE_CONTEXT,
        codes.STRUCTURE_TYPE,
        codes.STRUCTURE_ISSUER,
        codes.STRUCTURE_SUBJECT,
        codes.STRUCTURE_IDS,
        codes.STRUCTURE_DATES,
        codes.STRUCTURE_RESERVED,
        codes.STRUCTURE_PROOF,
    ]
    assert all(r.outcome is Outcome.PASSED for r in results.values()), results
    assert results[codes.STRUCTURE_ISSUER].message == (
        'The credential names its issuer: "Example University" '
        "(did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2)."
    )


@pytest.mark.parametrize(
    ("value", "json_type"),
    [([], "list"), ("text", "str"), (3, "int"), (None, "NoneType"), (True, "bool")],
)
def test_non_objects_fail_structure_object(value: Any, json_type: str) -> None:
    result = check_object(value)
    assert result.outcome is Outcome.FAILED
    assert result.code == codes.STRUCTURE_OBJECT
    assert result.message.startswith("This is not a credential")
    assert result.details["json_type"] == json_type


def test_too_deep_nesting_is_refused_without_recursion() -> None:
    deep: dict[str, Any] = {"leaf": 1}
    for _ in range(MAX_DEPTH + 5):
        deep = {"a": deep}
    assert check_object(deep).outcome is Outcome.FAILED
    assert check_object({"a": {"b": [1]}}).outcome is Outcome.PASSED


def test_context_must_start_with_the_vc_context() -> None:
    doc = badge(**{"@context": ["https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]})
    result = run(doc)[codes.STRUCTURE_CONTEXT]
    assert result.outcome is Outcome.FAILED
    assert "https://www.w3.org/ns/credentials/v2" in result.message
    assert outcome_of(badge(**{"@context": None}), codes.STRUCTURE_CONTEXT) is Outcome.FAILED
    assert outcome_of(badge(**{"@context": [5]}), codes.STRUCTURE_CONTEXT) is Outcome.FAILED


def test_vc_11_is_read() -> None:
    doc = badge(
        **{"@context": ["https://www.w3.org/2018/credentials/v1"]},
        validFrom=None,
        issuanceDate="2020-01-01T00:00:00Z",
    )
    results = run(doc)
    assert results[codes.STRUCTURE_CONTEXT].details["version"] == "1.1"
    assert results[codes.STRUCTURE_DATES].outcome is Outcome.PASSED
    del doc["issuanceDate"]
    assert outcome_of(doc, codes.STRUCTURE_DATES) is Outcome.FAILED


@pytest.mark.parametrize("types", [None, ["OpenBadgeCredential"], "OpenBadgeCredential", [1], []])
def test_type_must_include_verifiable_credential(types: Any) -> None:
    assert outcome_of(badge(type=types), codes.STRUCTURE_TYPE) is Outcome.FAILED
    assert not StructureCheck.is_credential(list(StructureCheck().run(badge(type=types), CONTEXT)))


@pytest.mark.parametrize(
    "issuer",
    [None, "not a url", {"name": "No id"}, {"id": "relative/path"}, 42, ["did:example:a"]],
)
def test_issuer_must_be_an_absolute_identifier(issuer: Any) -> None:
    assert outcome_of(badge(issuer=issuer), codes.STRUCTURE_ISSUER) is Outcome.FAILED


def test_issuer_may_be_a_plain_url() -> None:
    assert outcome_of(badge(issuer="https://example.edu/issuers/1"), codes.STRUCTURE_ISSUER) is (
        Outcome.PASSED
    )


@pytest.mark.parametrize("subject", [None, {}, [], [{}], "did:example:x", [{"id": "x:y"}, 3]])
def test_subject_must_be_non_empty_objects(subject: Any) -> None:
    assert outcome_of(badge(credentialSubject=subject), codes.STRUCTURE_SUBJECT) is Outcome.FAILED


def test_relative_or_non_string_ids_are_reported_with_their_path() -> None:
    doc = badge()
    doc["credentialSubject"]["achievement"]["id"] = "achievements/1"
    result = run(doc)[codes.STRUCTURE_IDS]
    assert result.outcome is Outcome.FAILED
    assert result.details["invalid"] == [
        {"path": "credentialSubject.achievement.id", "value": "achievements/1"}
    ]
    assert "credentialSubject.achievement.id" in result.message
    assert outcome_of(badge(id=7), codes.STRUCTURE_IDS) is Outcome.FAILED


def test_ids_inside_inline_contexts_are_not_identifiers() -> None:
    doc = badge(**{"@context": ["https://www.w3.org/ns/credentials/v2", {"id": "@id"}]})
    assert outcome_of(doc, codes.STRUCTURE_IDS) is Outcome.PASSED


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("validFrom", "2026-01-15T09:00:00"),  # no timezone
        ("validFrom", "2026-01-15"),
        ("validFrom", "2026-02-30T09:00:00Z"),
        ("validFrom", 20260115),
        ("validUntil", "tomorrow"),
        ("validUntil", "2025-01-01T00:00:00Z"),  # before validFrom
    ],
)
def test_bad_dates_fail_structure_dates(field: str, value: Any) -> None:
    result = run(badge(**{field: value}))[codes.STRUCTURE_DATES]
    assert result.outcome is Outcome.FAILED, result


@pytest.mark.parametrize(
    ("prop", "value"),
    [
        ("credentialStatus", {"id": "https://example.edu/status/1#5"}),
        ("credentialSchema", {"type": "JsonSchema"}),
        ("evidence", []),
        ("termsOfUse", ["not an object"]),
        ("relatedResource", {"id": "https://example.edu/a.png"}),
        ("@graph", []),
    ],
)
def test_reserved_properties_need_their_required_members(prop: str, value: Any) -> None:
    assert outcome_of(badge(**{prop: value}), codes.STRUCTURE_RESERVED) is Outcome.FAILED


def test_well_formed_reserved_properties_pass() -> None:
    doc = badge(
        credentialSchema=[{"id": "https://example.edu/schema.json", "type": "JsonSchema"}],
        credentialStatus={
            "id": "https://example.edu/status/1#5",
            "type": "BitstringStatusListEntry",
        },
    )
    result = run(doc)[codes.STRUCTURE_RESERVED]
    assert result.outcome is Outcome.PASSED
    assert result.details["properties"] == ["credentialStatus", "credentialSchema"]


def test_missing_proof_fails_in_plain_words() -> None:
    result = run(badge(proof=None))[codes.STRUCTURE_PROOF]
    assert result.outcome is Outcome.FAILED
    assert "no digital signature" in result.message
    assert outcome_of(badge(proof=[{"proofValue": "z"}]), codes.STRUCTURE_PROOF) is Outcome.FAILED


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2026-03-03T12:00:00Z", "2026-03-03T12:00:00+00:00"),
        ("2026-03-03T12:00:00.123456789+02:00", "2026-03-03T10:00:00.123456+00:00"),
        ("2026-03-03T24:00:00Z", "2026-03-04T00:00:00+00:00"),
        ("2026-03-03T23:30:00-14:00", "2026-03-04T13:30:00+00:00"),
    ],
)
def test_date_time_stamps_parse_to_utc(text: str, iso: str) -> None:
    assert parse_date_time_stamp(text).isoformat() == iso


@pytest.mark.parametrize(
    "text",
    ["2026-03-03T12:00:00", "2026-3-3T12:00:00Z", "0000-01-01T00:00:00Z", "12026-01-01T00:00:00Z"],
)
def test_bad_date_time_stamps_raise(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date_time_stamp(text)


def test_timezone_is_optional_only_when_asked() -> None:
    assert parse_date_time_stamp("2010-01-01T00:00:00", timezone_required=False).tzinfo is not None


def test_format_day_is_plain_english() -> None:
    assert format_day(parse_date_time_stamp("2026-03-03T23:30:00-02:00")) == "4 March 2026"


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("https://example.edu/a", True),
        ("did:key:z6Mk", True),
        ("urn:uuid:1234", True),
        ("relative", False),
        ("/absolute/path", False),
        ("https://exa mple.edu", False),
        ("mailto:", False),
        (None, False),
    ],
)
def test_absolute_iri(value: Any, ok: bool) -> None:
    assert is_absolute_iri(value) is ok


@pytest.mark.parametrize(
    "relative",
    [
        "openbadges/test-vectors/obv3p0/signed.json",
        "openbadges/spec-examples/complete-openbadgecredential.json",
        "vc-di-eddsa/TestVectors/eddsa-rdfc-2022/signedDataInt.json",
        "vc-di-eddsa/TestVectors/Ed25519Signature2020/signedEdSig.json",
    ],
)
def test_official_examples_are_well_formed(relative: str) -> None:
    doc = json.loads(standards_file(relative).read_text())
    results = run(doc)
    bad = {c: r.message for c, r in results.items() if r.outcome is not Outcome.PASSED}
    if "spec-examples" in relative:  # unsigned examples
        bad.pop(codes.STRUCTURE_PROOF)
    assert bad == {}
