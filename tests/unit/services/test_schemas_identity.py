"""Profile checks, e-mail normalisation, did:web derivation and audit scrubbing (no database)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from microcred.errors import InvalidInput
from microcred.services.audit import REDACTED, scrub_details
from microcred.services.issuers import hosted_did_web
from microcred.services.schemas_identity import (
    ISO_3166_ALPHA2,
    IssuerCreate,
    IssuerProfileUpdate,
    NewSession,
    NewToken,
    TokenInfo,
    check_region_code,
    normalise_email,
)

# --------------------------------------------------------------------------- e-mail


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("Ada@Example.org", "ada@example.org"),
        ("  ada.lovelace+mc@sub.example.org\t", "ada.lovelace+mc@sub.example.org"),
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("info@bücher.example", "info@xn--bcher-kva.example"),
    ],
)
def test_email_normalisation(given: str, stored: str) -> None:
    assert normalise_email(given) == stored


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "plain",
        "@example.org",
        "ada@",
        "ada@localhost",
        "ada@example.123",
        "ada@[192.0.2.1]",
        '"quoted"@example.org',
        "a..b@example.org",
        "a.@example.org",
        "Ada <ada@example.org>",
        "ada@exa_mple.org",
        "ada@-example.org",
        "x" * 65 + "@example.org",
        "a@" + ("x" * 63 + ".") * 5 + "org",
    ],
)
def test_bad_email_addresses(bad: str) -> None:
    with pytest.raises(InvalidInput):
        normalise_email(bad)


# --------------------------------------------------------------------------- profile


def test_country_list_is_complete_iso_3166_1() -> None:
    assert len(ISO_3166_ALPHA2) == 249
    assert {"DE", "NL", "IE", "GR", "GB", "XK"} - ISO_3166_ALPHA2 == {"XK"}
    assert all(len(code) == 2 and code.isupper() for code in ISO_3166_ALPHA2)


@pytest.mark.parametrize(
    ("region", "country"),
    [("DE-BY", "DE"), ("FR-75C", "FR"), ("DE21", "DE"), ("EL30", "GR"), ("NL3", "NL")],
)
def test_region_codes(region: str, country: str) -> None:
    assert check_region_code(region, country) == region


@pytest.mark.parametrize(
    ("region", "country", "message"),
    [
        ("DE-BY", None, "needs a country"),
        ("DE-BY", "AT", "belongs to country DE"),
        ("FR10", "DE", "does not belong"),
        ("Bavaria", "DE", "not a region code"),
        ("de-by", "DE", "not a region code"),
    ],
)
def test_bad_region_codes(region: str, country: str | None, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        check_region_code(region, country)


def test_issuer_create_from_json_uses_camel_case_and_reports_every_problem() -> None:
    with pytest.raises(InvalidInput) as caught:
        IssuerCreate.from_json(
            {"slug": "-", "name": "", "homepage": "ftp://x", "countryCode": "EU", "extra": 1}
        )
    paths = {e["path"] for e in caught.value.extra["errors"]}
    assert {"slug", "name", "homepage", "countryCode", "extra"} <= paths


def test_logo_uri_accepts_urls_and_small_image_data() -> None:
    ok = IssuerCreate(slug="ab", name="A", logo_uri="data:image/png;base64,iVBORw0KGgo=")
    assert ok.logo_uri is not None
    with pytest.raises(InvalidInput, match="512 KiB"):
        IssuerCreate(slug="ab", name="A", logo_uri="data:image/png;base64," + "A" * 600_000)
    with pytest.raises(InvalidInput):
        IssuerCreate(slug="ab", name="A", logo_uri="data:image/svg+xml,<svg onload=alert(1)>")


def test_names_refuse_control_characters() -> None:
    with pytest.raises(InvalidInput, match="control"):
        IssuerCreate(slug="ab", name="Evil\u202eCorp")
    assert IssuerCreate(slug="ab", name="  Spaced  ").name == "Spaced"


def test_profile_update_changes_only_given_fields() -> None:
    update = IssuerProfileUpdate.from_json({"homepage": None, "registrationIdentifiers": []})
    assert update.changes() == {"homepage": None, "registration_identifiers": []}
    assert IssuerProfileUpdate().changes() == {}
    with pytest.raises(InvalidInput, match="name cannot be removed"):
        IssuerProfileUpdate(name=None)


# --------------------------------------------------------------------------- did:web


@pytest.mark.parametrize(
    ("base_url", "did"),
    [
        ("https://credentials.example.edu", "did:web:credentials.example.edu:issuers:acme"),
        (
            "https://Credentials.Example.edu:8443",
            "did:web:credentials.example.edu%3A8443:issuers:acme",
        ),
        ("https://example.edu/badges/", "did:web:example.edu:badges:issuers:acme"),
        ("http://127.0.0.1:8000", "did:web:localhost%3A8000:issuers:acme"),
        ("http://[::1]:8000", "did:web:localhost%3A8000:issuers:acme"),
        ("http://localhost", "did:web:localhost:issuers:acme"),
    ],
)
def test_hosted_did_web(base_url: str, did: str) -> None:
    assert hosted_did_web(base_url, "acme") == did


def test_hosted_did_web_refuses_public_ip_addresses() -> None:
    with pytest.raises(InvalidInput, match="needs a domain name"):
        hosted_did_web("https://192.0.2.10", "acme")


# --------------------------------------------------------------------------- outputs


def test_new_secrets_stay_out_of_reprs_but_unpack() -> None:
    info = TokenInfo(
        id=uuid.uuid4(),
        issuer_id=uuid.uuid4(),
        name="ci",
        prefix="0a1b2c3d",
        scopes=frozenset(),
        created_by=None,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        expires_at=None,
        revoked_at=None,
        last_used_at=None,
    )
    token = NewToken(secret="mc_0a1b2c3d_SECRETSECRET", info=info)
    secret, same = token
    assert secret == token.secret and same is info
    assert "SECRET" not in repr(token) and "SECRET" not in str(token)
    session = NewSession(secret="cookie-value-xyz", expires_at=info.created_at)
    assert "cookie-value-xyz" not in repr(session)
    assert tuple(session) == ("cookie-value-xyz", info.created_at)


# --------------------------------------------------------------------------- audit details


def test_scrub_details_redacts_secret_looking_keys_at_any_depth() -> None:
    details = {
        "password": "hunter2hunter2",
        "token_hash": "abc",
        "token_id": "keep",
        "token_prefix": "0a1b2c3d",
        "rehashed": True,
        "nested": {"sessionSecret": "s", "list": [{"newPassword": "p", "ok": 1}]},
        "when": datetime(2026, 1, 1, tzinfo=UTC),
        "who": uuid.UUID(int=1),
        "scopes": frozenset({"b", "a"}),
        "long": "x" * 5000,
    }
    scrubbed = scrub_details(details)
    assert scrubbed["password"] == REDACTED and scrubbed["token_hash"] == REDACTED
    assert scrubbed["token_id"] == "keep" and scrubbed["token_prefix"] == "0a1b2c3d"
    assert scrubbed["rehashed"] is True
    assert scrubbed["nested"] == {
        "sessionSecret": REDACTED,
        "list": [{"newPassword": REDACTED, "ok": 1}],
    }
    assert scrubbed["when"] == "2026-01-01T00:00:00+00:00"
    assert scrubbed["who"] == str(uuid.UUID(int=1))
    assert scrubbed["scopes"] == ["a", "b"]
    assert len(scrubbed["long"]) == 1001
    assert scrub_details(None) == {}
