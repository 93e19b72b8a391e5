"""The recognition officer role through the API: recognition work yes, issuing/revoking no."""

from __future__ import annotations

from typing import Any

from api_testkit import Api, problem
from test_api_vcapi import unsigned_credential

from microcred.services.access import ROLE_PERMISSIONS, Permission, Role


def _external(api: Api) -> dict[str, Any]:
    issued = api.platform.issuance.get_credential(
        api.b.principals[Role.ADMIN], api.b.id, api.b.credential_id
    )
    return dict(issued.document)


def test_the_role_holds_recognition_and_reading_only() -> None:
    assert ROLE_PERMISSIONS[Role.RECOGNITION_OFFICER] == {
        Permission.ISSUER_READ,
        Permission.DEFINITION_READ,
        Permission.LEARNER_READ,
        Permission.RECOGNITION_DECIDE,
    }


def test_an_officer_imports_and_decides_but_cannot_issue_or_revoke(api: Api) -> None:
    a = api.a
    base = f"/api/v1/issuers/{a.id}"
    for officer in (
        a.auth(Role.RECOGNITION_OFFICER),  # an admin's token scoped to the role
        {"Cookie": "microcred_session="  # the officer signed in
         + api.platform.identity.start_session(a.principals[Role.RECOGNITION_OFFICER]).secret},
    ):  # fmt: skip
        assert api.client.get(f"{base}/pathways", headers=officer).status_code == 200
        progress = api.client.get(f"{base}/learners/{a.learner_id}/pathways", headers=officer)
        assert progress.status_code == 200

        problem(
            api.client.post(
                "/credentials/issue",
                json={"credential": unsigned_credential(a.issuer.did), "options": {}},
                headers=officer,
            ),
            403,
        )
        problem(
            api.client.post(
                f"{base}/credentials/{a.credential_id}/revoke",
                json={"reason": "Issued in error."},
                headers=officer,
            ),
            403,
        )
        problem(api.client.get(f"{base}/credentials/{a.credential_id}", headers=officer), 403)

    officer = a.auth(Role.RECOGNITION_OFFICER)
    imported = api.client.post(
        f"{base}/recognition/credentials",
        json={"learnerId": str(a.learner_id), "credential": _external(api)},
        headers=officer,
    )
    assert imported.status_code == 201, imported.text
    assert imported.json()["verified"] is True
    # issuing the recognition as a credential is issuing: refused, nothing recorded
    problem(
        api.client.post(
            f"{base}/recognition/credentials/{imported.json()['id']}/decision",
            json={
                "outcome": "recognised",
                "ects": 5,
                "reason": "Same learning outcomes.",
                "issueDefinitionId": str(a.definition_id),
            },
            headers=officer,
        ),
        403,
    )
    decided = api.client.post(
        f"{base}/recognition/credentials/{imported.json()['id']}/decision",
        json={"outcome": "recognised", "ects": 5, "reason": "Same learning outcomes."},
        headers=officer,
    )
    assert decided.status_code == 201, decided.text
    assert decided.json()["outcome"] == "recognised"
    assert decided.json()["decidedBy"] is not None
