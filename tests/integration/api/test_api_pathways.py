"""The pathway and recognition API: create a pathway, import and decide an external credential
(JSON and a baked SVG upload), the automatic award, the approval queue, problem+json errors."""

from __future__ import annotations

from typing import Any

from api_testkit import Api, definition_body, problem

from microcred.certificates.baking import bake_svg
from microcred.services.access import Role
from microcred.services.definitions import DefinitionInput

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    '<rect width="10" height="10"/></svg>'
)


def _target(api: Api, slug: str = "data-analyst") -> str:
    admin = api.a.principals[Role.ADMIN]
    platform = api.platform
    made = platform.definitions.create(
        admin, api.a.id, DefinitionInput.from_json(definition_body(slug, api.a.issuer.did))
    )
    platform.definitions.submit_for_review(admin, api.a.id, made.id)
    platform.definitions.approve_and_publish(admin, api.a.id, made.id)
    return str(made.id)


def _external(api: Api) -> dict[str, Any]:
    issued = api.platform.issuance.get_credential(
        api.b.principals[Role.ADMIN], api.b.id, api.b.credential_id
    )
    return dict(issued.document)


def _pathway(api: Api, target: str, **extra: Any) -> dict[str, Any]:
    document = _external(api)
    body = {
        "slug": "analyst",
        "name": "Data analyst",
        "targetDefinitionId": target,
        "rule": {
            "parts": [
                {"key": "skills", "label": "Data skills", "definitionId": str(api.a.definition_id)},
                {
                    "key": "beta",
                    "label": "Beta's data skills",
                    "achievementId": document["credentialSubject"]["achievement"]["id"],
                    "issuerDid": api.b.issuer.did,
                },
            ],
            "minEcts": "8",
        },
    }
    body.update(extra)
    answer = api.client.post(
        f"/api/v1/issuers/{api.a.id}/pathways", json=body, headers=api.a.auth(Role.DESIGNER)
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_recognised_external_credential_completes_a_pathway(api: Api) -> None:
    a = api.a
    pathway = _pathway(api, _target(api))
    assert pathway["rule"]["minEcts"] == "8"
    base = f"/api/v1/issuers/{a.id}"
    progress = api.client.get(
        f"{base}/learners/{a.learner_id}/pathways", headers=a.auth(Role.VIEWER)
    )
    assert progress.status_code == 200
    [entry] = progress.json()
    assert entry["progress"]["partsSatisfied"] == 1 and not entry["progress"]["met"]

    imported = api.client.post(
        f"{base}/recognition/credentials",
        json={"learnerId": str(a.learner_id), "credential": _external(api)},
        headers=a.auth(Role.REGISTRAR),
    )
    assert imported.status_code == 201, imported.text
    body = imported.json()
    assert body["verified"] is True and body["report"]["verified"] is True
    again = api.client.post(
        f"{base}/recognition/credentials",
        json={"learnerId": str(a.learner_id), "credential": _external(api)},
        headers=a.auth(Role.REGISTRAR),
    )
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    inbox = api.client.get(
        f"{base}/recognition/credentials?undecided=true", headers=a.auth(Role.VIEWER)
    )
    assert [item["id"] for item in inbox.json()] == [body["id"]]

    decided = api.client.post(
        f"{base}/recognition/credentials/{body['id']}/decision",
        json={"outcome": "recognised", "ects": 5, "reason": "Same learning outcomes."},
        headers=a.auth(Role.REGISTRAR),
    )
    assert decided.status_code == 201, decided.text
    [award] = decided.json()["awards"]
    assert award["state"] == "issued" and [p["key"] for p in award["parts"]] == ["skills", "beta"]
    credential = api.client.get(
        f"{base}/credentials/{award['credentialId']}", headers=a.auth(Role.VIEWER)
    )
    assert credential.status_code == 200
    assert len(credential.json()["verifiableCredential"]["evidence"]) == 2

    second = api.client.post(
        f"{base}/recognition/credentials/{body['id']}/decision",
        json={"outcome": "refused", "reason": "Changed my mind."},
        headers=a.auth(Role.REGISTRAR),
    )
    problem(second, 409)
    awards = api.client.get(f"{base}/pathway-awards", headers=a.auth(Role.VIEWER)).json()
    assert len(awards) == 1


def test_baked_svg_upload_and_the_approval_queue(api: Api) -> None:
    a = api.a
    _pathway(api, _target(api), requiresApproval=True)
    base = f"/api/v1/issuers/{a.id}"
    baked = bake_svg(SVG, _external(api))
    uploaded = api.client.post(
        f"{base}/recognition/credentials/upload",
        data={"learnerId": str(a.learner_id)},
        files={"file": ("badge.svg", baked.encode(), "image/svg+xml")},
        headers=a.auth(Role.REGISTRAR),
    )
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["source"].startswith("file: baked SVG")
    external_id = uploaded.json()["id"]
    decided = api.client.post(
        f"{base}/recognition/credentials/{external_id}/decision",
        json={"outcome": "recognised", "ects": "6", "reason": "ok"},
        headers=a.auth(Role.REGISTRAR),
    )
    [award] = decided.json()["awards"]
    assert award["state"] == "pending"
    pending = api.client.get(f"{base}/pathway-awards?state=pending", headers=a.auth(Role.VIEWER))
    assert [x["id"] for x in pending.json()] == [award["id"]]
    problem(
        api.client.post(
            f"{base}/pathway-awards/{award['id']}/approve", headers=a.auth(Role.VIEWER)
        ),
        403,
    )
    approved = api.client.post(
        f"{base}/pathway-awards/{award['id']}/approve", headers=a.auth(Role.REGISTRAR)
    )
    assert approved.status_code == 200 and approved.json()["state"] == "issued"


def test_problems(api: Api) -> None:
    a, b = api.a, api.b
    base = f"/api/v1/issuers/{a.id}"
    target = _target(api)
    bad_rule = api.client.post(
        f"{base}/pathways",
        json={"slug": "x", "name": "X", "targetDefinitionId": target, "rule": {"parts": []}},
        headers=a.auth(Role.DESIGNER),
    )
    problem(bad_rule, 422)
    problem(
        api.client.post(
            f"{base}/pathways",
            json={
                "slug": "x",
                "name": "X",
                "targetDefinitionId": target,
                "rule": {"parts": [{"key": "a", "label": "A", "definitionId": target}]},
            },
            headers=a.auth(Role.DESIGNER),
        ),
        400,
    )
    pathway = _pathway(api, target)
    problem(api.client.get(f"{base}/pathways/{pathway['id']}", headers=b.auth()), 404)
    problem(
        api.client.patch(
            f"{base}/pathways/{pathway['id']}", json={"name": "Y"}, headers=a.auth(Role.REGISTRAR)
        ),
        403,
    )
    changed = api.client.patch(
        f"{base}/pathways/{pathway['id']}", json={"active": False}, headers=a.auth(Role.DESIGNER)
    )
    assert changed.status_code == 200 and changed.json()["active"] is False
    problem(
        api.client.post(
            f"{base}/recognition/credentials",
            json={"learnerId": str(a.learner_id), "credential": {"hello": "world"}},
            headers=a.auth(Role.REGISTRAR),
        ),
        400,
    )
    problem(
        api.client.post(
            f"{base}/recognition/credentials",
            json={"learnerId": str(a.learner_id)},
            headers=a.auth(Role.REGISTRAR),
        ),
        422,
    )
    problem(
        api.client.post(
            f"{base}/recognition/credentials/upload",
            data={"learnerId": str(a.learner_id)},
            files={"file": ("x.png", b"\x89PNG\r\n\x1a\nnot really", "image/png")},
            headers=a.auth(Role.REGISTRAR),
        ),
        400,
    )
    problem(
        api.client.post(
            f"{base}/recognition/credentials",
            json={"learnerId": str(a.learner_id), "credential": _external(api)},
            headers=a.auth(Role.VIEWER),
        ),
        403,
    )
    problem(
        api.client.post(
            f"/api/v1/issuers/{b.id}/recognition/credentials",
            json={"learnerId": str(a.learner_id), "credential": _external(api)},
            headers=a.auth(Role.REGISTRAR),
        ),
        404,
    )
