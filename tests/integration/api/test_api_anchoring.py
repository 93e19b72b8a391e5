"""Anchoring through the real app on SQLite and PostgreSQL: issue -> anchor -> the stored
credential carries its anchor proof -> verify shows the anchor and its time; the public ledger
audit routes return data an outsider can check; reporting a compromised key."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from api_testkit import Api, problem

from microcred.anchoring.backends.embedded import Checkpoint, ConsistencyProof
from microcred.anchoring.merkle import leaf_hash, verify_consistency, verify_inclusion
from microcred.anchoring.proof import ANCHOR_CRYPTOSUITE, format_anchor_time
from microcred.services.access import Role


def issue(api: Api, number: int) -> dict[str, Any]:
    answer = api.client.post(
        "/credentials/issue",
        json={
            "credential": {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": ["VerifiableCredential"],
                "issuer": api.a.issuer.did,
                "id": f"urn:uuid:6a1c0f00-0000-4000-8000-{number:012d}",
                "credentialSubject": {"id": f"did:example:learner-{number}"},
            },
            "options": {"cryptosuite": "eddsa-jcs-2022"},
        },
        headers=api.a.auth(Role.REGISTRAR),
    )
    assert answer.status_code == 201, answer.text
    signed: dict[str, Any] = answer.json()["verifiableCredential"]
    return signed


def stored(api: Api, credential_id: str) -> dict[str, Any]:
    answer = api.client.get(f"/credentials/{credential_id}", headers=api.a.auth(Role.VIEWER))
    assert answer.status_code == 200, answer.text
    document: dict[str, Any] = answer.json()["verifiableCredential"]
    return document


def checks(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["code"]: c for c in body["report"]["checks"]}


def run(api: Api, tenant: Any = None) -> dict[str, Any]:
    tenant = tenant or api.a
    answer = api.client.post(f"/api/v1/issuers/{tenant.id}/anchoring/run", headers=tenant.auth())
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_issue_anchor_and_verify_with_the_anchor_time(api: Api) -> None:
    signed = issue(api, 1)
    assert not isinstance(signed["proof"], list)
    url = f"/api/v1/issuers/{api.a.id}/anchoring"

    before = api.client.get(url, headers=api.a.auth(Role.VIEWER))
    assert before.status_code == 200, before.text
    status = before.json()
    embedded = api.platform.anchor_setup.embedded
    assert status["ledgerId"] == embedded.ledger_id == api.platform.ledger.ledger_id
    assert status["pending"] == 2  # the tenant's first credential and this one
    assert status["batchDue"] is False and status["lastAnchoredAt"] is None

    # only admins (issuer:manage) anchor on demand; other tenants see nothing
    problem(api.client.post(f"{url}/run", headers=api.a.auth(Role.REGISTRAR)), 403)
    problem(api.client.post(f"{url}/run", headers=api.b.auth()), 404)
    problem(api.client.post(f"{url}/run"), 401)

    api.clock.advance(minutes=1)
    anchored_at = api.clock.now()
    done = run(api)
    assert done["ok"] is True and done["errors"] == []
    assert (done["sealed"], done["published"], done["completed"]) == (1, 1, 1)
    assert done["proofsWritten"] == 2
    assert done["checkpoint"]["size"] == 1

    document = stored(api, signed["id"])
    assert isinstance(document["proof"], list) and len(document["proof"]) == 2
    assert document["proof"][0] == signed["proof"]  # the signature is untouched
    anchor = document["proof"][1]
    assert anchor["cryptosuite"] == ANCHOR_CRYPTOSUITE
    assert anchor["verificationMethod"] == embedded.ledger_id
    assert anchor["created"] == format_anchor_time(anchored_at)

    verified = api.client.post("/credentials/verify", json={"verifiableCredential": document})
    assert verified.status_code == 200, verified.text
    body = verified.json()
    assert body["verified"] is True
    found = checks(body)
    assert found["anchor.inclusion"]["outcome"] == "passed"
    assert found["anchor.ledger"]["outcome"] == "passed"
    assert found["anchor.ledger"]["details"]["anchoredAt"] == format_anchor_time(anchored_at)
    assert "on the public ledger on" in found["anchor.ledger"]["message"]
    assert found["anchor.account"]["outcome"] == "passed"
    assert found["anchor.account"]["details"]["account"] == api.a.issuer.did

    after = api.client.get(url, headers=api.a.auth(Role.VIEWER)).json()
    assert after["pending"] == 0
    assert after["batches"] == {"sealed": 0, "published": 0, "completed": 1}
    assert after["lastAnchoredAt"] is not None
    batch = after["recent"][0]
    assert batch["state"] == "completed" and batch["size"] == 2 and batch["locator"] == "0"
    # issuer B was not anchored by A's run
    other = api.client.get(f"/api/v1/issuers/{api.b.id}/anchoring", headers=api.b.auth())
    assert other.json()["pending"] == 1

    # a changed anchored credential fails inclusion
    document["proof"][1]["created"] = format_anchor_time(anchored_at + timedelta(hours=1))
    altered = api.client.post("/credentials/verify", json={"verifiableCredential": document})
    assert altered.status_code == 400
    assert checks(altered.json())["anchor.ledger"]["outcome"] == "failed"


def test_ledger_audit_routes_return_checkable_data(api: Api) -> None:
    roots = []
    for step in range(3):
        issue(api, 10 + step)
        api.clock.advance(minutes=1)
        run(api)
        status = api.client.get(f"/api/v1/issuers/{api.a.id}/anchoring", headers=api.a.auth())
        roots.append(status.json()["recent"][0]["root"])
    embedded = api.platform.anchor_setup.embedded

    listed = api.new_client().get("/ledger/checkpoints")  # public: no credentials
    assert listed.status_code == 200, listed.text
    assert listed.headers["access-control-allow-origin"] == "*"
    body = listed.json()
    assert body["ledger"] == embedded.ledger_id and body["size"] == 3
    assert [c["size"] for c in body["checkpoints"]] == [3, 2, 1]
    parsed = [Checkpoint.from_json(c) for c in body["checkpoints"]]
    assert all(c.signature_valid() and c.ledger_id == embedded.ledger_id for c in parsed)
    paged = api.client.get("/ledger/checkpoints", params={"limit": 1, "beforeSize": 3}).json()
    assert [c["size"] for c in paged["checkpoints"]] == [2]

    found = api.client.get(f"/ledger/entries/{roots[1].upper()}")
    assert found.status_code == 200, found.text
    proof = found.json()
    entry = proof["entry"]
    assert entry["index"] == 1 and entry["root"] == roots[1]
    assert entry["account"] == api.a.issuer.did
    assert proof["checkpoint"]["size"] == 3
    assert verify_inclusion(
        leaf_hash(bytes.fromhex(entry["hash"])),
        entry["index"],
        3,
        [bytes.fromhex(h) for h in proof["inclusion"]],
        bytes.fromhex(proof["checkpoint"]["root"]),
    )

    consistency = api.client.get("/ledger/consistency", params={"first": 1, "second": 3})
    assert consistency.status_code == 200, consistency.text
    data = consistency.json()
    assert verify_consistency(
        1,
        3,
        bytes.fromhex(data["old"]["root"]),
        bytes.fromhex(data["new"]["root"]),
        [bytes.fromhex(h) for h in data["proof"]],
    )
    checked = ConsistencyProof(
        Checkpoint.from_json(data["old"]),
        Checkpoint.from_json(data["new"]),
        tuple(bytes.fromhex(h) for h in data["proof"]),
    )
    assert checked.verify()
    forged = ConsistencyProof(checked.old, checked.new, (bytes(32), *checked.hashes[1:]))
    assert not forged.verify()

    problem(api.client.get(f"/ledger/entries/{'ab' * 32}"), 404)
    problem(api.client.get("/ledger/entries/not-hex"), 422)
    problem(api.client.get("/ledger/consistency", params={"first": 3, "second": 1}), 400)
    problem(api.client.get("/ledger/consistency", params={"first": 1, "second": 9}), 404)
    problem(api.client.get("/ledger/consistency", params={"first": 0, "second": 1}), 422)


def test_reporting_a_compromised_key(api: Api) -> None:
    anchored = issue(api, 20)
    api.clock.advance(minutes=1)
    run(api)
    api.clock.advance(minutes=1)
    unanchored = issue(api, 21)
    api.clock.advance(minutes=1)
    keys = api.client.get(f"/api/v1/issuers/{api.a.id}/keys", headers=api.a.auth()).json()
    active = next(k for k in keys if k["status"] == "active")
    url = f"/api/v1/issuers/{api.a.id}/keys/{active['id']}/compromise"
    since = api.clock.now() - timedelta(seconds=30)
    when = format_anchor_time(since)

    problem(api.client.post(url, json={"compromisedAt": when}), 401)
    problem(api.client.post(url, json={"compromisedAt": when}, headers=api.a.auth()), 422)
    problem(api.client.post(url, json={"reason": "x", "extra": 1}, headers=api.a.auth()), 422)
    future = format_anchor_time(api.clock.now() + timedelta(days=1))
    problem(
        api.client.post(
            url, json={"reason": "lost", "compromisedAt": future}, headers=api.a.auth()
        ),
        400,
    )
    problem(
        api.client.post(url, json={"reason": "lost", "compromisedAt": when}, headers=api.b.auth()),
        404,
    )
    problem(
        api.client.post(
            url,
            json={"reason": "lost", "compromisedAt": when},
            headers=api.a.auth(Role.REGISTRAR),
        ),
        403,
    )
    missing = f"/api/v1/issuers/{api.a.id}/keys/00000000-0000-4000-8000-000000000000/compromise"
    problem(
        api.client.post(
            missing, json={"reason": "lost", "compromisedAt": when}, headers=api.a.auth()
        ),
        404,
    )

    done = api.client.post(
        url, json={"reason": "laptop stolen", "compromisedAt": when}, headers=api.a.auth()
    )
    assert done.status_code == 200, done.text
    key = done.json()
    assert key["id"] == active["id"] and key["status"] == "rotated"
    assert key["statusListsResigned"] == 2  # revocation and suspension
    assert key["compromisedAt"].startswith(since.isoformat()[:19])
    did = api.client.get(f"/issuers/{api.a.issuer.slug}/did.json").json()
    method = next(m for m in did["verificationMethod"] if m["id"] == key["verificationMethod"])
    assert method["revoked"] == when

    kept = api.client.post(
        "/credentials/verify", json={"verifiableCredential": stored(api, anchored["id"])}
    )
    assert kept.status_code == 200, kept.text
    assert checks(kept.json())["anchor.key"]["outcome"] == "warning"
    lost = api.client.post(
        "/credentials/verify", json={"verifiableCredential": stored(api, unanchored["id"])}
    )
    assert lost.status_code == 400
    assert checks(lost.json())["anchor.key"]["outcome"] == "failed"
    audit = api.client.get(
        f"/api/v1/issuers/{api.a.id}/audit",
        params={"action": "issuer.key_compromise"},
        headers=api.a.auth(),
    ).json()
    assert audit[0]["details"]["reason"] == "laptop stolen"
