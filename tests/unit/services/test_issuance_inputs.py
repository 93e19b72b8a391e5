"""The pure parts of the definition, issuance and mail services: input models, the issuer
profile, request digests, claim messages, e-mail building and SMTP URL parsing."""

from __future__ import annotations

import email
import email.policy
import uuid
from datetime import UTC, datetime

import pytest

from microcred.errors import ConfigError, InvalidInput
from microcred.services._support import issuer_profile, request_digest
from microcred.services.definitions import DefinitionInput, achievement_id
from microcred.services.issuance import (
    CredentialCorrections,
    CredentialFilter,
    IssueRequest,
    LearnerInput,
    SigningOptions,
    claim_token_hash,
)
from microcred.services.mail import SmtpSender, build_email, build_mail_sender, claim_message
from microcred.settings import load_settings
from microcred.storage import DidMethod, Issuer

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
DEFINITION = "0b7c5b36-30a7-4d77-9c7a-2b1c4c8d2a11"


# --------------------------------------------------------------------------- inputs


@pytest.mark.parametrize("slug", ["data-literacy", "a", "x1", "eqf-6-data", "a" * 100])
def test_good_slugs(slug: str) -> None:
    achievement = {"name": "N", "description": "D", "criteria": {"narrative": "C"}}
    assert DefinitionInput.from_json({"slug": slug, "achievement": achievement}).slug == slug


@pytest.mark.parametrize(
    "slug", ["", "Data", "-a", "a-", "a--b", "a b", "a_b", "ü", "a" * 101, "../x"]
)
def test_bad_slugs(slug: str) -> None:
    achievement = {"name": "N", "description": "D", "criteria": {"narrative": "C"}}
    with pytest.raises(InvalidInput, match="short name"):
        DefinitionInput.from_json({"slug": slug, "achievement": achievement})


def test_achievement_ids() -> None:
    assert achievement_id("https://c.example/", "acme", "data", 3) == (
        "https://c.example/issuers/acme/achievements/data/v3"
    )


def test_issue_request_accepts_json_text_and_python_values() -> None:
    from_json = IssueRequest.from_json(
        {
            "definitionId": DEFINITION,
            "learner": {"name": " Ana ", "email": "ana@example.org", "externalId": "s-1"},
            "validUntil": "2030-01-01T00:00:00+02:00",
            "idempotencyKey": "abc:1",
        }
    )
    assert from_json.definition_id == uuid.UUID(DEFINITION)
    assert from_json.valid_until == datetime(2029, 12, 31, 22, 0, tzinfo=UTC)
    assert from_json.learner is not None and from_json.learner.name == "Ana"
    in_python = IssueRequest(
        definition_id=uuid.UUID(DEFINITION), learner_id=uuid.uuid4(), valid_until=NOW
    )
    assert in_python.valid_until == NOW
    # the digest does not depend on how the same request was written
    same = IssueRequest.from_json(
        {
            "definition_id": DEFINITION,
            "learner": {"name": "Ana", "email": "ana@example.org", "external_id": "s-1"},
            "valid_until": "2029-12-31T22:00:00Z",
            "idempotencyKey": "abc:1",
        }
    )
    assert request_digest("issue", from_json.to_json()) == request_digest("issue", same.to_json())


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"learnerId": DEFINITION, "learner": {"name": "A"}}, "exactly one"),
        ({"learner": {"name": "A", "email": "not-an-address"}}, "learner.email"),
        ({"learner": {"name": "A", "did": "did:nope"}}, "learner.did"),
        ({"learner": {"name": ""}}, "learner.name"),
        ({"learner": {"name": "A", "externalId": "x" * 201}}, "learner.externalId"),
        ({"learner": {"name": "A"}, "version": 0}, "version"),
        ({"learner": {"name": "A"}, "version": "1"}, "version"),
        ({"learner": {"name": "A"}, "colour": "red"}, "colour"),
        ({"learner": {"name": "A"}, "result": [{"value": 5}]}, "result"),
    ],
)
def test_issue_request_refusals(data: dict, path: str) -> None:
    with pytest.raises(InvalidInput, match=path):
        IssueRequest.from_json({"definitionId": DEFINITION, **data})


def test_corrections_keep_what_was_not_given() -> None:
    corrections = CredentialCorrections.from_json({"result": None})
    assert corrections.model_fields_set == {"result"}
    assert CredentialCorrections().model_fields_set == set()
    assert LearnerInput.from_json({"name": "A"}).model_fields_set == {"name"}


def test_signing_options_and_filters() -> None:
    assert SigningOptions.from_json({}).cryptosuite is None
    with pytest.raises(InvalidInput):
        SigningOptions.from_json({"cryptosuite": "ecdsa-rdfc-2019"})
    with pytest.raises(InvalidInput, match="timezone"):
        SigningOptions.from_json({"created": "2026-01-01T00:00:00"})
    assert CredentialFilter.from_json({"state": "claimed"}).state == "claimed"
    with pytest.raises(InvalidInput):
        CredentialFilter.from_json({"search": "x" * 201})


def test_claim_token_hash_is_sha256_hex() -> None:
    assert claim_token_hash("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


# --------------------------------------------------------------------------- issuer profile


def test_issuer_profile_leaves_out_values_that_would_not_validate() -> None:
    issuer = Issuer(
        slug="acme",
        name="ACME University",
        did_method=DidMethod.WEB,
        did="did:web:c.example:issuers:acme",
        homepage="www.acme.example",  # no scheme
        email="credentials@acme.example",
        country_code="DE",
        region_code="DE-BY",
        logo_uri="https://acme.example/logo.png",
    )
    profile = issuer_profile(issuer).to_json()
    assert profile == {
        "id": "did:web:c.example:issuers:acme",
        "type": ["Profile"],
        "name": "ACME University",
        "email": "credentials@acme.example",
        "image": {"id": "https://acme.example/logo.png", "type": "Image"},
        "address": {"type": ["Address"], "addressCountryCode": "DE", "addressRegion": "DE-BY"},
    }


# --------------------------------------------------------------------------- mail


def test_user_data_is_escaped_in_html_and_headers_stay_one_line() -> None:
    built = claim_message(
        issuer_id=uuid.uuid4(),
        to_address="x@example.org",
        learner_name='<script>alert("hi")</script> & Co',
        issuer_name="Smith & Sons\r\nBcc: victim@example.org",
        credential_name="<b>Bold</b> claims",
        claim_url='https://c.example/claim/abc"onmouseover="x',
    )
    assert "<script>" not in built.body_html and "&lt;script&gt;" in built.body_html
    assert "&amp; Co" in built.body_html and "&lt;b&gt;Bold&lt;/b&gt;" in built.body_html
    assert 'href="https://c.example/claim/abc&quot;onmouseover=&quot;x"' in built.body_html
    assert "\r" not in built.subject and "\n" not in built.subject
    assert '<script>alert("hi")</script> & Co' in built.body_text  # plain text is not HTML
    built.id = uuid.uuid4()
    mail = build_email(built, mail_from="microcred <no-reply@localhost>", now=NOW)
    parsed = email.message_from_bytes(mail.as_bytes(), policy=email.policy.default)
    assert parsed["Bcc"] is None and "Bcc: victim@example.org" in parsed["Subject"]
    assert parsed["To"] == "x@example.org" and parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Message-ID"] == f"<{built.id}@localhost>"


def test_a_corrected_credential_says_so() -> None:
    built = claim_message(
        issuer_id=uuid.uuid4(),
        to_address="x@example.org",
        learner_name="Ana",
        issuer_name="Zed",
        credential_name="Data",
        claim_url="https://c.example/claim/t",
        corrected=True,
    )
    assert built.subject == "Corrected: your micro-credential from Zed: Data"
    assert 'a corrected copy of your micro-credential "Data"' in built.body_text


def test_smtp_configuration_errors_and_settings(tmp_path) -> None:
    for url, message in [
        ("http://mail.example.org", "must look like"),
        ("smtp://mail.example.org?starttls=maybe", "auto, require or off"),
        ("smtp://mail.example.org?verify=no", "unknown SMTP URL option"),
        ("smtps://mail.example.org?starttls=require", "does not apply"),
        ("smtp://mail.example.org?timeout=0", "between 0 and 300"),
        ("smtp://mail.example.org?timeout=soon", "number of seconds"),
        ("smtp://mail.example.org:99999", "invalid port"),
    ]:
        with pytest.raises(ConfigError, match=message):
            SmtpSender(url)
    assert repr(SmtpSender("smtp://u:secret@mail.example.org:587?starttls=require")) == (
        "SmtpSender(smtp://mail.example.org:587, starttls=require)"
    )
    assert build_mail_sender(load_settings(home=tmp_path)) is None
    configured = build_mail_sender(
        load_settings(home=tmp_path, smtp_url="smtps://u:p@mail.example.org")
    )
    assert repr(configured) == "SmtpSender(smtps://mail.example.org:465, starttls=auto)"
