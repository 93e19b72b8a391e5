"""The admin API's happy paths, end to end through the ASGI app (real responses)."""

from __future__ import annotations

from api_testkit import OPERATOR_EMAIL, PASSWORD, Api, bearer, definition_body, email_for, problem

from microcred.services.access import Role


def test_session_sign_in_who_am_i_sign_out(api: Api) -> None:
    client = api.new_client()
    answer = client.post(
        "/api/v1/session", json={"email": email_for(Role.DESIGNER, "alpha"), "password": PASSWORD}
    )
    assert answer.status_code == 201, answer.text
    cookie = answer.headers["set-cookie"]
    assert "microcred_session=" in cookie and "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower() and "Max-Age=" in cookie
    assert "Secure" not in cookie  # the base URL is http
    me = client.get("/api/v1/session").json()
    assert me["label"] == email_for(Role.DESIGNER, "alpha")
    assert me["memberships"] == [{"issuerId": str(api.a.id), "role": "designer"}]
    assert me["scopes"] is None
    assert client.delete("/api/v1/session").status_code == 204
    problem(client.get("/api/v1/session"), 401)
    problem(
        client.post("/api/v1/session", json={"email": OPERATOR_EMAIL, "password": "x" * 12}), 401
    )


def test_token_who_am_i_shows_scopes(api: Api) -> None:
    me = api.client.get("/api/v1/session", headers=api.a.auth(Role.VIEWER)).json()
    assert me["tokenId"] == str(api.a.token_ids[Role.VIEWER])
    assert "credential:read" in me["scopes"] and "credential:issue" not in me["scopes"]


def test_operator_manages_issuers_and_staff(api: Api) -> None:
    operator = api.sign_in(OPERATOR_EMAIL)
    created = operator.post(
        "/api/v1/issuers",
        json={
            "slug": "gamma",
            "name": "Gamma Institute",
            "countryCode": "FR",
            "regionCode": "FR-IDF",
        },
    )
    assert created.status_code == 201, created.text
    gamma = created.json()
    assert gamma["did"] == "did:web:localhost%3A8000:issuers:gamma"
    assert gamma["didDocumentUrl"] == "http://127.0.0.1:8000/issuers/gamma/did.json"
    assert gamma["activeKey"]["status"] == "active"
    problem(operator.post("/api/v1/issuers", json={"slug": "gamma", "name": "Again"}), 409)
    problem(operator.post("/api/v1/issuers", json={"slug": "Bad Slug!", "name": "X"}), 422)
    assert {i["slug"] for i in operator.get("/api/v1/issuers").json()} == {"alpha", "beta", "gamma"}

    user = operator.post(
        "/api/v1/users",
        json={
            "email": "head@gamma.example",
            "password": PASSWORD,
            "issuerId": gamma["id"],
            "role": "admin",
        },
    )
    assert user.status_code == 201, user.text
    assert (
        operator.get(f"/api/v1/users/{user.json()['id']}").json()["email"] == "head@gamma.example"
    )
    assert any(u["email"] == "head@gamma.example" for u in operator.get("/api/v1/users").json())

    head = api.sign_in("head@gamma.example")
    patched = head.patch(
        f"/api/v1/issuers/{gamma['id']}", json={"homepage": "https://gamma.example"}
    )
    assert patched.status_code == 200 and patched.json()["homepage"] == "https://gamma.example"
    rotated = head.post(f"/api/v1/issuers/{gamma['id']}/keys/rotate")
    assert rotated.status_code == 201
    keys = head.get(f"/api/v1/issuers/{gamma['id']}/keys").json()
    assert [k["status"] for k in keys] == ["rotated", "active"]
    document = api.client.get("/issuers/gamma/did.json")
    assert document.status_code == 200
    assert document.headers["content-type"].startswith("application/did+json")
    assert len(document.json()["assertionMethod"]) == 2
    problem(api.client.get("/issuers/nobody/did.json"), 404)

    actions = [e["action"] for e in head.get(f"/api/v1/issuers/{gamma['id']}/audit").json()]
    assert "issuer.key_rotate" in actions and "issuer.update" in actions
    assert operator.get("/api/v1/audit?limit=5").status_code == 200
    problem(head.get("/api/v1/audit"), 403)


def test_members_and_tokens(api: Api) -> None:
    admin = api.sign_in(email_for(Role.ADMIN, "alpha"))
    base = f"/api/v1/issuers/{api.a.id}"
    members = admin.get(f"{base}/members").json()
    assert {m["role"] for m in members} == {role.value for role in Role}
    viewer = next(m for m in members if m["role"] == "viewer")
    changed = admin.patch(f"{base}/members/{viewer['userId']}", json={"role": "registrar"})
    assert changed.status_code == 200 and changed.json()["role"] == "registrar"
    assert admin.delete(f"{base}/members/{viewer['userId']}").status_code == 204
    added = admin.post(f"{base}/members", json={"email": viewer["email"], "role": "viewer"})
    assert added.status_code == 201
    problem(admin.post(f"{base}/members", json={"email": viewer["email"], "role": "viewer"}), 409)
    problem(admin.post(f"{base}/members", json={"email": viewer["email"], "role": "owner"}), 422)

    made = admin.post(f"{base}/tokens", json={"name": "ci", "scopes": ["credential:issue"]})
    assert made.status_code == 201
    secret, token = made.json()["secret"], made.json()["token"]
    assert secret.startswith(f"mc_{token['prefix']}_")
    listed = admin.get(f"{base}/tokens").json()
    assert token["id"] in {t["id"] for t in listed}
    assert all("secret" not in t for t in listed)
    assert admin.delete(f"{base}/tokens/{token['id']}").json()["revokedAt"] is not None
    assert token["id"] not in {t["id"] for t in admin.get(f"{base}/tokens").json()}
    revoked = admin.get(f"{base}/tokens?includeRevoked=true").json()
    assert token["id"] in {t["id"] for t in revoked}
    problem(admin.post(f"{base}/tokens", json={"name": "x", "scopes": ["everything"]}), 400)


def test_definition_lifecycle(api: Api) -> None:
    base = f"/api/v1/issuers/{api.a.id}/definitions"
    designer = bearer(api.a.tokens[Role.DESIGNER])
    admin = api.a.auth()
    created = api.client.post(
        base, json=definition_body("green-skills", api.a.issuer.did), headers=designer
    )
    assert created.status_code == 201, created.text
    definition = created.json()
    assert definition["state"] == "draft" and definition["latestVersion"] == 1
    assert definition["latest"]["achievement"]["id"].endswith("/achievements/green-skills/v1")
    url = f"{base}/{definition['id']}"
    compliance = api.client.get(f"{url}/compliance", headers=designer).json()
    assert compliance["compliant"] is True
    assert api.client.post(f"{url}/submit", headers=designer).json()["state"] == "in_review"
    problem(api.client.post(f"{url}/publish", headers=designer), 403)  # reviewers publish
    sent_back = api.client.post(
        f"{url}/request-changes", json={"comment": "Add a tag"}, headers=admin
    )
    assert sent_back.json()["state"] == "draft"
    body = definition_body("green-skills", api.a.issuer.did)
    body["achievement"]["tag"] = ["green"]
    assert (
        api.client.put(url, json={"achievement": body["achievement"]}, headers=designer).json()[
            "version"
        ]
        == 1
    )
    api.client.post(f"{url}/submit", json={"version": 1}, headers=designer)
    published = api.client.post(f"{url}/publish", headers=admin)
    assert published.status_code == 200 and published.json()["state"] == "published"
    problem(api.client.post(f"{url}/publish", headers=admin), 409)
    # Editing a published definition starts version 2 as a draft.
    second = api.client.put(url, json={"achievement": body["achievement"]}, headers=designer).json()
    assert second["version"] == 2 and second["state"] == "draft"
    versions = api.client.get(f"{url}/versions", headers=designer).json()
    assert [(v["version"], v["state"]) for v in versions] == [(1, "published"), (2, "draft")]
    assert api.client.get(f"{url}/versions/1", headers=designer).json()["state"] == "published"
    listed = api.client.get(f"{base}?state=published", headers=designer).json()
    assert {d["slug"] for d in listed} == {"data-skills", "green-skills"}
    retired = api.client.post(f"{url}/retire", headers=admin)
    assert retired.json()["state"] == "retired"


def test_publishing_an_incomplete_definition_is_refused(api: Api) -> None:
    base = f"/api/v1/issuers/{api.a.id}/definitions"
    body = definition_body("no-eu", api.a.issuer.did, complete=False)
    definition = api.client.post(base, json=body, headers=api.a.auth()).json()
    url = f"{base}/{definition['id']}"
    report = api.client.get(f"{url}/compliance", headers=api.a.auth()).json()
    assert report["compliant"] is False
    assert any(f["status"] == "missing" for f in report["findings"])
    api.client.post(f"{url}/submit", headers=api.a.auth())
    refused = problem(api.client.post(f"{url}/publish", headers=api.a.auth()), 400)
    assert refused["missing"] and {"elementId", "element", "message"} <= set(refused["missing"][0])


def test_learners_credentials_idempotency_reissue_claim_outbox(api: Api) -> None:
    base = f"/api/v1/issuers/{api.a.id}"
    registrar = api.a.auth(Role.REGISTRAR)
    learner = api.client.post(
        f"{base}/learners",
        json={"name": "Mia Muster", "email": "mia@example.org", "externalId": "s-42"},
        headers=registrar,
    )
    assert learner.status_code == 200, learner.text
    learner_id = learner.json()["id"]
    assert (
        api.client.get(f"{base}/learners/{learner_id}", headers=registrar).json()["name"]
        == "Mia Muster"
    )
    assert [
        x["id"] for x in api.client.get(f"{base}/learners?search=Mia", headers=registrar).json()
    ] == [learner_id]

    request = {"definitionId": str(api.a.definition_id), "learnerId": learner_id}
    headers = {**registrar, "Idempotency-Key": "batch-7-row-1"}
    first = api.client.post(f"{base}/credentials", json=request, headers=headers)
    assert first.status_code == 201, first.text
    issued = first.json()
    assert issued["replayed"] is False and issued["claimUrl"].startswith(
        "http://127.0.0.1:8000/claim/"
    )
    assert issued["verifiableCredential"]["proof"]["type"] == "DataIntegrityProof"
    again = api.client.post(f"{base}/credentials", json=request, headers=headers)
    assert again.status_code == 201 and again.json()["id"] == issued["id"]
    assert again.json()["replayed"] is True and again.json()["claimUrl"] is None
    other = {
        "definitionId": str(api.a.definition_id),
        "learner": {"name": "Someone Else", "email": "else@example.org"},
    }
    problem(api.client.post(f"{base}/credentials", json=other, headers=headers), 409)
    problem(
        api.client.post(
            f"{base}/credentials", json={**request, "idempotencyKey": "other"}, headers=headers
        ),
        400,
    )

    page = api.client.get(f"{base}/credentials?search=Mia&limit=10", headers=registrar).json()
    assert page["total"] == 1 and page["items"][0]["id"] == issued["id"]
    by_definition = api.client.get(
        f"{base}/credentials?definitionId={api.a.definition_id}&version=1&state=issued",
        headers=registrar,
    ).json()
    assert by_definition["total"] == 2
    problem(api.client.get(f"{base}/credentials?version=1", headers=registrar), 400)
    one = api.client.get(f"{base}/credentials/{issued['id']}", headers=registrar).json()
    assert one["verifiableCredential"] == issued["verifiableCredential"] and one["claimUrl"] is None

    corrected = api.client.post(
        f"{base}/credentials/{issued['id']}/reissue",
        json={"corrections": {"learner": {"name": "Mia Müller"}}, "reason": "Name corrected"},
        headers=registrar,
    )
    assert corrected.status_code == 201, corrected.text
    assert corrected.json()["id"] != issued["id"]
    old = api.client.get(f"{base}/credentials/{issued['id']}", headers=registrar).json()
    assert old["replacedById"] == corrected.json()["id"]

    token = corrected.json()["claimUrl"].rsplit("/", 1)[1]
    claimed = api.client.get(f"/claim/{token}")
    assert claimed.status_code == 200 and claimed.json()["state"] == "claimed"
    assert claimed.json()["verifiableCredential"] == corrected.json()["verifiableCredential"]
    problem(api.client.get("/claim/" + "x" * 43), 404)

    outbox = api.client.get(f"{base}/outbox", headers=api.a.auth()).json()
    assert any(m["toAddress"] == "mia@example.org" for m in outbox)
    problem(api.client.get(f"{base}/outbox", headers=registrar), 403)
    operator = api.sign_in(OPERATOR_EMAIL)
    assert len(operator.get("/api/v1/outbox").json()) >= len(outbox)
    problem(api.client.get("/api/v1/outbox", headers=api.a.auth()), 403)
    metrics = api.client.get("/metrics").text
    assert 'microcred_credentials_issued_total{via="api"} 2' in metrics


def test_health_readiness_metrics(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    ready = api.client.get("/readyz")
    assert ready.status_code == 200
    assert {name for name, check in ready.json()["checks"].items() if check["ok"]} == {
        "database",
        "migrations",
        "key_store",
    }
    api.client.get(f"/api/v1/issuers/{api.a.id}", headers=api.a.auth())
    metrics = api.client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = metrics.text
    series = 'method="GET",route="/api/v1/issuers/{issuer_id}",status="200"'
    assert f"microcred_http_requests_total{{{series}}} 1" in text
    assert "# TYPE microcred_http_request_duration_seconds histogram" in text
    assert 'le="+Inf"' in text


def test_readiness_fails_when_the_kek_is_wrong(api: Api) -> None:
    from dataclasses import replace

    from microcred.api import create_app
    from microcred.keys.file_store import FileKeyStore

    wrong = FileKeyStore(api.platform.key_store.path, bytes(32))
    app = create_app(replace(api.platform, key_store=wrong))
    client = type(api.client)(app, api.portal)
    try:
        body = problem(client.get("/readyz"), 503)
        assert body["checks"]["key_store"]["ok"] is False
        assert body["checks"]["database"]["ok"] is True
    finally:
        client.close()


def test_session_cookie_is_secure_behind_https(api: Api) -> None:
    from dataclasses import replace

    from microcred.api import create_app

    settings = api.platform.settings.model_copy(update={"base_url": "https://creds.example.edu"})
    app = create_app(replace(api.platform, settings=settings))
    client = type(api.client)(app, api.portal)
    try:
        answer = client.post(
            "/api/v1/session", json={"email": email_for(Role.VIEWER, "beta"), "password": PASSWORD}
        )
        assert answer.status_code == 201
        assert "Secure" in answer.headers["set-cookie"]
    finally:
        client.close()
