"""Problem details everywhere, body limits, authentication failures, the OpenAPI contract."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from api_testkit import PASSWORD, Api, bearer, email_for, problem

from microcred.services.access import Role


def test_unknown_route_and_method(api: Api) -> None:
    body = problem(api.client.get("/no/such/thing"), 404)
    assert body["type"] == "https://microcred.dev/problems/not-found"
    assert body["instance"] == "/no/such/thing"
    problem(api.client.request("DELETE", "/healthz"), 405)


def test_malformed_json_is_400(api: Api) -> None:
    answer = api.client.post(
        "/credentials/verify",
        content=b'{"verifiableCredential": ',
        headers={"content-type": "application/json"},
    )
    body = problem(answer, 400)
    assert body["type"] == "https://microcred.dev/problems/invalid-json"


def test_a_body_of_another_media_type_is_415(api: Api) -> None:
    credential = b'{"verifiableCredential": {}}'
    for media in ("text/plain", "application/x-www-form-urlencoded", "application/xml"):
        answer = api.client.post(
            "/credentials/verify", content=credential, headers={"content-type": media}
        )
        body = problem(answer, 415)
        assert body["type"] == "https://microcred.dev/problems/unsupported-media-type"
        assert media in body["detail"]
        assert answer.headers["accept-post"] == "application/json"
    # an admin route with a JSON body, authenticated: the same answer, nothing created
    answer = api.client.post(
        f"/api/v1/issuers/{api.a.id}/tokens",
        content=b'{"name": "ci", "scopes": ["credential:read"]}',
        headers={**api.a.auth(), "content-type": "text/plain; charset=utf-8"},
    )
    assert problem(answer, 415)["detail"].endswith("the request sent text/plain.")
    listed = api.client.get(f"/api/v1/issuers/{api.a.id}/tokens", headers=api.a.auth())
    assert listed.status_code == 200
    assert all(token.get("name") != "ci" for token in listed.json())
    # JSON variants and a body without a declared type are still read as JSON
    for media in ("application/json; charset=utf-8", "application/ld+json", None):
        headers = {} if media is None else {"content-type": media}
        answer = api.client.post("/credentials/verify", content=credential, headers=headers)
        assert answer.status_code != 415, (media, answer.text)


def test_validation_lists_every_field(api: Api) -> None:
    answer = api.client.post(
        f"/api/v1/issuers/{api.a.id}/tokens",
        json={"name": 7, "scopes": [], "colour": "red"},
        headers=api.a.auth(),
    )
    body = problem(answer, 422)
    paths = {e["path"] for e in body["errors"]}
    assert {"name", "scopes", "colour"} <= paths
    assert all(e["location"] == "body" for e in body["errors"])
    bad_path = problem(api.client.get("/api/v1/issuers/not-a-uuid", headers=api.a.auth()), 422)
    assert bad_path["errors"][0]["location"] == "path"


def test_body_limit_is_413(api: Api) -> None:
    big = b'{"verifiableCredential": {"x": "' + b"a" * (1024 * 1024) + b'"}}'
    body = problem(
        api.client.post(
            "/credentials/verify", content=big, headers={"content-type": "application/json"}
        ),
        413,
    )
    assert body["type"] == "https://microcred.dev/problems/payload-too-large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while read
        yield b'{"verifiableCredential": {"x": "'
        for _ in range(40):
            yield b"a" * 32768
        yield b'"}}'

    async def stream():  # type: ignore[no-untyped-def]
        for chunk in chunks():
            yield chunk

    streamed = api.client.post(
        "/credentials/verify", content=stream(), headers={"content-type": "application/json"}
    )
    problem(streamed, 413)


def test_authentication_failures_are_401_with_challenge(api: Api) -> None:
    url = f"/api/v1/issuers/{api.a.id}"
    for headers in ({}, bearer("mc_0000aaaa_" + "1" * 44), {"Authorization": "Basic dXNlcjpwdw=="}):
        answer = api.client.get(url, headers=headers)
        problem(answer, 401)
        assert answer.headers["www-authenticate"].startswith("Bearer")
    # A bad session cookie is 401 too.
    stale = api.new_client()
    stale.http.cookies.set("microcred_session", "not-a-session")
    problem(stale.get(url), 401)


def test_revoked_and_expired_tokens_are_401(api: Api) -> None:
    url = f"/api/v1/issuers/{api.a.id}"
    assert api.client.get(url, headers=api.a.auth(Role.VIEWER)).status_code == 200
    revoked = api.client.delete(
        f"/api/v1/issuers/{api.a.id}/tokens/{api.a.token_ids[Role.VIEWER]}", headers=api.a.auth()
    )
    assert revoked.status_code == 200 and revoked.json()["revokedAt"]
    problem(api.client.get(url, headers=api.a.auth(Role.VIEWER)), 401)

    created = api.client.post(
        f"/api/v1/issuers/{api.a.id}/tokens",
        json={
            "name": "short-lived",
            "scopes": ["issuer:read"],
            "expiresAt": (api.clock.now() + timedelta(hours=1)).isoformat(),
        },
        headers=api.a.auth(),
    )
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    assert api.client.get(url, headers=bearer(secret)).status_code == 200
    api.clock.advance(hours=2)
    problem(api.client.get(url, headers=bearer(secret)), 401)


def test_login_throttling_is_429_with_retry_after(api: Api) -> None:
    client = api.new_client(ip="203.0.113.9")
    email = email_for(Role.VIEWER, "alpha")
    for _ in range(5):
        problem(client.post("/api/v1/session", json={"email": email, "password": "wrong" * 3}), 401)
    answer = client.post("/api/v1/session", json={"email": email, "password": PASSWORD})
    body = problem(answer, 429)
    assert int(answer.headers["retry-after"]) >= 1
    assert body["retry_after"] >= 1


def test_cookie_requests_from_other_sites_are_refused(api: Api) -> None:
    client = api.sign_in(email_for(Role.ADMIN, "alpha"))
    url = f"/api/v1/issuers/{api.a.id}/learners"
    learner = {"name": "Cross Site"}
    problem(client.post(url, json=learner, headers={"Origin": "https://evil.example"}), 403)
    same = client.post(url, json=learner, headers={"Origin": "http://127.0.0.1:8000"})
    assert same.status_code == 200, same.text


def test_openapi_documents_every_operation(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert {"Problem", "ValidationProblem", "VerificationProblem"} <= set(
        spec["components"]["schemas"]
    )
    operation_ids = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            operation_ids.append(operation["operationId"])
            assert operation.get("tags"), (method, path)
            for code, response in operation["responses"].items():
                if int(code) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], (path, code)
            if "requestBody" in operation:
                assert {"400", "413", "422"} <= set(operation["responses"]), (method, path)
    assert len(operation_ids) == len(set(operation_ids))
    for expected in ("issueCredential", "verifyCredential", "verifyPresentation", "getCredential"):
        assert expected in operation_ids
