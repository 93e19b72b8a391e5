"""VC-API with VC-JWT: issue with options.format "vc+jwt", verify a token or an enveloped one."""

from __future__ import annotations

import base64
import json
from typing import Any

from api_testkit import Api, problem

from microcred.services.access import Role


def unsigned_credential(did: str, **extra: Any) -> dict[str, Any]:
    credential: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:5d0c3e0a-7f7e-4c47-a3c4-5b1c8d8e9f21",
        "type": ["VerifiableCredential"],
        "issuer": did,
        "credentialSubject": {"id": "did:example:learner-7"},
    }
    credential.update(extra)
    return credential


def _segment(token: str, index: int) -> dict[str, Any]:
    part = token.split(".")[index]
    value: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return value


def test_issue_as_vc_jwt_then_verify_it(api: Api) -> None:
    answer = api.client.post(
        "/credentials/issue",
        json={
            "credential": unsigned_credential(api.a.issuer.did),
            "options": {"format": "vc+jwt"},
        },
        headers=api.a.auth(Role.REGISTRAR),
    )
    assert answer.status_code == 201, answer.text
    enveloped = answer.json()["verifiableCredential"]
    assert enveloped["type"] == "EnvelopedVerifiableCredential"
    prefix = "data:application/vc+jwt,"
    assert enveloped["id"].startswith(prefix)
    token = enveloped["id"][len(prefix) :]
    header, payload = _segment(token, 0), _segment(token, 1)
    assert header["alg"] == "EdDSA" and header["kid"].startswith(api.a.issuer.did + "#")
    assert payload["iss"] == api.a.issuer.did and payload["jti"] == enveloped_id(payload)
    # the stored credential (with its Data Integrity proof and status entries) is the payload
    assert payload["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert "credentialStatus" in payload

    for given in (token, enveloped):
        verified = api.client.post(
            "/credentials/verify",
            json={"verifiableCredential": given, "options": {"returnCredential": True}},
        )
        assert verified.status_code == 200, verified.text
        body = verified.json()
        assert body["verified"] is True
        assert {"proof.jws", "proof.jwt-claims", "status.revocation"} <= set(body["checks"])
        assert body["report"]["summary"]["format"] == "vc+jwt"
        assert body["credential"] == enveloped


def enveloped_id(payload: dict[str, Any]) -> str:
    return str(payload["id"])


def test_a_tampered_token_is_400_with_the_report(api: Api) -> None:
    answer = api.client.post(
        "/credentials/issue",
        json={
            "credential": unsigned_credential(api.a.issuer.did),
            "options": {"format": "vc+jwt"},
        },
        headers=api.a.auth(Role.REGISTRAR),
    )
    token = answer.json()["verifiableCredential"]["id"].split(",", 1)[1]
    head, body, sig = token.split(".")
    payload = _segment(token, 1)
    payload["credentialSubject"]["id"] = "did:example:mallory"
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    verified = api.client.post(
        "/credentials/verify", json={"verifiableCredential": f"{head}.{forged}.{sig}"}
    )
    details = problem(verified, 400)
    failed = {e["code"] for e in details["errors"]}
    assert {"proof.jws", "proof.jwt-claims"} <= failed


def test_text_that_is_not_a_token_is_a_clear_400(api: Api) -> None:
    answer = api.client.post("/credentials/verify", json={"verifiableCredential": "hello"})
    assert problem(answer, 422)["errors"]
    answer = api.client.post("/credentials/verify", json={"verifiableCredential": "a.b.c"})
    assert "not a readable VC-JWT" in problem(answer, 400)["detail"]


def test_unknown_format_option_is_422(api: Api) -> None:
    answer = api.client.post(
        "/credentials/issue",
        json={"credential": unsigned_credential(api.a.issuer.did), "options": {"format": "cose"}},
        headers=api.a.auth(Role.REGISTRAR),
    )
    assert answer.status_code in (400, 422)
    assert answer.headers["content-type"].startswith("application/problem+json")
