"""Partners, endorsements and CLR 2.0 through the real ASGI app (SQLite and PostgreSQL):
strict bodies (422/400 problem+json), tenancy, issued credentials carrying endorsements, a
CLR exported and verified through the VC-API verify endpoint (per-credential checks)."""

from __future__ import annotations

import copy

from api_testkit import Api, problem

from microcred.services.access import Role
from microcred.services.issuance import IssueRequest


def partner(api: Api, **body: object) -> dict:  # type: ignore[type-arg]
    answer = api.client.post(
        f"/api/v1/issuers/{api.a.id}/partners",
        json={"name": "Acme Robotics", "holdKey": True, **body},
        headers=api.a.auth(),
    )
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_partner_endorsement_issue_and_verify(api: Api) -> None:
    made = partner(api)
    assert made["did"].startswith("did:key:z6Mk") and made["holdsKey"] is True
    answer = api.client.post(
        f"/api/v1/issuers/{api.a.id}/endorsements",
        json={
            "partnerId": made["id"],
            "target": "definition",
            "definitionId": str(api.a.definition_id),
            "comment": "Acme hires graduates of this course.",
        },
        headers=api.a.auth(),
    )
    assert answer.status_code == 201, answer.text
    endorsement = answer.json()
    assert endorsement["credential"]["type"] == ["VerifiableCredential", "EndorsementCredential"]
    listed = api.client.get(f"/api/v1/issuers/{api.a.id}/endorsements", headers=api.a.auth())
    assert [e["id"] for e in listed.json()] == [endorsement["id"]]

    request = IssueRequest.from_json(
        {"definitionId": str(api.a.definition_id), "learnerId": str(api.a.learner_id)}
    )
    issued = api.platform.issuance.issue(api.a.principals[Role.REGISTRAR], api.a.id, request)
    [embedded] = issued.document["credentialSubject"]["achievement"]["endorsement"]
    assert embedded == endorsement["credential"]
    verified = api.client.post(
        "/credentials/verify", json={"verifiableCredential": issued.document}
    )
    assert verified.status_code == 200, verified.text
    report = verified.json()["report"]
    assert report["verified"] is True
    assert [c["outcome"] for c in report["checks"] if c["code"] == "endorsement"] == ["passed"]

    tampered = copy.deepcopy(issued.document)
    tampered["credentialSubject"]["achievement"]["endorsement"][0]["name"] = "Forged"
    answer = api.client.post("/credentials/verify", json={"verifiableCredential": tampered})
    report = problem(answer, 400)["report"]
    assert report["verified"] is False
    failed = {c["code"]: c for c in report["checks"] if c["outcome"] == "failed"}
    assert failed["endorsement"]["details"]["failed"] == ["proof.signature_invalid"]

    withdrawn = api.client.post(
        f"/api/v1/issuers/{api.a.id}/endorsements/{endorsement['id']}/withdraw",
        headers=api.a.auth(),
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["active"] is False
    problem(
        api.client.post(
            f"/api/v1/issuers/{api.a.id}/endorsements/{endorsement['id']}/withdraw",
            headers=api.a.auth(),
        ),
        409,
    )


def test_bad_bodies_and_other_tenants_get_problems(api: Api) -> None:
    url = f"/api/v1/issuers/{api.a.id}/partners"
    problem(api.client.post(url, json={"name": "X", "holdKey": "yes"}, headers=api.a.auth()), 422)
    problem(
        api.client.post(url, json={"name": "X", "did": "did:example:1"}, headers=api.a.auth()), 422
    )
    problem(
        api.client.post(url, json={"name": "X", "extra": 1, "holdKey": True}, headers=api.a.auth()),
        422,
    )
    problem(api.client.post(url, json={"name": "X"}, headers=api.a.auth()), 400)
    problem(api.client.post(url, json={"name": "X", "holdKey": True}, headers=api.b.auth()), 404)
    problem(api.client.post(url, json={"name": "X", "holdKey": True}), 401)
    problem(
        api.client.post(url, json={"name": "X", "holdKey": True}, headers=api.a.auth(Role.VIEWER)),
        403,
    )
    made = partner(api)
    problem(
        api.client.post(
            f"/api/v1/issuers/{api.a.id}/endorsements/upload",
            json={
                "partnerId": made["id"],
                "target": "issuer",
                "credential": {"@context": [], "type": ["VerifiableCredential"]},
            },
            headers=api.a.auth(),
        ),
        400,
    )
    problem(
        api.client.post(
            f"/api/v1/issuers/{api.a.id}/clr",
            json={"learnerId": str(api.a.learner_id), "credentialIds": []},
            headers=api.a.auth(),
        ),
        422,
    )
    problem(
        api.client.post(
            f"/api/v1/issuers/{api.a.id}/clr",
            json={"learnerId": str(api.a.learner_id), "credentialIds": [str(api.b.credential_id)]},
            headers=api.a.auth(),
        ),
        404,
    )


def test_clr_export_then_verify_through_the_vc_api(api: Api) -> None:
    answer = api.client.post(
        f"/api/v1/issuers/{api.a.id}/clr",
        json={
            "learnerId": str(api.a.learner_id),
            "credentialIds": [str(api.a.credential_id)],
            "name": "Transcript",
        },
        headers=api.a.auth(Role.REGISTRAR),
    )
    assert answer.status_code == 200, answer.text
    record = answer.json()
    assert record["type"] == ["VerifiableCredential", "ClrCredential"]
    assert record["name"] == "Transcript"
    verified = api.client.post("/credentials/verify", json={"verifiableCredential": record})
    assert verified.status_code == 200, verified.text
    body = verified.json()
    assert body["verified"] is True, body
    clr_checks = [c for c in body["report"]["checks"] if c["code"] == "clr.credential"]
    assert [c["outcome"] for c in clr_checks] == ["passed"]
    assert body["report"]["credentials"][0]["verified"] is True

    record["credentialSubject"]["verifiableCredential"][0]["name"] = "Changed"
    verified = api.client.post("/credentials/verify", json={"verifiableCredential": record})
    report = problem(verified, 400)["report"]
    assert report["verified"] is False
    failed = {c["code"] for c in report["checks"] if c["outcome"] == "failed"}
    assert {"clr.credential", "proof.signature_invalid"} <= failed
