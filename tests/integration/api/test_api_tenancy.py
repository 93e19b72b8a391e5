"""Access control through the API, for every issuer-scoped endpoint.

* A member of issuer A, whatever their role, and A's API tokens get ``404`` for every resource
  of issuer B (the API does not even reveal that it exists).
* At their own issuer, a role (or a token scoped to a role's permissions) without the
  permission an endpoint needs gets ``403``.
* Without credentials every endpoint is ``401``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api_testkit import Api, Client, Tenant, bearer, email_for, problem

from microcred.services.access import ROLE_PERMISSIONS, Permission, Role

P = Permission


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    permission: Permission
    body: dict[str, Any] | str | None = None  # str: built per tenant (see _call)


ENDPOINTS = [
    Endpoint("GET", "/api/v1/issuers/{issuer}", P.ISSUER_READ),
    Endpoint(
        "PATCH", "/api/v1/issuers/{issuer}", P.ISSUER_MANAGE, {"homepage": "https://x.example"}
    ),
    Endpoint("GET", "/api/v1/issuers/{issuer}/keys", P.ISSUER_READ),
    Endpoint("POST", "/api/v1/issuers/{issuer}/keys/rotate", P.KEYS_MANAGE),
    Endpoint("GET", "/api/v1/issuers/{issuer}/audit", P.AUDIT_READ),
    Endpoint("GET", "/api/v1/issuers/{issuer}/members", P.ISSUER_READ),
    Endpoint(
        "POST",
        "/api/v1/issuers/{issuer}/members",
        P.STAFF_MANAGE,
        {"email": "nobody@else.example", "role": "viewer"},
    ),
    Endpoint(
        "PATCH", "/api/v1/issuers/{issuer}/members/{member}", P.STAFF_MANAGE, {"role": "viewer"}
    ),
    Endpoint("DELETE", "/api/v1/issuers/{issuer}/members/{member}", P.STAFF_MANAGE),
    Endpoint(
        "POST",
        "/api/v1/issuers/{issuer}/tokens",
        P.TOKENS_MANAGE,
        {"name": "t", "scopes": ["issuer:read"]},
    ),
    Endpoint("GET", "/api/v1/issuers/{issuer}/tokens", P.TOKENS_MANAGE),
    Endpoint("DELETE", "/api/v1/issuers/{issuer}/tokens/{token}", P.TOKENS_MANAGE),
    Endpoint("POST", "/api/v1/issuers/{issuer}/definitions", P.DEFINITION_EDIT, "definition"),
    Endpoint("GET", "/api/v1/issuers/{issuer}/definitions", P.DEFINITION_READ),
    Endpoint("GET", "/api/v1/issuers/{issuer}/definitions/{definition}", P.DEFINITION_READ),
    Endpoint(
        "PUT", "/api/v1/issuers/{issuer}/definitions/{definition}", P.DEFINITION_EDIT, "achievement"
    ),
    Endpoint(
        "GET", "/api/v1/issuers/{issuer}/definitions/{definition}/versions", P.DEFINITION_READ
    ),
    Endpoint(
        "GET", "/api/v1/issuers/{issuer}/definitions/{definition}/versions/1", P.DEFINITION_READ
    ),
    Endpoint(
        "GET", "/api/v1/issuers/{issuer}/definitions/{definition}/compliance", P.DEFINITION_READ
    ),
    Endpoint("POST", "/api/v1/issuers/{issuer}/definitions/{definition}/submit", P.DEFINITION_EDIT),
    Endpoint(
        "POST",
        "/api/v1/issuers/{issuer}/definitions/{definition}/request-changes",
        P.DEFINITION_REVIEW,
    ),
    Endpoint(
        "POST", "/api/v1/issuers/{issuer}/definitions/{definition}/publish", P.DEFINITION_REVIEW
    ),
    Endpoint(
        "POST", "/api/v1/issuers/{issuer}/definitions/{definition}/retire", P.DEFINITION_REVIEW
    ),
    Endpoint("POST", "/api/v1/issuers/{issuer}/learners", P.LEARNER_WRITE, {"name": "New Learner"}),
    Endpoint("GET", "/api/v1/issuers/{issuer}/learners", P.LEARNER_READ),
    Endpoint("GET", "/api/v1/issuers/{issuer}/learners/{learner}", P.LEARNER_READ),
    Endpoint("POST", "/api/v1/issuers/{issuer}/credentials", P.CREDENTIAL_ISSUE, "issue"),
    Endpoint("GET", "/api/v1/issuers/{issuer}/credentials", P.CREDENTIAL_READ),
    Endpoint("GET", "/api/v1/issuers/{issuer}/credentials/{credential}", P.CREDENTIAL_READ),
    Endpoint(
        "POST",
        "/api/v1/issuers/{issuer}/credentials/{credential}/reissue",
        P.CREDENTIAL_ISSUE,
        {"reason": "typo"},
    ),
    Endpoint("GET", "/api/v1/issuers/{issuer}/outbox", P.ISSUER_MANAGE),
]


def _call(client: Client, endpoint: Endpoint, tenant: Tenant, headers: dict[str, str]) -> Any:
    path = endpoint.path.format(
        issuer=tenant.id,
        member=tenant.principals[Role.DESIGNER].user_id,
        token=tenant.token_ids[Role.VIEWER],
        definition=tenant.definition_id,
        learner=tenant.learner_id,
        credential=tenant.credential_id,
    )
    body: Any = endpoint.body
    if body == "definition":
        from api_testkit import definition_body

        body = definition_body("matrix-test", tenant.issuer.did)
    elif body == "achievement":
        from api_testkit import definition_body

        body = {"achievement": definition_body("x", tenant.issuer.did)["achievement"]}
    elif body == "issue":
        body = {"definitionId": str(tenant.definition_id), "learnerId": str(tenant.learner_id)}
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs["json"] = body
    return client.request(endpoint.method, path, **kwargs)


def test_members_and_tokens_of_a_never_reach_b(api: Api) -> None:
    callers: list[tuple[str, Client, dict[str, str]]] = []
    for role in Role:
        callers.append((f"session:{role.value}", api.sign_in(email_for(role, "alpha")), {}))
        callers.append((f"token:{role.value}", api.client, bearer(api.a.tokens[role])))
    failures = []
    for label, client, headers in callers:
        for endpoint in ENDPOINTS:
            answer = _call(client, endpoint, api.b, headers)
            if answer.status_code != 404 or not answer.headers["content-type"].startswith(
                "application/problem+json"
            ):
                failures.append((label, endpoint.method, endpoint.path, answer.status_code))
    assert failures == []


def test_missing_permission_at_own_issuer_is_403(api: Api) -> None:
    checked = 0
    for role in (Role.DESIGNER, Role.REGISTRAR, Role.VIEWER):
        session = api.sign_in(email_for(role, "alpha"))
        for endpoint in ENDPOINTS:
            if endpoint.permission in ROLE_PERMISSIONS[role]:
                continue
            for client, headers in ((session, {}), (api.client, bearer(api.a.tokens[role]))):
                body = problem(_call(client, endpoint, api.a, headers), 403)
                assert endpoint.permission.value in body["detail"], (role, endpoint)
                checked += 1
    assert checked > 60


def test_no_credentials_is_401(api: Api) -> None:
    for endpoint in ENDPOINTS:
        answer = _call(api.client, endpoint, api.a, {})
        problem(answer, 401)
        assert answer.headers["www-authenticate"] == 'Bearer realm="microcred"'


def test_a_token_narrower_than_its_creator_is_held_to_its_scopes(api: Api) -> None:
    made = api.client.post(
        f"/api/v1/issuers/{api.a.id}/tokens",
        json={"name": "read only", "scopes": ["credential:read"]},
        headers=api.a.auth(),
    )
    token = bearer(made.json()["secret"])
    listed = api.client.get(f"/api/v1/issuers/{api.a.id}/credentials", headers=token)
    assert listed.status_code == 200
    problem(api.client.get(f"/api/v1/issuers/{api.a.id}/learners", headers=token), 403)
    # A scope the creator does not hold is refused at creation.
    registrar = api.sign_in(email_for(Role.REGISTRAR, "alpha"))
    problem(
        registrar.post(
            f"/api/v1/issuers/{api.a.id}/tokens", json={"name": "x", "scopes": ["issuer:read"]}
        ),
        403,
    )
