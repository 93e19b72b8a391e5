"""The issuer console through the ASGI app: sign-in, CSRF, roles, tenancy, escaping, actions.

Runs on SQLite and PostgreSQL (the API tests' world: issuers alpha and beta, a member of
alpha per role, a published definition and one credential at each).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from console_testkit import api_testkit, csrf, post_form, sign_in

from microcred.api import create_app
from microcred.services.access import Role

PASSWORD = api_testkit.PASSWORD
Api = api_testkit.Api
Client = api_testkit.Client
StepClock = api_testkit.StepClock
email_for = api_testkit.email_for


@pytest.fixture
def world(database_url: str, tmp_path: Path, clock: StepClock) -> Iterator[Api]:
    with start_blocking_portal() as portal:
        yield from _world(database_url, tmp_path, clock, portal)


def _world(
    database_url: str, tmp_path: Path, clock: StepClock, portal: BlockingPortal
) -> Iterator[Api]:
    platform, operator, a, b = api_testkit.world_platform(database_url, tmp_path / "home", clock)
    try:
        app = create_app(platform)
        client = Client(app, portal)
        made = Api(platform, app, client, clock, operator, a, b, portal)
        try:
            yield made
        finally:
            for extra in [client, *made.extra_clients]:
                extra.close()
    finally:
        platform.close()


def admin(world: Api):  # type: ignore[no-untyped-def]
    return sign_in(world, email_for(Role.ADMIN, "alpha"))


# --------------------------------------------------------------------------- sign in


def test_sign_in_redirects_and_pages_need_a_session(world: Api) -> None:
    anonymous = world.new_client()
    answer = anonymous.get("/console/alpha")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/console/login")
    client = admin(world)
    home = client.get("/console")
    assert home.status_code == 303 and home.headers["location"] == "/console/alpha"
    dashboard = client.get("/console/alpha")
    assert dashboard.status_code == 200
    assert "Dashboard" in dashboard.text and "<svg" in dashboard.text
    assert "Content-Security-Policy" in dashboard.headers
    assert dashboard.headers["cache-control"] == "no-store"
    assert "data-skills" in dashboard.text


def test_wrong_password_and_throttling(world: Api) -> None:
    client = world.new_client()
    email = email_for(Role.VIEWER, "alpha")
    for _ in range(5):
        page = client.get("/console/login")
        bad = client.post(
            "/console/login",
            data={"csrf_token": csrf(page.text), "email": email, "password": "wrong"},
        )
        assert bad.status_code == 400
        assert "not right" in bad.text
    page = client.get("/console/login")
    limited = client.post(
        "/console/login",
        data={"csrf_token": csrf(page.text), "email": email, "password": PASSWORD},
    )
    assert limited.status_code == 429
    assert "Too many attempts" in limited.text


def test_login_without_csrf_is_refused(world: Api) -> None:
    client = world.new_client()
    client.get("/console/login")
    answer = client.post(
        "/console/login",
        data={"email": email_for(Role.ADMIN, "alpha"), "password": PASSWORD},
    )
    assert answer.status_code == 403


def test_token_from_before_sign_in_is_refused(world: Api) -> None:
    client = world.new_client()
    before = csrf(client.get("/console/login").text)
    client.post(
        "/console/login",
        data={"csrf_token": before, "email": email_for(Role.REGISTRAR, "alpha"),
              "password": PASSWORD},
    )  # fmt: skip
    answer = client.post(
        f"/console/alpha/credentials/{world.a.credential_id}/revoke",
        data={"csrf_token": before, "reason": "x"},
    )
    assert answer.status_code == 403
    detail = client.get(f"/console/alpha/credentials/{world.a.credential_id}")
    assert "revoked" not in detail.text.split("<h1>")[1].split("</div>")[0]


def test_sign_out_ends_the_session(world: Api) -> None:
    client = admin(world)
    answer = post_form(client, "/console/alpha", "/console/logout", {})
    assert answer.status_code == 303
    again = client.get("/console/alpha")
    assert again.status_code == 303


# --------------------------------------------------------------------------- tenancy, roles


def test_other_issuers_pages_are_404(world: Api) -> None:
    client = admin(world)
    assert client.get("/console/beta").status_code == 404
    assert client.get("/console/beta/credentials").status_code == 404
    assert client.get("/console/nowhere/definitions").status_code == 404
    # another tenant's credential under our own issuer's address
    assert client.get(f"/console/alpha/credentials/{world.b.credential_id}").status_code == 404
    assert client.get(f"/console/alpha/definitions/{world.b.definition_id}").status_code == 404


def test_viewer_sees_but_cannot_act(world: Api) -> None:
    client = sign_in(world, email_for(Role.VIEWER, "alpha"))
    detail = client.get(f"/console/alpha/credentials/{world.a.credential_id}")
    assert detail.status_code == 200
    assert "/revoke" not in detail.text and "Suspend" not in detail.text
    definition = client.get(f"/console/alpha/definitions/{world.a.definition_id}")
    assert "/retire" not in definition.text and "Start a new version" not in definition.text
    nav = client.get("/console/alpha").text
    assert "/console/alpha/issue" not in nav and "/console/alpha/imports" not in nav
    # the server refuses anyway
    token = csrf(detail.text)
    refused = client.post(
        f"/console/alpha/credentials/{world.a.credential_id}/revoke",
        data={"csrf_token": token, "reason": "testing"},
    )
    assert refused.status_code == 403
    refused = client.post(
        f"/console/alpha/definitions/{world.a.definition_id}/retire", data={"csrf_token": token}
    )
    assert refused.status_code == 403
    refused = client.post(
        "/console/alpha/issue",
        data={"csrf_token": token, "definition": str(world.a.definition_id), "name": "X"},
    )
    assert refused.status_code == 403


# --------------------------------------------------------------------------- definitions

COMPLETE = {
    "name": "Data Literacy",
    "description": "Reading and questioning data.",
    "criteria": "Pass the final assessment.",
    "outcomes": "Interpret charts and tables critically in everyday work\n"
    "Explain the limits of a data set to colleagues clearly",
    "ects": "2",
    "hours": "50",
    "eqf": "5",
    "assessment": "Online exam",
    "participation": "online",
    "quality": "Internal quality assurance reviewed by the national agency",
    "countries": "DE",
    "regions": "",
    "awarding": "Alpha University",
}


def test_designer_creates_sees_checklist_completes_and_submits_then_admin_publishes(
    world: Api,
) -> None:
    designer = sign_in(world, email_for(Role.DESIGNER, "alpha"))
    created = post_form(
        designer,
        "/console/alpha/definitions/new",
        "/console/alpha/definitions/new",
        {"slug": "data-literacy", "name": "Data Literacy", "description": "About data.",
         "criteria": "Pass.", "awarding": "", "countries": ""},
    )  # fmt: skip
    assert created.status_code == 303, created.text
    edit_url = created.headers["location"]
    page = designer.get(edit_url)
    assert "mandatory element" in page.text and "missing" in page.text
    definition_url = edit_url.rsplit("/edit", 1)[0]
    saved = post_form(designer, edit_url, edit_url, COMPLETE)
    assert saved.status_code == 303, saved.text
    page = designer.get(edit_url)
    assert "Every mandatory element is present" in page.text
    submitted = post_form(designer, definition_url, definition_url + "/submit", {})
    assert submitted.status_code == 303
    # designers cannot publish
    forbidden = post_form(designer, definition_url, definition_url + "/publish", {})
    assert forbidden.status_code == 403
    boss = admin(world)
    published = post_form(boss, definition_url, definition_url + "/publish", {})
    assert published.status_code == 303
    page = boss.get(definition_url)
    assert "v1 · published" in page.text
    assert "Version history" in page.text


def test_publishing_an_incomplete_definition_shows_what_is_missing(world: Api) -> None:
    boss = admin(world)
    created = post_form(
        boss,
        "/console/alpha/definitions/new",
        "/console/alpha/definitions/new",
        {"slug": "thin", "name": "Thin", "description": "d", "criteria": "c"},
    )
    url = created.headers["location"].rsplit("/edit", 1)[0]
    assert post_form(boss, url, url + "/submit", {}).status_code == 303
    refused = post_form(boss, url, url + "/publish", {})
    assert refused.status_code == 400
    assert "notice-error" in refused.text


def test_invalid_form_is_shown_again_with_the_error(world: Api) -> None:
    boss = admin(world)
    answer = post_form(
        boss,
        "/console/alpha/definitions/new",
        "/console/alpha/definitions/new",
        {"slug": "Not A Slug!", "name": "N", "description": "d", "criteria": "c"},
    )
    assert answer.status_code == 400
    assert "Not saved" in answer.text
    assert 'value="Not A Slug!"' in answer.text


# right-to-left text (Hebrew, Arabic) is welcome; bidi override controls are refused in learner
# names (tests/security/test_web_xss.py)
HOSTILE = (
    '<script>alert("x")</script> \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627 "quoted" '
    "'single'"
)


def test_hostile_strings_are_escaped(world: Api) -> None:
    boss = admin(world)
    created = post_form(
        boss,
        "/console/alpha/definitions/new",
        "/console/alpha/definitions/new",
        {**COMPLETE, "slug": "hostile", "name": HOSTILE, "description": HOSTILE},
    )
    assert created.status_code == 303, created.text
    url = created.headers["location"].rsplit("/edit", 1)[0]
    for page_url in (url, url + "/edit", "/console/alpha/definitions", "/console/alpha"):
        page = boss.get(page_url)
        assert '<script>alert("x")' not in page.text
        assert "&lt;script&gt;alert(" in page.text
    # a learner's name too
    post_form(boss, url, url + "/submit", {})
    post_form(boss, url, url + "/publish", {})
    definition_id = url.rsplit("/", 1)[1]
    issued = post_form(
        boss,
        "/console/alpha/issue",
        "/console/alpha/issue",
        {"definition": definition_id, "name": HOSTILE, "email": "h@alpha.example"},
    )
    assert issued.status_code == 200, issued.text
    listing = boss.get("/console/alpha/credentials")
    assert "<script>alert" not in listing.text
    assert "&lt;script&gt;" in listing.text
    assert "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627" in listing.text


# --------------------------------------------------------------------------- credentials


def test_registrar_issues_one_lists_filters_and_revokes_with_a_reason(world: Api) -> None:
    registrar = sign_in(world, email_for(Role.REGISTRAR, "alpha"))
    issued = post_form(
        registrar,
        "/console/alpha/issue",
        "/console/alpha/issue",
        {"definition": str(world.a.definition_id), "name": "Ada Example",
         "email": "ada@alpha.example", "external_id": "s-99"},
    )  # fmt: skip
    assert issued.status_code == 200, issued.text
    assert "Issued." in issued.text and "/claim/" in issued.text
    listing = registrar.get("/console/alpha/credentials", params={"q": "Ada"})
    assert "Ada Example" in listing.text and "Lee Learner" not in listing.text
    assert "1 credential." in listing.text
    link = listing.text.split('href="/console/alpha/credentials/')[1].split('"')[0]
    detail_url = f"/console/alpha/credentials/{link}"
    uuid.UUID(link)
    # a reason is required
    empty = post_form(registrar, detail_url, detail_url + "/revoke", {"reason": ""})
    assert empty.status_code == 400 and "reason" in empty.text.lower()
    suspended = post_form(registrar, detail_url, detail_url + "/suspend", {"reason": "Checking"})
    assert suspended.status_code == 303
    page = registrar.get(detail_url)
    assert "Reinstate" in page.text
    reinstated = post_form(registrar, detail_url, detail_url + "/reinstate", {"reason": "Fine"})
    assert reinstated.status_code == 303
    revoked = post_form(registrar, detail_url, detail_url + "/revoke", {"reason": "Fraud found"})
    assert revoked.status_code == 303
    page = registrar.get(detail_url)
    assert "console-cstate-revoked" in page.text
    assert "/revoke" not in page.text
    filtered = registrar.get("/console/alpha/credentials", params={"state": "revoked"})
    assert "Ada Example" in filtered.text
    # the admin sees the reason in the history
    history = admin(world).get(detail_url).text
    assert "credential.revoke" in history and "Fraud found" in history


# --------------------------------------------------------------------------- import, settings

CSV = (
    "Name,E-mail,Student number\n"
    "Ann One,ann@alpha.example,1001\n"
    "Bob Two,not-an-email,1002\n"
    "Cy Three,cy@alpha.example,1003\n"
)


def test_bulk_import_dry_run_job_and_error_report(world: Api) -> None:
    registrar = sign_in(world, email_for(Role.REGISTRAR, "alpha"))
    page = registrar.get("/console/alpha/imports")
    uploaded = registrar.post(
        "/console/alpha/imports/upload",
        data={"csrf_token": csrf(page.text), "definition": str(world.a.definition_id)},
        files={"file": ("learners.csv", CSV.encode(), "text/csv")},
    )
    assert uploaded.status_code == 200, uploaded.text
    assert "Match the columns" in uploaded.text
    key = uploaded.text.split('name="upload" value="')[1].split('"')[0]
    form = {"csrf_token": csrf(uploaded.text), "upload": key,
            "definition": str(world.a.definition_id), "map_name": "Name",
            "map_email": "E-mail", "map_external_id": "Student number",
            "date_order": "DMY"}  # fmt: skip
    dry = registrar.post("/console/alpha/imports/check", data={**form, "action": "dry-run"})
    assert dry.status_code == 200, dry.text
    assert "<strong>2</strong> of 3 rows can be issued" in dry.text
    started = registrar.post("/console/alpha/imports/check", data={**form, "action": "start"})
    assert started.status_code == 303, started.text
    job_url = started.headers["location"]
    for _ in range(200):
        job = registrar.get(job_url)
        if "In progress" not in job.text:
            break
        import time

        time.sleep(0.05)
    assert "Import completed" in job.text, job.text
    assert 'http-equiv="refresh"' not in job.text
    report = registrar.get(job_url + "/errors.csv")
    assert report.status_code == 200
    assert "Bob Two" in report.text


def test_settings_tokens_show_the_secret_once_and_viewers_see_no_forms(world: Api) -> None:
    boss = admin(world)
    page = boss.get("/console/alpha/settings")
    assert page.status_code == 200
    assert world.a.issuer.did in page.text
    created = boss.post(
        "/console/alpha/settings/tokens",
        data={"csrf_token": csrf(page.text), "name": "SIS sync", "scope_credential:read": "1"},
    )
    assert created.status_code == 200
    assert "shown only once" in created.text
    secret = created.text.split('console-secret">')[1].split("<")[0]
    assert secret.startswith("mc_")
    again = boss.get("/console/alpha/settings")
    assert secret not in again.text and "SIS sync" in again.text
    rotated = post_form(boss, "/console/alpha/settings", "/console/alpha/settings/rotate-key", {})
    assert rotated.status_code == 303
    assert len(world.platform.issuers.list_keys(world.a.principals[Role.ADMIN], world.a.id)) == 2
    viewer = sign_in(world, email_for(Role.VIEWER, "alpha"))
    seen = viewer.get("/console/alpha/settings")
    assert seen.status_code == 200
    assert "rotate-key" not in seen.text and "Create token" not in seen.text
    refused = viewer.post(
        "/console/alpha/settings/rotate-key", data={"csrf_token": csrf(seen.text)}
    )
    assert refused.status_code == 403
