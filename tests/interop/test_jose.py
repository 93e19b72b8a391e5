"""VC-JWT interoperability with panva's ``jose`` (npm), an independent JOSE implementation.

Python -> JS: VC-JWTs made by ``encode_vc_jwt`` (from an unsigned credential, and from one that
already carries its Data Integrity proof, as the API and wallet make them) pass ``jose``'s
``jwtVerify`` (EdDSA only, the token's ``nbf``/``exp`` checked against a fixed date) with the
issuer's public key exported as an OKP JWK; a changed payload and another key fail there.

JS -> Python: ``jose``'s ``SignJWT`` signs a credential (EdDSA, ``kid`` = the did:key DID URL,
``iss``/``jti``/``sub``/``nbf``/``exp`` set with its own setters); microcred's verifier
(``wiring.build_engine``) accepts it with the same report families as a Data Integrity
credential, and rejects the token with a changed payload or a ``kid`` of another key.

One ``node`` process per direction (``tests/interop/js/jose.mjs``, JSON on stdin/stdout).
Skipped when ``node_modules/jose`` is missing (``make test`` / ``npm ci`` installs it).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from microcred.clock import FixedClock
from microcred.definition import compose_credential
from microcred.definition.samples import sample_achievement, sample_issuer
from microcred.did.key import did_key_from_public, did_key_verification_method
from microcred.issuance import IssuancePipeline
from microcred.keys.ed25519 import Ed25519KeyPair
from microcred.model import hash_email
from microcred.proof.jose import b64url_decode, b64url_encode, claims_for, encode_vc_jwt
from microcred.wiring import Engine, build_engine

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).resolve().parent / "js" / "jose.mjs"
JOSE = ROOT / "node_modules" / "jose" / "package.json"

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(
        not JOSE.is_file(), reason="node_modules/jose is missing (run `make test` or `npm ci`)"
    ),
]

SIGNED_AT = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)
VALID_UNTIL = datetime(2031, 3, 3, 9, 30, tzinfo=UTC)
VERIFY_AT = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

ISSUER_SEED = hashlib.sha256(b"microcred interop: jose python issuer").digest()
ISSUER_KEY = Ed25519KeyPair.from_seed(ISSUER_SEED)
ISSUER = did_key_from_public(ISSUER_KEY.public_bytes)
ISSUER_VM = did_key_verification_method(ISSUER_KEY.public_bytes)
JS_SEED = hashlib.sha256(b"microcred interop: jose javascript issuer").digest()
JS_KEY = Ed25519KeyPair.from_seed(JS_SEED)
JS_ISSUER = did_key_from_public(JS_KEY.public_bytes)
JS_VM = did_key_verification_method(JS_KEY.public_bytes)


def public_jwk(key: Ed25519KeyPair) -> dict[str, str]:
    """The OKP JWK (RFC 8037) of an Ed25519 public key."""
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(key.public_bytes)}


def private_jwk(key: Ed25519KeyPair, seed: bytes) -> dict[str, str]:
    return {**public_jwk(key), "d": b64url_encode(seed)}


def run_jose(request: Mapping[str, Any]) -> dict[str, Any]:
    node = shutil.which("node")
    assert node, "node is not on PATH (Node 20 is required for the interop tests)"
    done = subprocess.run(
        [node, str(SCRIPT)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"jose.mjs failed:\n{done.stderr}"
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def compose(number: int, issuer: str, *, subject_did: bool) -> dict[str, Any]:
    """An unsigned OB 3.0 credential of the sample definition (EU elements included)."""
    learner = (
        f"did:example:learner-{number}"
        if subject_did
        else hash_email(f"learner{number}@uni.example", salt="5a17")
    )
    return compose_credential(
        sample_achievement(awarding_body=issuer, with_eu_elements=True),
        learner,
        sample_issuer(issuer),
        credential_id=f"urn:uuid:2f6d3c10-7b1e-4d0a-9c55-{number:012d}",
        valid_from=SIGNED_AT,
        valid_until=VALID_UNTIL,
    )


def with_payload(token: str, change: Any) -> str:
    """The token with its payload decoded, changed by ``change`` and re-encoded (same signature)."""
    head, body, signature = token.split(".")
    payload = json.loads(b64url_decode(body, "payload"))
    change(payload)
    return f"{head}.{b64url_encode(json.dumps(payload).encode())}.{signature}"


def rename(payload: dict[str, Any]) -> None:
    payload["credentialSubject"]["achievement"]["name"] = "Doctorate in Everything"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_engine(allow_network=False, clock=FixedClock(VERIFY_AT))


@pytest.fixture(scope="module")
def ours(engine: Engine) -> dict[str, str]:
    """Our VC-JWTs: plain (subject DID), with a Data Integrity proof inside, and typ vc+jwt."""
    signer = ISSUER_KEY.signer(ISSUER_VM)
    pipeline = IssuancePipeline(engine.registry, engine.loader, engine.verifier)
    signed = pipeline.issue(
        compose(2, ISSUER, subject_did=False), signer, "eddsa-rdfc-2022", now=SIGNED_AT
    )
    return {
        "plain": encode_vc_jwt(compose(1, ISSUER, subject_did=True), signer),
        "embedded": encode_vc_jwt(signed, signer),
        "vc+jwt": encode_vc_jwt(compose(3, ISSUER, subject_did=True), signer, typ="vc+jwt"),
    }


def test_jose_verifies_our_vc_jwts_with_the_issuers_jwk(ours: dict[str, str]) -> None:
    verify = [
        {
            "token": ours["plain"],
            "publicJwk": public_jwk(ISSUER_KEY),
            "currentDate": VERIFY_AT.isoformat(),
            "typ": "JWT",
            "issuer": ISSUER,
            "subject": "did:example:learner-1",
        },
        {
            "token": ours["embedded"],
            "publicJwk": public_jwk(ISSUER_KEY),
            "currentDate": VERIFY_AT.isoformat(),
            "issuer": ISSUER,
        },
        {
            "token": ours["vc+jwt"],
            "publicJwk": public_jwk(ISSUER_KEY),
            "currentDate": VERIFY_AT.isoformat(),
            "typ": "vc+jwt",
        },
    ]
    answer = run_jose({"verify": verify})["verified"]

    assert [item["ok"] for item in answer] == [True, True, True], answer
    plain = answer[0]
    assert plain["header"] == {"alg": "EdDSA", "kid": ISSUER_VM, "typ": "JWT"}
    credential = compose(1, ISSUER, subject_did=True)
    assert plain["payload"] == {**credential, **claims_for(credential)}
    assert plain["payload"]["exp"] == int(VALID_UNTIL.timestamp())
    assert answer[1]["payload"]["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert "sub" not in answer[1]["payload"]  # a learner known by a hashed e-mail has no id


def test_jose_rejects_changed_tokens_other_keys_and_expired_ones(ours: dict[str, str]) -> None:
    other = Ed25519KeyPair.from_seed(bytes(32))
    base = {"publicJwk": public_jwk(ISSUER_KEY), "currentDate": VERIFY_AT.isoformat()}
    verify = [
        {**base, "token": with_payload(ours["plain"], rename)},
        {**base, "token": ours["plain"], "publicJwk": public_jwk(other)},
        {**base, "token": ours["plain"], "currentDate": "2032-01-01T00:00:00Z"},
        {**base, "token": ours["plain"], "currentDate": "2026-01-01T00:00:00Z"},
    ]
    answer = run_jose({"verify": verify})["verified"]

    assert [item["ok"] for item in answer] == [False] * 4
    assert [item["code"] for item in answer] == [
        "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
        "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
        "ERR_JWT_EXPIRED",
        "ERR_JWT_CLAIM_VALIDATION_FAILED",  # nbf in the future
    ]


@pytest.fixture(scope="module")
def theirs() -> list[str]:
    """VC-JWTs signed by jose: one with a subject DID, one for a hashed e-mail (no ``sub``)."""
    requests = []
    for number, subject_did in ((11, True), (12, False)):
        credential = compose(number, JS_ISSUER, subject_did=subject_did)
        claims = claims_for(credential)
        requests.append(
            {
                "credential": credential,
                "privateJwk": private_jwk(JS_KEY, JS_SEED),
                "kid": JS_VM,
                "claims": claims,
            }
        )
    signed: list[str] = run_jose({"sign": requests})["signed"]
    return signed


def test_our_verifier_accepts_a_vc_jwt_signed_by_jose(engine: Engine, theirs: list[str]) -> None:
    for token in theirs:
        report = engine.verifier.verify_credential(token)
        failed = [(c.code, c.message) for c in report.checks if c.outcome.value == "failed"]
        assert report.verified, failed
        codes = {check.code for check in report.checks if check.outcome.value == "passed"}
        assert {"proof.jws", "proof.jwt-claims", "issuer.key"} <= codes
        assert any(code.startswith("eu.") for code in codes)
    head = json.loads(b64url_decode(theirs[0].split(".")[0], "header"))
    assert head == {"alg": "EdDSA", "kid": JS_VM, "typ": "JWT"}


def test_our_verifier_rejects_a_changed_jose_token(engine: Engine, theirs: list[str]) -> None:
    report = engine.verifier.verify_credential(with_payload(theirs[0], rename))
    assert not report.verified
    [jws] = [check for check in report.checks if check.code == "proof.jws"]
    assert jws.outcome.value == "failed"


def test_our_verifier_rejects_a_jose_token_whose_claims_disagree(engine: Engine) -> None:
    # re-signed by jose, so the signature holds and only the claim check can catch it
    credential = compose(13, JS_ISSUER, subject_did=True)
    claims = {**claims_for(credential), "jti": "urn:uuid:00000000-0000-4000-8000-000000000000"}
    [token] = run_jose(
        {
            "sign": [
                {
                    "credential": credential,
                    "privateJwk": private_jwk(JS_KEY, JS_SEED),
                    "kid": JS_VM,
                    "claims": claims,
                }
            ]
        }
    )["signed"]
    report = engine.verifier.verify_credential(token)
    assert not report.verified
    [claims_check] = [check for check in report.checks if check.code == "proof.jwt-claims"]
    assert claims_check.outcome.value == "failed" and "jti" in claims_check.message


def test_our_verifier_rejects_a_jose_token_with_another_keys_kid(engine: Engine) -> None:
    credential = compose(14, JS_ISSUER, subject_did=True)
    [token] = run_jose(
        {
            "sign": [
                {
                    "credential": credential,
                    "privateJwk": private_jwk(JS_KEY, JS_SEED),
                    "kid": ISSUER_VM,  # names our issuer's key, signed with the JS key
                    "claims": claims_for(credential),
                }
            ]
        }
    )["signed"]
    report = engine.verifier.verify_credential(token)
    assert not report.verified
