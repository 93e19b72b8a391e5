"""VC-JWT encoding and strict decoding (Open Badges 3.0 §8.2, RFC 7515 compact form)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from jwt_testkit import ISSUER_KEY, OTHER_KEY, did, sign_raw, split, vm

from microcred.errors import InvalidInput, JwtError, UnsupportedError
from microcred.keys.ed25519 import verify_ed25519
from microcred.proof.jose import (
    b64url_decode,
    b64url_encode,
    claim_problems,
    claims_for,
    decode_vc_jwt,
    encode_vc_jwt,
    header_problems,
    parse_compact,
    read_vc_jwt,
    verify_signature,
)
from microcred.proof.jose.compact import MAX_TOKEN_CHARS


def credential(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:3f6c1d2e-0000-4000-8000-000000000001",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": did(ISSUER_KEY), "type": ["Profile"], "name": "Example University"},
        "validFrom": "2026-01-15T09:00:00Z",
        "validUntil": "2027-01-15T09:00:00Z",
        "name": "Data Literacy",
        "credentialSubject": {
            "id": "did:example:learner-42",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://example.edu/achievements/data-literacy",
                "type": ["Achievement"],
                "name": "Data Literacy",
                "description": "Reads data.",
                "criteria": {"narrative": "Passed."},
            },
        },
    }
    doc.update(changes)
    return doc


def test_encode_writes_the_ob_header_and_claims() -> None:
    token = encode_vc_jwt(credential(), ISSUER_KEY.signer(vm(ISSUER_KEY)))
    header, payload = split(token)
    assert header == {"alg": "EdDSA", "kid": vm(ISSUER_KEY), "typ": "JWT"}
    assert payload["iss"] == did(ISSUER_KEY)
    assert payload["jti"] == "urn:uuid:3f6c1d2e-0000-4000-8000-000000000001"
    assert payload["sub"] == "did:example:learner-42"
    assert payload["nbf"] == int(datetime(2026, 1, 15, 9, tzinfo=UTC).timestamp()) == 1768467600
    assert payload["exp"] == int(datetime(2027, 1, 15, 9, tzinfo=UTC).timestamp())
    assert "iat" not in payload
    # the payload is the credential itself, claims appended
    assert {k: v for k, v in payload.items() if k not in claims_for(credential())} == credential()


def test_the_signature_is_ed25519_over_the_signing_input() -> None:
    token = encode_vc_jwt(credential(), ISSUER_KEY.signer(vm(ISSUER_KEY)))
    head, body, sig = token.split(".")
    assert verify_ed25519(
        ISSUER_KEY.public_bytes, f"{head}.{body}".encode(), b64url_decode(sig, "s")
    )
    # deterministic: the same credential and key give the same token
    assert token == encode_vc_jwt(credential(), ISSUER_KEY.signer(vm(ISSUER_KEY)))
    jwt = read_vc_jwt(token)
    assert verify_signature(jwt, ISSUER_KEY.public_bytes)
    assert not verify_signature(jwt, OTHER_KEY.public_bytes)


def test_encode_options_and_refusals() -> None:
    signer = ISSUER_KEY.signer(vm(ISSUER_KEY))
    token = encode_vc_jwt(
        credential(), signer, typ="vc+jwt", issued_at=datetime(2026, 1, 15, 9, tzinfo=UTC)
    )
    header, payload = split(token)
    assert header["typ"] == "vc+jwt" and payload["iat"] == 1768467600
    with pytest.raises(InvalidInput, match="typ"):
        encode_vc_jwt(credential(), signer, typ="jose")
    with pytest.raises(InvalidInput, match="jti"):
        encode_vc_jwt(credential(jti="urn:x"), signer)
    with pytest.raises(InvalidInput, match="issuer id"):
        encode_vc_jwt(credential(issuer=None), signer)
    with pytest.raises(InvalidInput, match="@context"):
        encode_vc_jwt({"issuer": "did:example:a"}, signer)
    two = credential(credentialSubject=[{"id": "did:example:a"}, {"id": "did:example:b"}])
    with pytest.raises(InvalidInput, match="several"):
        encode_vc_jwt(two, signer)

    class P256:
        algorithm = "P-256"
        verification_method = "did:example:a#1"
        public_key_multibase = "z"

        def sign(self, data: bytes) -> bytes:
            return b""

    with pytest.raises(UnsupportedError, match="Ed25519"):
        encode_vc_jwt(credential(), P256())


def test_claims_for_a_subject_without_id() -> None:
    doc = credential(credentialSubject={"type": ["AchievementSubject"]})
    del doc["validUntil"]
    assert set(claims_for(doc)) == {"iss", "jti", "nbf"}


def test_decode_returns_header_and_payload() -> None:
    token = encode_vc_jwt(credential(), ISSUER_KEY.signer(vm(ISSUER_KEY)))
    header, payload = decode_vc_jwt(token)
    assert header["alg"] == "EdDSA" and payload["jti"] == credential()["id"]


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ({"alg": "none", "kid": "did:key:z#z", "typ": "JWT"}, 'alg "none"'),
        ({"alg": "NONE", "kid": "did:key:z#z"}, 'alg "none"'),
        ({"alg": "HS256", "kid": "did:key:z#z"}, 'alg "HS256" is not supported'),
        ({"alg": "RS256", "kid": "did:key:z#z"}, 'alg "RS256" is not supported'),
        ({"kid": "did:key:z#z"}, "no alg"),
        ({"alg": "EdDSA"}, "no kid"),
        ({"alg": "EdDSA", "kid": 7}, "kid header is not"),
        ({"alg": "EdDSA", "kid": "did:key:z#z", "typ": "jose"}, "typ 'jose'"),
        ({"alg": "EdDSA", "kid": "did:key:z#z", "crit": ["b64"], "b64": False}, "crit"),
        ({"alg": "EdDSA", "kid": "did:key:z#z", "jku": "https://x"}, "jku"),
        ({"alg": "EdDSA", "kid": "did:key:z#z", "jwk": {"kty": "OKP", "d": "x"}}, "private"),
    ],
)
def test_header_rules(header: dict[str, Any], reason: str) -> None:
    token = sign_raw(header, credential())
    assert any(reason in p for p in header_problems(read_vc_jwt(token)))
    with pytest.raises(JwtError, match="not acceptable"):
        decode_vc_jwt(token)


@pytest.mark.parametrize("typ", ["JWT", "jwt", "vc+jwt", "application/vc+jwt", "vc+ld+json+jwt"])
def test_accepted_types(typ: str) -> None:
    token = sign_raw({"alg": "EdDSA", "kid": vm(ISSUER_KEY), "typ": typ}, credential())
    assert header_problems(read_vc_jwt(token)) == []


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


DUPLICATE = _b64('{"a":1,"a":2}')
NAN = _b64('{"a":NaN}')
NOT_CREDENTIAL = _b64('{"a":1}')
NOT_UTF8 = base64.urlsafe_b64encode(b"\xff\xfe").decode().rstrip("=")
GOOD = sign_raw({"alg": "EdDSA", "kid": "did:key:z#z"}, {"@context": [], "a": 1})
HEAD, BODY, SIG = GOOD.split(".")


@pytest.mark.parametrize(
    ("token", "code"),
    [
        (f"{HEAD}.{BODY}", "format"),
        (f"{HEAD}.{BODY}.{SIG}.{SIG}", "format"),
        (f"{HEAD}.{BODY}.", "unsecured"),
        (f".{BODY}.{SIG}", "format"),
        (f"{HEAD}=.{BODY}.{SIG}", "base64url"),
        (f"{HEAD}.{BODY}.{SIG[:-1]}+", "base64url"),
        (f"{HEAD}.{BODY}.{SIG}AAA", "base64url"),  # length 4n+1
        (f"{_b64('[1]')}.{BODY}.{SIG}", "json"),
        (f"{HEAD}.{_b64('not json')}.{SIG}", "json"),
        (f"{HEAD}.{DUPLICATE}.{SIG}", "json"),
        (f"{HEAD}.{NAN}.{SIG}", "json"),
        (f"{HEAD}.{NOT_UTF8}.{SIG}", "json"),
        (f"{HEAD}.{NOT_CREDENTIAL}.{SIG}", "payload"),
        ("x" * (MAX_TOKEN_CHARS + 1), "size"),
        (12, "format"),
    ],
)
def test_strict_parsing(token: Any, code: str) -> None:
    with pytest.raises(JwtError) as caught:
        read_vc_jwt(token)
    assert caught.value.extra["code"] == code


def test_non_canonical_base64url_is_refused() -> None:
    # 'Q' and 'R' differ only in bits that fall off the end of one byte
    assert b64url_decode("QQ", "x") == b"A"
    with pytest.raises(JwtError, match="canonical"):
        b64url_decode("QR", "x")
    assert b64url_encode(b"\xfb\xff") == "-_8"


def test_a_duplicate_header_member_is_refused() -> None:
    header = b'{"alg":"EdDSA","alg":"none","kid":"did:key:z#z"}'
    token = sign_raw(header, credential())
    with pytest.raises(JwtError, match="duplicate"):
        parse_compact(token)


def test_legacy_vc_claim_is_read() -> None:
    doc = credential()
    payload = {"vc": doc, **claims_for(doc)}
    jwt = read_vc_jwt(sign_raw({"alg": "EdDSA", "kid": vm(ISSUER_KEY)}, payload))
    assert jwt.legacy_vc_claim and jwt.credential == doc
    assert claim_problems(jwt) == []


def test_every_claim_mismatch_is_named() -> None:
    doc = credential()
    good = claims_for(doc)
    cases = {
        "iss": ("did:example:other", "the iss claim is did:example:other, but the issuer's id"),
        "jti": ("urn:uuid:other", "the jti claim is urn:uuid:other, but the credential's id"),
        "sub": ("did:example:x", "the sub claim is did:example:x, but the credentialSubject id"),
        "nbf": (good["nbf"] - 3600, "the nbf claim is 2026-01-15T08:00:00Z, but validFrom"),
        "exp": (good["exp"] + 1, "the exp claim is 2027-01-15T09:00:01Z, but validUntil"),
    }
    for claim, (value, message) in cases.items():
        payload = {**doc, **good, claim: value}
        jwt = read_vc_jwt(sign_raw({"alg": "EdDSA", "kid": vm(ISSUER_KEY)}, payload))
        problems = claim_problems(jwt)
        assert len(problems) == 1 and problems[0].startswith(message), (claim, problems)
    for claim in good:
        payload = {**doc, **{k: v for k, v in good.items() if k != claim}}
        jwt = read_vc_jwt(sign_raw({"alg": "EdDSA", "kid": vm(ISSUER_KEY)}, payload))
        assert (
            claim_problems(jwt)
            == [p for p in claim_problems(jwt) if f"the {claim} claim is missing" in p]
            != []
        )
    # a claim the credential cannot back, and claims of the wrong type
    no_end = {k: v for k, v in doc.items() if k != "validUntil"}
    payload = {**no_end, **good, "exp": good["exp"]}
    problems = claim_problems(
        read_vc_jwt(sign_raw({"alg": "EdDSA", "kid": vm(ISSUER_KEY)}, payload))
    )
    assert problems == [
        "the exp claim is 2027-01-15T09:00:00Z, but the credential has no valid validUntil"
    ]
    payload = {**doc, **good, "nbf": "2026-01-15", "iss": 5, "iat": True}
    problems = claim_problems(
        read_vc_jwt(sign_raw({"alg": "EdDSA", "kid": vm(ISSUER_KEY)}, payload))
    )
    assert "the iss claim is not a text value" in problems
    assert "the nbf claim is not a NumericDate (seconds since 1970)" in problems
    assert "the iat claim is not a NumericDate (seconds since 1970)" in problems


def test_a_header_jwk_must_be_the_named_key() -> None:
    from microcred.proof.jose.compact import b64url_encode as enc

    doc = credential()
    payload = {**doc, **claims_for(doc)}
    own = {"kty": "OKP", "crv": "Ed25519", "x": enc(ISSUER_KEY.public_bytes)}
    other = {"kty": "OKP", "crv": "Ed25519", "x": enc(OTHER_KEY.public_bytes)}
    good = read_vc_jwt(sign_raw({"alg": "EdDSA", "kid": vm(ISSUER_KEY), "jwk": own}, payload))
    bad = read_vc_jwt(sign_raw({"alg": "EdDSA", "kid": vm(ISSUER_KEY), "jwk": other}, payload))
    assert verify_signature(good, ISSUER_KEY.public_bytes)
    assert not verify_signature(bad, ISSUER_KEY.public_bytes)


def test_whitespace_around_a_token_is_ignored() -> None:
    token = encode_vc_jwt(credential(), ISSUER_KEY.signer(vm(ISSUER_KEY)))
    assert read_vc_jwt(f"  {token}\n").token == token
    assert json.loads(json.dumps(decode_vc_jwt(token)[1]))["iss"] == did(ISSUER_KEY)
