"""VC-API through the real ASGI app: issue -> verify round trip, presentations, reading back."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from api_testkit import Api, bearer, problem

from microcred.services.access import Role


def unsigned_credential(did: str, **extra: Any) -> dict[str, Any]:
    credential: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": did,
        "credentialSubject": {"id": "did:example:learner-7"},
    }
    credential.update(extra)
    return credential


def test_issue_then_verify_round_trip(api: Api) -> None:
    answer = api.client.post(
        "/credentials/issue",
        json={
            "credential": unsigned_credential(
                api.a.issuer.did, id="urn:uuid:0b0f4a52-1f7e-4c47-a3c4-5b1c8d8e9f10"
            ),
            "options": {},
        },
        headers=api.a.auth(Role.REGISTRAR),
    )
    assert answer.status_code == 201, answer.text
    signed = answer.json()["verifiableCredential"]
    assert signed["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert signed["proof"]["verificationMethod"].startswith(api.a.issuer.did + "#")

    verified = api.client.post("/credentials/verify", json={"verifiableCredential": signed})
    assert verified.status_code == 200, verified.text
    body = verified.json()
    assert body["verified"] is True
    assert body["errors"] == [] and body["problemDetails"] == []
    assert "proof" in " ".join(body["checks"])
    assert body["report"]["verified"] is True
    assert "credential" not in body

    # The credential is stored: GET /credentials/{id} by its id (a URI).
    stored = api.client.get(f"/credentials/{signed['id']}", headers=api.a.auth(Role.VIEWER))
    assert stored.status_code == 200, stored.text
    assert stored.json() == {"verifiableCredential": signed}


def test_issue_with_jcs_and_echo_the_credential(api: Api) -> None:
    answer = api.client.post(
        "/credentials/issue",
        json={
            "credential": unsigned_credential(
                api.a.issuer.did, id="urn:uuid:7d0e5a49-2b38-4a21-9d3c-0b1c2d3e4f50"
            ),
            "options": {"cryptosuite": "eddsa-jcs-2022"},
        },
        headers=api.a.auth(),
    )
    assert answer.status_code == 201, answer.text
    signed = answer.json()["verifiableCredential"]
    assert signed["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    verified = api.client.post(
        "/credentials/verify",
        json={"verifiableCredential": signed, "options": {"returnCredential": True}},
    )
    assert verified.status_code == 200
    assert verified.json()["credential"] == signed


def test_tampered_credential_is_400_with_the_report(api: Api) -> None:
    document = api.platform.issuance.get_credential(
        api.a.principals[Role.VIEWER], api.a.id, api.a.credential_id
    ).document
    tampered = copy.deepcopy(dict(document))
    tampered["credentialSubject"]["achievement"]["name"] = "Something else entirely"
    answer = api.client.post("/credentials/verify", json={"verifiableCredential": tampered})
    body = problem(answer, 400)
    assert body["type"] == "https://microcred.dev/problems/not-verified"
    assert body["verified"] is False
    assert any(e["code"].startswith("proof") for e in body["errors"])
    assert body["problemDetails"] and body["report"]["verified"] is False
    assert api.client.get("/metrics").text.count(
        'microcred_verifications_total{kind="credential",outcome="not_verified"} 1'
    )


def test_platform_credential_verifies_through_hosted_did_web(api: Api) -> None:
    document = api.platform.issuance.get_credential(
        api.b.principals[Role.ADMIN], api.b.id, api.b.credential_id
    ).document
    answer = api.client.post("/credentials/verify", json={"verifiableCredential": dict(document)})
    assert answer.status_code == 200, answer.text
    assert answer.json()["verified"] is True


def test_not_a_credential_is_400_unreadable(api: Api) -> None:
    body = problem(
        api.client.post("/credentials/verify", json={"verifiableCredential": {"hello": "world"}}),
        400,
    )
    assert body["type"] == "https://microcred.dev/problems/unreadable-credential"
    assert body["verified"] is False


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"verifiableCredential": "a string"},
        {"verifiableCredential": {}, "unexpected": 1},
        {"verifiableCredential": {}, "options": {"checks": ["proof"]}},
    ],
)
def test_verify_request_shape_is_422(api: Api, payload: dict[str, Any]) -> None:
    body = problem(api.client.post("/credentials/verify", json=payload), 422)
    assert body["errors"] and all({"location", "path", "message"} <= set(e) for e in body["errors"])


def test_issue_refusals(api: Api) -> None:
    credential = unsigned_credential(api.a.issuer.did)
    problem(api.client.post("/credentials/issue", json={"credential": credential}), 401)
    problem(
        api.client.post(
            "/credentials/issue", json={"credential": credential}, headers=api.a.auth(Role.VIEWER)
        ),
        403,
    )
    # Another issuer's DID: 400 naming the issuer problem (the VC-API's "issuer mismatch").
    wrong = problem(
        api.client.post(
            "/credentials/issue",
            json={"credential": unsigned_credential(api.b.issuer.did)},
            headers=api.a.auth(),
        ),
        400,
    )
    assert api.a.issuer.did in wrong["detail"]
    # Malformed credential and unknown options.
    problem(
        api.client.post(
            "/credentials/issue",
            json={"credential": {"type": "VerifiableCredential"}},
            headers=api.a.auth(),
        ),
        400,
    )
    problem(
        api.client.post(
            "/credentials/issue",
            json={"credential": credential, "options": {"mandatoryPointers": ["/issuer"]}},
            headers=api.a.auth(),
        ),
        422,
    )
    problem(
        api.client.post(
            "/credentials/issue", json={"credential": credential}, headers=bearer("mc_nope")
        ),
        401,
    )


def test_get_credential_is_tenant_scoped(api: Api) -> None:
    own = api.client.get(f"/credentials/{api.a.credential_uri}", headers=api.a.auth(Role.VIEWER))
    assert own.status_code == 200
    by_row_id = api.client.get(f"/credentials/{api.a.credential_id}", headers=api.a.auth())
    assert by_row_id.status_code == 200
    assert by_row_id.json() == own.json()
    problem(api.client.get(f"/credentials/{api.b.credential_uri}", headers=api.a.auth()), 404)
    problem(api.client.get(f"/credentials/{api.b.credential_id}", headers=api.a.auth()), 404)
    problem(api.client.get(f"/credentials/{api.a.credential_uri}"), 401)


def unsigned_presentation(credentials: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": credentials,
    }


def test_unsigned_presentation_verifies_its_credentials(api: Api) -> None:
    document = dict(
        api.platform.issuance.get_credential(
            api.a.principals[Role.VIEWER], api.a.id, api.a.credential_id
        ).document
    )
    answer = api.client.post(
        "/presentations/verify", json={"presentation": unsigned_presentation([document])}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["verified"] is True
    assert [w["code"] for w in body["warnings"]].count("presentation.proof") == 1

    # With a challenge, an unsigned presentation cannot answer it: 200 (it ran), not verified.
    challenged = api.client.post(
        "/presentations/verify",
        json={
            "verifiablePresentation": unsigned_presentation([document]),
            "options": {"challenge": "c-123", "domain": "verifier.example"},
        },
    )
    assert challenged.status_code == 200
    assert challenged.json()["verified"] is False

    tampered = copy.deepcopy(document)
    tampered["validFrom"] = "2001-01-01T00:00:00Z"
    broken = api.client.post(
        "/presentations/verify", json={"presentation": unsigned_presentation([tampered])}
    )
    assert broken.status_code == 200
    assert broken.json()["verified"] is False


def test_presentation_request_shapes(api: Api) -> None:
    problem(api.client.post("/presentations/verify", json={}), 422)
    both = {"presentation": {}, "verifiablePresentation": {}}
    problem(api.client.post("/presentations/verify", json=both), 422)
    unreadable = problem(
        api.client.post("/presentations/verify", json={"presentation": {"type": "Nope"}}), 400
    )
    assert unreadable["type"] == "https://microcred.dev/problems/unreadable-presentation"
