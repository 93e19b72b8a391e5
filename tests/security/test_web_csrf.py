"""CSRF on every state-changing form: each POST page route (read from ``app.routes``) refuses a
submission without a token, with a wrong one, with another session's token, and one that says
it comes from another site — ``403`` — and nothing changes (audit log, issuer profile,
definitions, credentials and wallet sharing are compared before and after).
"""

from __future__ import annotations

from typing import Any

from access_matrix_testkit import extras, fill_path, route_table
from api_testkit import Api, Client
from console_testkit import csrf

from microcred.services.access import Role
from microcred.services.issuance import IssueRequest, LearnerInput


def _snapshot(api: Api) -> Any:
    admin = api.a.principals[Role.ADMIN]
    platform = api.platform
    return (
        [e.action for e in platform.issuers.audit_log(admin, api.a.id, limit=500)],
        platform.issuers.get_issuer(admin, api.a.id),
        [(d.id, d.state) for d in platform.definitions.list(admin, api.a.id)],
        [(c.id, c.state) for c in platform.issuance.list_credentials(admin, api.a.id).items],
    )


def _signed_in_browser(api: Api, role: Role, ip: str, claim: str) -> tuple[Client, str, str]:
    """A client with a console session of A's ``role`` and a wallet: (client, console token,
    wallet token)."""
    client = api.new_client(ip)
    session = api.platform.identity.start_session(api.a.principals[role]).secret
    client.http.cookies.set("microcred_session", session)
    page = client.get(claim, headers={"Accept": "text/html"})
    opened = client.post(claim, data={"csrf_token": csrf(page.text)})
    assert opened.status_code == 303, opened.text
    console_token = csrf(client.get(f"/console/{api.a.issuer.slug}").text)
    wallet_token = csrf(client.get("/wallet").text)
    return client, console_token, wallet_token


def _claim(api: Api, name: str) -> tuple[str, str]:
    issued = api.platform.issuance.issue(
        api.a.principals[Role.ADMIN],
        api.a.id,
        IssueRequest(
            definition_id=api.a.definition_id,
            learner=LearnerInput(
                name=name, email=f"{name.lower()}@alpha.example", external_id=name
            ),
        ),
    )
    assert issued.claim_url is not None
    return "/wallet/claim/" + issued.claim_url.rsplit("/", 1)[1], str(issued.id)


def test_every_state_changing_form_refuses_a_forged_submission(api: Api) -> None:
    claim_one, credential = _claim(api, "Olga")
    claim_two, _ = _claim(api, "Pavel")
    claim_three, _ = _claim(api, "Quinn")
    client, _, _ = _signed_in_browser(api, Role.ADMIN, "192.0.2.80", claim_one)
    other, other_console, other_wallet = _signed_in_browser(
        api, Role.REGISTRAR, "192.0.2.81", claim_two
    )
    routes = [r for r in route_table(api.app) if r.page and "POST" in r.methods]
    assert len(routes) >= 15
    extras(api, api.a)  # the import job the paths name exists before the snapshot
    before = _snapshot(api)
    failures: list[str] = []
    for route in routes:
        action = "revoke" if "/credentials/" in route.path else "publish"
        path = fill_path(route, api.a, api, action=action)
        if route.path.startswith("/wallet/claim/"):
            path = claim_three
        path = path.replace(str(api.a.credential_id), credential) if route.wallet else path
        stolen = other_wallet if route.wallet else other_console
        attempts: dict[str, tuple[dict[str, str], dict[str, str]]] = {
            "no token": ({}, {}),
            "a wrong token": ({"csrf_token": "A" * 43}, {}),
            "an empty token": ({"csrf_token": ""}, {}),
            "another session's token": ({"csrf_token": stolen}, {}),
            "another site": (
                {"csrf_token": csrf(client.get("/verify").text)},
                {"Origin": "https://evil.example"},
            ),
            "a cross-site fetch": (
                {"csrf_token": csrf(client.get("/verify").text)},
                {"Sec-Fetch-Site": "cross-site"},
            ),
        }
        for what, (data, headers) in attempts.items():
            fields = {"shared": "on", "role": "admin", "email": "x@alpha.example", **data}
            answer = client.post(path, data=fields, headers=headers)
            if answer.status_code != 403:
                failures.append(f"POST {path} with {what}: {answer.status_code}")
    assert not failures, "\n".join(failures)
    assert _snapshot(api) == before
    # the claim link the forged posts aimed at was not used
    page = other.get(claim_three, headers={"Accept": "text/html"})
    assert page.status_code == 200 and "csrf_token" in page.text
