"""The access matrix: every route of the app (read from ``app.routes``) against every kind of
caller, with issuer B's real resource ids. The policy (docs/security-web.md):

* no credentials, an expired or a revoked token → ``401``;
* any role of issuer A (API token or signed-in session) on issuer B's resources → ``404``
  (B's existence is not revealed, whatever the method);
* a platform-level route (no issuer in it) a member may not use → ``403`` (or ``404``);
* a role or token scope at one's own issuer that lacks the permission → ``403``;
* no answer to anybody but B's own staff carries B's data (names, ids, DID, e-mail addresses)
  beyond what the caller sent.

Request bodies are drawn from each operation's OpenAPI schema (schemathesis), so a new
endpoint is covered without a hand-written body. A route that depends on no authentication
must be listed in ``PUBLIC`` (the test names any that is not). Console pages: A's staff get
``404`` for ``/console/<B>/…`` (GET, and POST with a valid CSRF token); signed out → sign-in
page. Wallet pages: another learner's credential → ``404``.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
import schemathesis
from access_matrix_testkit import KNOWN_PARAMS, fill_path, path_values, route_table
from api_testkit import Api, Tenant
from console_testkit import csrf
from hypothesis import HealthCheck, Phase, given, settings

from microcred.api import create_app
from microcred.api.guessing import GuessThrottle
from microcred.services.access import ROLE_PERMISSIONS, Permission, Role
from microcred.services.issuance import IssueRequest, LearnerInput

#: API routes anyone may call (deliberately public); every other API route needs a principal
PUBLIC = frozenset(
    {
        "GET /openapi.json",
        "GET /docs",
        "GET /docs/oauth2-redirect",
        "GET /redoc",
        "POST /credentials/verify",
        "POST /presentations/verify",
        "POST /api/v1/elm/show",  # reads and verifies a posted ELM document, like /verify
        "POST /api/v1/session",
        "DELETE /api/v1/session",
        "GET /issuers/{slug}/did.json",
        "GET /claim/{token}",
        "GET /healthz",
        "GET /readyz",
        "GET /metrics",
        "GET /status/{slug}/{purpose}/{number}",
        "GET /ledger/checkpoints",
        "GET /ledger/entries/{root}",
        "GET /ledger/consistency",
    }
)
#: public pages (no sign-in); the wallet's own pages check the wallet session themselves
PUBLIC_PAGES = (
    "/",
    "/verify",
    "/c/",
    "/wallet",
    "/console/login",
    "/console/logout",
    "/docs",
    "/redoc",
)
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _leak_markers(tenant: Tenant) -> list[str]:
    return [
        tenant.issuer.name,
        tenant.issuer.did,
        str(tenant.id),
        str(tenant.definition_id),
        str(tenant.credential_id),
        tenant.credential_uri,
        str(tenant.learner_id),
        f"@{tenant.issuer.slug}.example",
        *(str(token_id) for token_id in tenant.token_ids.values()),
    ]


def _leaks(response: httpx.Response | Any, sent: str, markers: list[str]) -> list[str]:
    text = response.content.decode("utf-8", "replace")
    return [marker for marker in markers if marker in text and marker not in sent]


def _draw(operation: Any) -> Any:
    drawn: list[Any] = []

    @settings(
        max_examples=1,
        phases=[Phase.generate],
        database=None,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def pick(case: Any) -> None:
        drawn.append(case)

    pick()
    return drawn[0]


def test_every_route_is_authenticated_or_public_by_choice(api: Api) -> None:
    unlisted = [
        f"{method} {route.openapi_path} ({route.endpoint})"
        for route in route_table(api.app)
        if not route.page and not route.needs_principal
        for method in sorted(route.methods)
        if f"{method} {route.openapi_path}" not in PUBLIC
    ]
    assert not unlisted, (
        "these API routes need no authentication; if that is deliberate add them to PUBLIC in "
        f"tests/security/test_access_matrix.py, else depend on PrincipalDep: {unlisted}"
    )
    pages = [
        route.path
        for route in route_table(api.app)
        if route.page and not route.console and not route.path.startswith(PUBLIC_PAGES)
    ]
    assert not pages, f"pages outside the console, the wallet and the public pages: {pages}"


def _callers(api: Api) -> dict[str, dict[str, str]]:
    identity = api.platform.identity
    admin = api.a.principals[Role.ADMIN]
    expiring = identity.create_token(
        admin,
        api.a.id,
        "expiring",
        ["issuer:read"],
        expires_at=api.clock.now() + timedelta(minutes=5),
    )
    revoked = identity.create_token(admin, api.a.id, "revoked", ["issuer:read"])
    identity.revoke_token(admin, api.a.id, revoked.info.id)
    api.clock.advance(minutes=10)
    callers: dict[str, dict[str, str]] = {
        "anonymous": {},
        "expired token": {"Authorization": f"Bearer {expiring.secret}"},
        "revoked token": {"Authorization": f"Bearer {revoked.secret}"},
        "unknown token": {"Authorization": "Bearer mc_0123abcd_" + "1" * 44},
    }
    for role in Role:
        callers[f"A {role.value} token"] = {"Authorization": f"Bearer {api.a.tokens[role]}"}
        session = identity.start_session(api.a.principals[role]).secret
        callers[f"A {role.value} session"] = {"Cookie": f"microcred_session={session}"}
    return callers


_NO_CREDENTIAL_READ = {
    f"A {role.value} {kind}"
    for role in Role
    if Permission.CREDENTIAL_READ not in ROLE_PERMISSIONS[role]
    for kind in ("token", "session")
}


def test_the_api_matrix(api: Api) -> None:
    # hundreds of made-up tokens from one address: lift the guessing throttle (tested in
    # test_throttling.py) for this app, so every answer is the route's own
    app = create_app(api.platform, guess_throttle=GuessThrottle(limit=1_000_000))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = {r.ok().label: r.ok() for r in schema.get_all_operations()}
    callers = _callers(api)
    scoped = api.platform.identity.create_token(
        api.a.principals[Role.ADMIN], api.a.id, "read only", ["issuer:read"]
    ).secret
    viewer_session = api.platform.identity.start_session(api.a.principals[Role.VIEWER]).secret
    markers = _leak_markers(api.b)
    failures: list[str] = []
    checked = 0
    for route in route_table(api.app):
        if route.page or not route.needs_principal:
            continue
        for method in sorted(route.methods):
            label = f"{method} {route.openapi_path}"
            operation = operations.get(label)
            assert operation is not None, f"{label} is not in the OpenAPI document"
            case = _draw(operation)
            values_b = path_values(route, api.b, api)
            made_up = {
                key: str(uuid.uuid4()) if key.endswith("_id") else value
                for key, value in values_b.items()
            }
            for name, caller in callers.items():
                case.path_parameters = dict(made_up)
                nowhere = case.call(headers=caller).status_code
                case.path_parameters = dict(values_b)
                answer = case.call(headers=caller)
                sent = f"{case.formatted_path} {json.dumps(case.body, default=str)} {case.query}"
                status = answer.status_code
                if name in ("anonymous", "expired token", "revoked token", "unknown token"):
                    expected = {401}
                elif route.path.startswith("/credentials/{") and name in _NO_CREDENTIAL_READ:
                    # a member who may read no credentials at all hears so for any id (B's
                    # or made up alike: the comparison below still proves nothing leaks)
                    expected = {403} if method not in UNSAFE else {400, 403, 422}
                    if status != nowhere:
                        failures.append(
                            f"{label} as {name}: {status} for B's ids but {nowhere} for ids "
                            "that do not exist (existence leaks)"
                        )
                elif "issuer_id" in route.params or route.path.startswith("/credentials/{"):
                    # 404; a body the input models refuse is 400/422 before access is decided
                    # (the same for every issuer: it reveals nothing)
                    expected = {404} if method not in UNSAFE else {400, 404, 422}
                    if status != nowhere:
                        failures.append(
                            f"{label} as {name}: {status} for B's ids but {nowhere} for ids "
                            "that do not exist (existence leaks)"
                        )
                elif route.params:
                    expected = {403, 404}
                else:
                    expected = {200, 201, 400, 403, 404, 409, 422}
                if status not in expected:
                    failures.append(f"{label} as {name}: {status} (expected {sorted(expected)})")
                leaked = _leaks(answer, sent, markers)
                if leaked:
                    failures.append(f"{label} as {name}: the answer shows B's {leaked}")
                checked += 1
            if "issuer_id" in route.params:
                own = path_values(route, api.a, api)
                for name, caller in {
                    "A token scoped to issuer:read": {"Authorization": f"Bearer {scoped}"},
                    "A viewer session": {"Cookie": f"microcred_session={viewer_session}"},
                }.items():
                    case.path_parameters = dict(own)
                    status = case.call(headers=caller).status_code
                    allowed = {400, 403, 422} if method in UNSAFE else {200, 403}
                    if any(name not in KNOWN_PARAMS for name in route.params):
                        allowed |= {404}  # a made-up id of a resource kind the kit lacks
                    if status not in allowed:
                        failures.append(
                            f"{label} at A as {name}: {status} (expected {sorted(allowed)})"
                        )
                    checked += 1
    assert checked > 500
    assert not failures, "\n".join(failures)


def test_the_console_matrix(api: Api) -> None:
    markers = _leak_markers(api.b)
    failures: list[str] = []
    routes = [r for r in route_table(api.app) if r.console and "slug" in r.params]
    assert len(routes) >= 20
    post_paths = {r.path for r in routes if "POST" in r.methods}

    def post_only(route: Any, method: str, answer: Any) -> bool:
        """A GET on a form's POST-only address: 405 with Allow: POST, the same for any issuer."""
        return (
            method == "GET"
            and route.path in post_paths
            and answer.status_code == 405
            and answer.headers.get("allow") == "POST"
        )

    for role in Role:
        session = api.platform.identity.start_session(api.a.principals[role]).secret
        client = api.new_client("192.0.2.60")
        client.http.cookies.set("microcred_session", session)
        home = client.get(f"/console/{api.a.issuer.slug}")
        if home.status_code == 303:  # a recognition officer's home is the recognition inbox
            home = client.get(home.headers["location"])
        token = csrf(home.text)
        for route in routes:
            path = fill_path(route, api.b, api)
            for method in sorted(route.methods):
                data = {"csrf_token": token} if method == "POST" else None
                answer = client.request(method, path, data=data)
                if answer.status_code != 404 and not post_only(route, method, answer):
                    failures.append(f"{method} {path} as A {role.value}: {answer.status_code}")
                leaked = _leaks(answer, path, markers)
                if leaked:
                    failures.append(f"{method} {path} as A {role.value}: shows B's {leaked}")
    signed_out = api.new_client("192.0.2.61")
    for route in routes:
        path = fill_path(route, api.a, api)
        for method in sorted(route.methods):
            answer = signed_out.request(method, path)
            if post_only(route, method, answer):
                continue
            if method == "GET" and not (
                answer.status_code == 303
                and answer.headers["location"].startswith("/console/login")
            ):
                failures.append(f"{method} {path} signed out: {answer.status_code}")
            if method == "POST" and answer.status_code not in (303, 403):
                failures.append(f"{method} {path} signed out: {answer.status_code}")
    assert not failures, "\n".join(failures)


def test_the_wallet_matrix(api: Api) -> None:
    """A learner's wallet session never opens another learner's credential (404)."""
    issued = api.platform.issuance.issue(
        api.a.principals[Role.ADMIN],
        api.a.id,
        IssueRequest(
            definition_id=api.a.definition_id,
            learner=LearnerInput(name="Wanda Wallet", email="wanda@alpha.example", external_id="w"),
        ),
    )
    assert issued.claim_url is not None
    claim = "/wallet/claim/" + issued.claim_url.rsplit("/", 1)[1]
    browser = api.new_client("192.0.2.62")
    page = browser.get(claim, headers={"Accept": "text/html"})
    assert page.status_code == 200, page.text
    opened = browser.post(claim, data={"csrf_token": csrf(page.text)})
    assert opened.status_code == 303, opened.text
    assert browser.get("/wallet").status_code == 200
    routes = [r for r in route_table(api.app) if r.wallet and "credential_id" in r.params]
    assert routes
    token = csrf(browser.get("/wallet").text)
    others = [str(api.a.credential_id), str(api.b.credential_id), str(uuid.uuid4())]
    markers = _leak_markers(api.b) + ["lee@alpha.example", str(api.a.credential_id)]
    failures: list[str] = []
    for route in routes:
        for other in others:
            path = route.path.replace("{credential_id}", other)
            for method in sorted(route.methods):
                data = {"csrf_token": token, "shared": "on"} if method == "POST" else None
                answer = browser.request(method, path, data=data)
                if answer.status_code != 404:
                    failures.append(f"{method} {path}: {answer.status_code}")
                leaked = _leaks(answer, path, markers)
                if leaked:
                    failures.append(f"{method} {path}: shows {leaked}")
        own = route.path.replace("{credential_id}", str(issued.id))
        if "GET" in route.methods:
            assert browser.get(own).status_code == 200, own
    assert not failures, "\n".join(failures)
