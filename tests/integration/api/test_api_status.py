"""Status lists through the real ASGI app, on SQLite and PostgreSQL.

Issue through the admin API -> verify (status passed) -> revoke through the VC-API status
endpoint -> verify says "Revoked by the issuer"; suspend -> reinstate; the public list with
its ETag, Cache-Control and 304; tenancy and roles; the reason in the audit log and never in
the list. The platform here has a status TTL of 0 (verifiers must not cache).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal
from api_testkit import (
    BASE_URL,
    FAST,
    OPERATOR_EMAIL,
    PASSWORD,
    Api,
    Client,
    StepClock,
    _tenant,
    problem,
)

from microcred.api import create_app
from microcred.services.access import Role
from microcred.services.identity import PasswordHashing
from microcred.services.platform import build_platform
from microcred.settings import load_settings
from microcred.status import StatusBitstring

REASON = "Assessment result withdrawn after appeal (case 2026-117)"


@pytest.fixture
def status_api(
    database_url: str, tmp_path: Path, clock: StepClock, portal: BlockingPortal
) -> Iterator[Api]:
    """The ``api`` world on a platform whose status TTL is 0."""
    settings = load_settings(
        home=tmp_path / "home",
        database_url=database_url,
        base_url=BASE_URL,
        kek=secrets.token_hex(32),
        database_pool_size=4,
        database_max_overflow=4,
        status_ttl_seconds=0,
    )
    platform = build_platform(
        settings,
        clock=clock,
        passwords=PasswordHashing(FAST),
        allow_network=False,
        migrate_database=False,
    )
    try:
        platform.identity.create_user(None, OPERATOR_EMAIL, PASSWORD, "Operator", is_operator=True)
        operator = platform.identity.authenticate_password(OPERATOR_EMAIL, PASSWORD, "192.0.2.1")
        a = _tenant(platform, operator, "alpha", "Alpha University", "DE")
        b = _tenant(platform, operator, "beta", "Beta College", "NL")
        app = create_app(platform)
        client = Client(app, portal)
        try:
            yield Api(platform, app, client, clock, operator, a, b, portal)
        finally:
            client.close()
    finally:
        platform.close()


def _issue(api: Api, email: str = "kim@alpha.example") -> dict[str, Any]:
    answer = api.client.post(
        f"/api/v1/issuers/{api.a.id}/credentials",
        json={
            "definitionId": str(api.a.definition_id),
            "learner": {"name": "Kim Lee", "email": email},
        },
        headers=api.a.auth(Role.REGISTRAR),
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _verify(api: Api, credential: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    answer = api.client.post("/credentials/verify", json={"verifiableCredential": credential})
    return answer.status_code, answer.json()


def _status_checks(body: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {
        check["code"]: (check["outcome"], check["message"])
        for check in body["report"]["checks"]
        if check["code"].startswith("status")
    }


def _status_update(purpose: str, credential_id: str, status: bool) -> dict[str, Any]:
    return {
        "credentialId": credential_id,
        "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": purpose},
        "status": status,
    }


def test_issue_verify_revoke_through_the_vc_api_verify_again(status_api: Api) -> None:
    api = status_api
    issued = _issue(api)
    credential = issued["verifiableCredential"]
    entries = credential["credentialStatus"]
    assert [e["statusPurpose"] for e in entries] == ["revocation", "suspension"]
    assert entries[0]["statusListCredential"] == f"{BASE_URL}/status/alpha/revocation/1"
    assert entries[1]["statusListCredential"] == f"{BASE_URL}/status/alpha/suspension/1"

    code, body = _verify(api, credential)
    assert code == 200, body
    checks = _status_checks(body)
    assert checks["status.revocation"][0] == "passed"
    assert checks["status.revocation"][1].startswith("Not revoked (checked against the issuer")
    assert checks["status.suspension"][0] == "passed"
    assert "status.revocation" in body["checks"]

    revoked = api.client.post(
        "/credentials/status",
        json=_status_update("revocation", credential["id"], True),
        headers=api.a.auth(Role.REGISTRAR),
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json() == {
        "credentialId": credential["id"],
        "credentialStatus": {
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListCredential": entries[0]["statusListCredential"],
            "statusListIndex": entries[0]["statusListIndex"],
        },
        "status": True,
        "changed": True,
    }

    # TTL 0 and the in-process fetcher: the very next verification sees it
    code, body = _verify(api, credential)
    assert code == 400, body
    assert body["verified"] is False
    assert body["detail"] == "Revoked by the issuer."
    assert {"code": "status.revocation", "message": "Revoked by the issuer."} in body["errors"]
    assert _status_checks(body)["status.suspension"][0] == "passed"

    # a retry changes nothing; un-revoking is refused
    again = api.client.post(
        "/credentials/status",
        json=_status_update("revocation", credential["id"], True),
        headers=api.a.auth(Role.REGISTRAR),
    )
    assert again.status_code == 200 and again.json()["changed"] is False
    refused = api.client.post(
        "/credentials/status",
        json=_status_update("revocation", credential["id"], False),
        headers=api.a.auth(Role.REGISTRAR),
    )
    problem(refused, 409)

    stored = api.client.get(
        f"/api/v1/issuers/{api.a.id}/credentials/{issued['id']}", headers=api.a.auth(Role.VIEWER)
    )
    assert stored.json()["state"] == "revoked"


def test_suspend_then_reinstate_through_the_admin_api(status_api: Api) -> None:
    api = status_api
    issued = _issue(api)
    credential = issued["verifiableCredential"]
    base = f"/api/v1/issuers/{api.a.id}/credentials/{issued['id']}"

    suspended = api.client.post(
        f"{base}/suspend", json={"reason": "Under investigation"}, headers=api.a.auth()
    )
    assert suspended.status_code == 200, suspended.text
    change = suspended.json()
    assert change["state"] == "suspended" and change["purpose"] == "suspension"
    assert change["id"] == issued["id"] and change["credentialId"] == credential["id"]
    assert change["status"] is True and change["published"] is True and change["changed"]
    assert change["statusListIndex"] == int(credential["credentialStatus"][1]["statusListIndex"])
    assert change["listVersion"] == 2

    code, body = _verify(api, credential)
    assert code == 400 and body["detail"] == "Suspended by the issuer."

    entries = api.client.get(f"{base}/status", headers=api.a.auth(Role.VIEWER)).json()
    assert [(e["purpose"], e["set"]) for e in entries] == [
        ("revocation", False),
        ("suspension", True),
    ]

    reinstated = api.client.post(
        f"{base}/reinstate", json={"reason": "Investigation closed"}, headers=api.a.auth()
    )
    assert reinstated.status_code == 200, reinstated.text
    assert reinstated.json()["state"] == "issued" and reinstated.json()["status"] is False
    code, body = _verify(api, credential)
    assert code == 200, body
    assert _status_checks(body)["status.suspension"][0] == "passed"

    # reinstating what is not suspended, revoking twice, suspending a revoked one: 409
    problem(
        api.client.post(f"{base}/reinstate", json={"reason": "again"}, headers=api.a.auth()), 409
    )
    assert (
        api.client.post(f"{base}/revoke", json={"reason": REASON}, headers=api.a.auth())
    ).status_code == 200
    problem(api.client.post(f"{base}/revoke", json={"reason": REASON}, headers=api.a.auth()), 409)
    problem(api.client.post(f"{base}/suspend", json={"reason": "x"}, headers=api.a.auth()), 409)
    code, body = _verify(api, credential)
    assert code == 400 and body["detail"] == "Revoked by the issuer."


def test_the_public_list_etag_cache_control_and_304(status_api: Api) -> None:
    api = status_api
    issued = _issue(api)
    entry = issued["verifiableCredential"]["credentialStatus"][0]
    url = "/status/alpha/revocation/1"

    first = api.client.get(url)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "application/vc"
    assert first.headers["cache-control"] == "public, max-age=0"
    assert first.headers["access-control-allow-origin"] == "*"
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) == 66
    listed = first.json()
    assert listed["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert listed["id"] == entry["statusListCredential"]
    assert listed["issuer"] == api.a.issuer.did
    assert listed["credentialSubject"]["ttl"] == 0
    bits = StatusBitstring.decode(listed["credentialSubject"]["encodedList"])
    assert bits.get(int(entry["statusListIndex"])) == 0

    for header in (etag, f"W/{etag}", f'"nope", {etag}', "*"):
        cached = api.client.get(url, headers={"If-None-Match": header})
        assert cached.status_code == 304, header
        assert cached.content == b""
        assert cached.headers["etag"] == etag
        assert cached.headers["cache-control"] == "public, max-age=0"
    assert api.client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200

    revoked = api.client.post(
        f"/api/v1/issuers/{api.a.id}/credentials/{issued['id']}/revoke",
        json={"reason": REASON},
        headers=api.a.auth(Role.REGISTRAR),
    )
    assert revoked.status_code == 200, revoked.text
    changed = api.client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    now_bits = StatusBitstring.decode(changed.json()["credentialSubject"]["encodedList"])
    assert now_bits.set_indexes() == [int(entry["statusListIndex"])]
    # the list is itself a verifiable credential of the issuer
    code, body = _verify(api, changed.json())
    assert code == 200, body
    # the reason is in the audit log, never in what is published
    assert REASON not in changed.text
    assert REASON not in api.client.get("/status/alpha/suspension/1").text

    for missing in (
        "/status/nobody/revocation/1",
        "/status/alpha/message/1",
        "/status/alpha/revocation/2",
        "/status/alpha/revocation/0",
        "/status/alpha/revocation/one",
        "/status/alpha/revocation/99999999999999999999",
    ):
        problem(api.client.get(missing), 404)


def test_tenancy_roles_and_the_audit_log(status_api: Api) -> None:
    api = status_api
    issued = _issue(api)
    credential_id = issued["verifiableCredential"]["id"]
    path = f"/api/v1/issuers/{api.a.id}/credentials/{issued['id']}/revoke"

    # another issuer's admin: the credential does not exist for them
    problem(api.client.post(path, json={"reason": REASON}, headers=api.b.auth()), 404)
    problem(
        api.client.post(
            f"/api/v1/issuers/{api.b.id}/credentials/{issued['id']}/revoke",
            json={"reason": REASON},
            headers=api.b.auth(),
        ),
        404,
    )
    problem(
        api.client.post(
            "/credentials/status",
            json=_status_update("revocation", credential_id, True),
            headers=api.b.auth(),
        ),
        404,
    )
    # a viewer (and a designer) may look but not revoke
    for role in (Role.VIEWER, Role.DESIGNER):
        problem(api.client.post(path, json={"reason": REASON}, headers=api.a.auth(role)), 403)
        problem(
            api.client.post(
                "/credentials/status",
                json=_status_update("suspension", credential_id, True),
                headers=api.a.auth(role),
            ),
            403,
        )
    problem(api.client.post(path, json={"reason": REASON}), 401)
    # the reason is required: missing -> 422, blank or with control characters -> 400
    problem(api.client.post(path, json={}, headers=api.a.auth()), 422)
    problem(api.client.post(path, json={"reason": ""}, headers=api.a.auth()), 422)
    problem(api.client.post(path, json={"reason": "   "}, headers=api.a.auth()), 400)
    problem(api.client.post(path, json={"reason": "a\x00b"}, headers=api.a.auth()), 400)
    # the VC-API body is strict
    problem(
        api.client.post(
            "/credentials/status",
            json={**_status_update("revocation", credential_id, True), "reason": "x"},
            headers=api.a.auth(),
        ),
        422,
    )
    problem(
        api.client.post(
            "/credentials/status",
            json=_status_update("message", credential_id, True),
            headers=api.a.auth(),
        ),
        400,
    )
    lists = api.client.get(f"/api/v1/issuers/{api.a.id}/status-lists", headers=api.b.auth())
    problem(lists, 404)
    # nothing changed so far
    code, _ = _verify(api, issued["verifiableCredential"])
    assert code == 200

    done = api.client.post(path, json={"reason": REASON}, headers=api.a.auth(Role.REGISTRAR))
    assert done.status_code == 200, done.text
    audit = api.client.get(
        f"/api/v1/issuers/{api.a.id}/audit",
        params={"action": "credential.revoke"},
        headers=api.a.auth(),
    )
    [entry] = audit.json()
    assert entry["details"]["reason"] == REASON
    assert entry["details"]["credential"] == credential_id
    assert entry["details"]["purpose"] == "revocation" and entry["details"]["published"]
    assert entry["targetId"] == issued["id"]

    listed = api.client.get(
        f"/api/v1/issuers/{api.a.id}/status-lists", headers=api.a.auth(Role.VIEWER)
    )
    assert listed.status_code == 200, listed.text
    by_purpose = {item["purpose"]: item for item in listed.json()}
    assert set(by_purpose) == {"revocation", "suspension"}
    revocation = by_purpose["revocation"]
    # the tenant's own credential (api_testkit) and the one issued here
    assert revocation["allocated"] == 2 and revocation["set"] == 1
    assert revocation["size"] == 131072 and revocation["number"] == 1
    assert revocation["url"] == f"{BASE_URL}/status/alpha/revocation/1"
    assert by_purpose["suspension"]["set"] == 0


def test_a_reissue_revokes_the_old_credential(status_api: Api) -> None:
    api = status_api
    issued = _issue(api)
    corrected = api.client.post(
        f"/api/v1/issuers/{api.a.id}/credentials/{issued['id']}/reissue",
        json={"corrections": {"learner": {"name": "Kim Lee-Park"}}, "reason": "name corrected"},
        headers=api.a.auth(Role.REGISTRAR),
    )
    assert corrected.status_code == 201, corrected.text
    code, body = _verify(api, issued["verifiableCredential"])
    assert code == 400 and body["detail"] == "Revoked by the issuer."
    code, body = _verify(api, corrected.json()["verifiableCredential"])
    assert code == 200, body
    old = api.client.get(
        f"/api/v1/issuers/{api.a.id}/credentials/{issued['id']}", headers=api.a.auth()
    ).json()
    assert old["state"] == "revoked" and old["replacedById"] == corrected.json()["id"]


def test_vc_api_issued_credentials_get_status_and_can_be_revoked(status_api: Api) -> None:
    api = status_api
    answer = api.client.post(
        "/credentials/issue",
        json={
            "credential": {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "id": "urn:uuid:7d7c2c1e-9a53-4c34-8d0e-3f1f5c9a0b21",
                "type": ["VerifiableCredential"],
                "issuer": api.a.issuer.did,
                "credentialSubject": {"id": "did:example:learner-7"},
            }
        },
        headers=api.a.auth(Role.REGISTRAR),
    )
    assert answer.status_code == 201, answer.text
    signed = answer.json()["verifiableCredential"]
    assert len(signed["credentialStatus"]) == 2
    revoked = api.client.post(
        "/credentials/status",
        json=_status_update("suspension", signed["id"], True),
        headers=api.a.auth(Role.REGISTRAR),
    )
    assert revoked.status_code == 200, revoked.text
    code, body = _verify(api, signed)
    assert code == 400 and body["detail"] == "Suspended by the issuer."


def test_the_default_ttl_is_served(api: Api) -> None:
    # the shared world: MICROCRED_STATUS_TTL_SECONDS left at its default (5 minutes)
    answer = api.client.get("/status/alpha/suspension/1")
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "public, max-age=300"
    assert answer.json()["credentialSubject"]["ttl"] == 300_000
