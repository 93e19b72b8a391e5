"""did:web: DID <-> URL mapping and documents with key history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microcred.did.contexts import SECP256K1_RECOVERY_2020_V2
from microcred.did.web import (
    DidWebKey,
    blockchain_account_method,
    build_did_web_document,
    did_web_path,
    did_web_to_url,
    url_to_did_web,
)
from microcred.errors import DIDError, InvalidInput
from microcred.keys.ed25519 import Ed25519KeyPair

# Examples of the did:web specification §3.2.
SPEC_EXAMPLES = [
    ("did:web:w3c-ccg.github.io", "https://w3c-ccg.github.io/.well-known/did.json"),
    ("did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json"),
    ("did:web:example.com%3A3000:user:alice", "https://example.com:3000/user/alice/did.json"),
]


@pytest.mark.parametrize(("did", "url"), SPEC_EXAMPLES)
def test_spec_examples(did: str, url: str) -> None:
    assert did_web_to_url(did) == url
    assert url_to_did_web(url) == did


def test_lowercase_port_escape_and_path() -> None:
    assert (
        did_web_to_url("did:web:example.com%3a8443")
        == "https://example.com:8443/.well-known/did.json"
    )
    assert did_web_path("did:web:example.edu:issuers:acme") == "/issuers/acme/did.json"
    assert did_web_path("did:web:example.edu") == "/.well-known/did.json"
    assert did_web_to_url("did:web:localhost%3A8000", scheme="http") == (
        "http://localhost:8000/.well-known/did.json"
    )


@pytest.mark.parametrize(
    ("did", "reason"),
    [
        ("did:web:127.0.0.1", "IP address"),
        ("did:web:127.1", "IP address"),
        ("did:web:0x7f.1", "IP address"),
        ("did:web:2130706433", "IP address"),
        ("did:web:example.com%2F.evil", "only the port colon"),
        ("did:web:example.com%40evil.com", "only the port colon"),
        ("did:web:example.com%3A", "port"),
        ("did:web:example.com%3A0", "port"),
        ("did:web:example.com%3A65536", "port"),
        ("did:web:example.com%3A08", "port"),
        ("did:web:example.com%3A80%3A81", "at most one"),
        ("did:web:example.com::alice", "empty path segment"),
        ("did:web:example.com:..:admin", "would change the URL path"),
        ("did:web:example.com:%2e%2E", "would change the URL path"),
        ("did:web:example.com:a%2Fb", "would change the URL path"),
        ("did:web:example.com:a%5Cb", "would change the URL path"),
        ("did:web:example.com:a%00", "would change the URL path"),
        ("did:web:-bad.com", "domain name label"),
        ("did:web:bad-.com", "domain name label"),
        ("did:web:a..com", "domain name label"),
        ("did:web:" + "a" * 64 + ".com", "domain name label"),
        ("did:key:z6Mk", "not a did:web"),
    ],
)
def test_bad_did_web(did: str, reason: str) -> None:
    with pytest.raises(DIDError, match=reason):
        did_web_to_url(did)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/.well-known/did.json",
        "https://example.com/did.json.bak",
        "https://user@example.com/.well-known/did.json",
        "https://example.com/.well-known/did.json?x=1",
        "https://example.com/a//did.json",
        "https://127.0.0.1/.well-known/did.json",
    ],
)
def test_bad_urls(url: str) -> None:
    with pytest.raises(DIDError):
        url_to_did_web(url)


_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
_tld = st.from_regex(r"[a-z]{2,6}", fullmatch=True)
_segment = st.from_regex(r"([A-Za-z0-9_-]|%[46][0-9A-F]){1,12}", fullmatch=True).filter(
    lambda s: s not in (".", "..")
)


@settings(max_examples=80)
@given(
    labels=st.lists(_label, min_size=0, max_size=3),
    tld=_tld,
    port=st.none() | st.integers(min_value=1, max_value=65535),
    path=st.lists(_segment, max_size=4),
)
def test_did_url_round_trip(labels: list[str], tld: str, port: int | None, path: list[str]) -> None:
    host = ".".join([*labels, tld])
    domain = host if port is None else f"{host}%3A{port}"
    did = "did:web:" + ":".join([domain, *path])
    url = did_web_to_url(did)
    assert url.startswith(f"https://{host}")
    assert url.endswith("/did.json")
    assert url_to_did_web(url) == did


# ------------------------------------------------------------------ documents

DID = "did:web:example.edu:issuers:acme"
NEW = Ed25519KeyPair.from_seed(bytes(range(32))).public_key_multibase
OLD = Ed25519KeyPair.from_seed(bytes(range(1, 33))).public_key_multibase
OLDER = Ed25519KeyPair.from_seed(bytes(range(2, 34))).public_key_multibase
ROTATED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_document_with_key_history() -> None:
    doc = build_did_web_document(
        DID,
        [DidWebKey("key-2026", NEW)],
        [
            DidWebKey("key-2025", OLD, revoked=ROTATED),
            ("key-2024", OLDER, ROTATED - timedelta(days=365)),
        ],
    )
    assert doc["@context"] == [
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/multikey/v1",
    ]
    assert doc["id"] == DID
    assert doc["verificationMethod"] == [
        {"id": f"{DID}#key-2026", "type": "Multikey", "controller": DID, "publicKeyMultibase": NEW},
        {
            "id": f"{DID}#key-2025",
            "type": "Multikey",
            "controller": DID,
            "publicKeyMultibase": OLD,
            "revoked": "2026-03-01T12:00:00Z",
        },
        {
            "id": f"{DID}#key-2024",
            "type": "Multikey",
            "controller": DID,
            "publicKeyMultibase": OLDER,
            "revoked": "2025-03-01T12:00:00Z",
        },
    ]
    assert doc["authentication"] == [f"{DID}#key-2026"]
    assert doc["assertionMethod"] == [f"{DID}#key-2026", f"{DID}#key-2025", f"{DID}#key-2024"]
    assert "service" not in doc and "alsoKnownAs" not in doc


def test_rotated_and_compromised_past_keys() -> None:
    """A planned rotation ends a key with ``expires``; a compromise adds ``revoked``."""
    compromised = ROTATED + timedelta(days=10)
    doc = build_did_web_document(
        DID,
        [DidWebKey("key-3", NEW)],
        [
            DidWebKey("key-2", OLD, expires=ROTATED),
            DidWebKey("key-1", OLDER, expires=ROTATED - timedelta(days=365), revoked=compromised),
        ],
    )
    methods = {m["id"].rsplit("#", 1)[1]: m for m in doc["verificationMethod"]}
    assert methods["key-2"] == {
        "id": f"{DID}#key-2",
        "type": "Multikey",
        "controller": DID,
        "publicKeyMultibase": OLD,
        "expires": "2026-03-01T12:00:00Z",
    }
    assert (methods["key-1"]["expires"], methods["key-1"]["revoked"]) == (
        "2025-03-01T12:00:00Z",
        "2026-03-11T12:00:00Z",
    )
    assert "expires" not in methods["key-3"] and "revoked" not in methods["key-3"]
    # rotated-out keys keep backing the credentials they signed
    assert doc["assertionMethod"] == [f"{DID}#key-3", f"{DID}#key-2", f"{DID}#key-1"]
    assert doc["authentication"] == [f"{DID}#key-3"]


def test_revoked_time_is_normalised_to_utc() -> None:
    cet = timezone(timedelta(hours=1))
    doc = build_did_web_document(
        DID, [], [DidWebKey("old", OLD, revoked=datetime(2026, 1, 1, 13, tzinfo=cet))]
    )
    assert doc["verificationMethod"][0]["revoked"] == "2026-01-01T12:00:00Z"


def test_optional_parts() -> None:
    account = blockchain_account_method(
        DID, "anchor", "eip155:31337:0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    )
    doc = build_did_web_document(
        DID,
        [DidWebKey("k", NEW, expires=datetime(2030, 1, 1, tzinfo=UTC))],
        also_known_as=["https://example.edu/issuers/acme"],
        services=[
            {"id": "#linked", "type": "LinkedDomains", "serviceEndpoint": "https://example.edu"}
        ],
        extra_verification_methods=[account],
        extra_contexts=[SECP256K1_RECOVERY_2020_V2],
    )
    assert doc["@context"][-1] == SECP256K1_RECOVERY_2020_V2
    assert doc["alsoKnownAs"] == ["https://example.edu/issuers/acme"]
    assert doc["service"] == [
        {"id": f"{DID}#linked", "type": "LinkedDomains", "serviceEndpoint": "https://example.edu"}
    ]
    assert doc["verificationMethod"][0]["expires"] == "2030-01-01T00:00:00Z"
    assert doc["verificationMethod"][1] == {
        "id": f"{DID}#anchor",
        "type": "EcdsaSecp256k1RecoveryMethod2020",
        "controller": DID,
        "blockchainAccountId": "eip155:31337:0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    }
    # the chain account is not a signing key for credentials
    assert f"{DID}#anchor" not in doc["assertionMethod"]


@pytest.mark.parametrize(
    ("current", "past", "reason"),
    [
        ([DidWebKey("k", NEW, revoked=ROTATED)], [], "cannot have a revoked"),
        ([], [DidWebKey("k", OLD)], "needs an expires time .* or a revoked time"),
        ([DidWebKey("k", NEW)], [DidWebKey("k", OLD, revoked=ROTATED)], "used twice"),
        ([DidWebKey("a", NEW)], [DidWebKey("b", NEW, revoked=ROTATED)], "listed twice"),
        ([DidWebKey("a b", NEW)], [], "fragment"),
        ([DidWebKey("a", "z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc")], [], "x25519|0xec"),
        ([DidWebKey("a", NEW)], [DidWebKey("b", OLD, revoked=datetime(2026, 1, 1))], "timezone"),
        (["bogus"], [], "DidWebKey"),
    ],
)
def test_document_rejections(current: list[Any], past: list[Any], reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        build_did_web_document(DID, current, past)


def test_bad_services_and_extras() -> None:
    with pytest.raises(InvalidInput, match="serviceEndpoint"):
        build_did_web_document(DID, [], services=[{"id": "#s", "type": "X"}])
    with pytest.raises(InvalidInput, match="must be '#fragment'"):
        build_did_web_document(
            DID, [], services=[{"id": "did:web:other#s", "type": "X", "serviceEndpoint": "x"}]
        )
    with pytest.raises(InvalidInput, match="needs a type"):
        build_did_web_document(DID, [], extra_verification_methods=[{"id": "#x"}])
    with pytest.raises(InvalidInput, match="CAIP-10"):
        blockchain_account_method(DID, "a", "0x1234")


def test_document_for_invalid_did() -> None:
    with pytest.raises(DIDError):
        build_did_web_document("did:web:127.0.0.1", [DidWebKey("k", NEW)])
