"""Issue 5 acceptance, the issuer console: the lines no other console test proves.

Switching issuer for a member of several; a definition's preview, version history and
retirement; a bulk import from an XLSX file; staff and roles changed on the settings page and
its ledger and anchoring status; the outbox page with the claim links (and the demo's); no
console page loads anything from another host. SQLite and PostgreSQL (the API tests' world).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from assets_testkit import foreign_assets
from console_testkit import api_testkit, console_world, csrf, post_form, sign_in
from openpyxl import Workbook

from microcred.services.access import Role
from microcred.web.routes_console_outbox import links_in

Api = api_testkit.Api
StepClock = api_testkit.StepClock
BASE_URL = api_testkit.BASE_URL
email_for = api_testkit.email_for


@pytest.fixture
def world(database_url: str, tmp_path: Path, clock: StepClock) -> Iterator[Api]:
    yield from console_world(database_url, tmp_path / "home", clock)


def admin(world: Api):  # type: ignore[no-untyped-def]
    return sign_in(world, email_for(Role.ADMIN, "alpha"))


def test_a_member_of_several_issuers_switches_between_them(world: Api) -> None:
    world.platform.identity.add_member(
        world.operator, world.b.id, email_for(Role.ADMIN, "alpha"), Role.VIEWER
    )
    client = admin(world)
    chooser = client.get("/console")
    assert chooser.status_code == 200
    assert "Alpha University" in chooser.text and "Beta College" in chooser.text
    alpha = client.get("/console/alpha")
    assert "Switch issuer" in alpha.text
    assert '<a href="/console/beta">Beta College</a>' in alpha.text
    beta = client.get("/console/beta")
    assert beta.status_code == 200
    assert "Your role: viewer" in beta.text
    assert '<a href="/console/alpha">Alpha University</a>' in beta.text
    # someone with one issuer has nothing to switch to
    single = sign_in(world, email_for(Role.VIEWER, "alpha"))
    assert "Switch issuer" not in single.get("/console/alpha").text


def test_definition_preview_version_history_and_retire(world: Api) -> None:
    client = admin(world)
    url = f"/console/alpha/definitions/{world.a.definition_id}"
    page = client.get(url)
    assert page.status_code == 200
    assert "As the learner will see it" in page.text  # the preview
    assert "Version history" in page.text
    history = page.text[page.text.index('id="versions-title"') :]
    assert re.search(r"<td>v1</td><td><span class=\"pill console-state-published\">", history)
    assert "EU standard checklist" in page.text
    retired = post_form(client, url, url + "/retire", {})
    assert retired.status_code == 303, retired.text
    after = client.get(url).text
    assert "Retired: no new credentials can be issued from it." in after
    assert "console-state-retired" in after[after.index('id="versions-title"') :]
    # a designer cannot retire (the service refuses even without the button)
    designer = sign_in(world, email_for(Role.DESIGNER, "alpha"))
    assert "/retire" not in designer.get(url).text


def _xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Name", "E-mail", "Student number"])
    sheet.append(["Ann One", "ann@alpha.example", 1001])
    sheet.append(["Bob Two", "not-an-email", 1002])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_bulk_import_from_an_xlsx_file(world: Api) -> None:
    registrar = sign_in(world, email_for(Role.REGISTRAR, "alpha"))
    page = registrar.get("/console/alpha/imports")
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    uploaded = registrar.post(
        "/console/alpha/imports/upload",
        data={"csrf_token": csrf(page.text), "definition": str(world.a.definition_id)},
        files={"file": ("learners.xlsx", _xlsx(), kind)},
    )
    assert uploaded.status_code == 200, uploaded.text
    assert "Match the columns" in uploaded.text
    for column in ("Name", "E-mail", "Student number"):
        assert f'<option value="{column}"' in uploaded.text
    key = uploaded.text.split('name="upload" value="')[1].split('"')[0]
    form = {"csrf_token": csrf(uploaded.text), "upload": key,
            "definition": str(world.a.definition_id), "map_name": "Name",
            "map_email": "E-mail", "map_external_id": "Student number",
            "date_order": "DMY", "action": "dry-run"}  # fmt: skip
    dry = registrar.post("/console/alpha/imports/check", data=form)
    assert dry.status_code == 200, dry.text
    assert "<strong>1</strong> of 2 rows can be issued" in dry.text
    assert "Bob Two" in dry.text or "row 3" in dry.text.lower()


def test_settings_staff_roles_and_anchoring_status(world: Api) -> None:
    client = admin(world)
    page = client.get("/console/alpha/settings")
    assert "Staff and roles" in page.text and "Ledger and anchoring" in page.text
    assert "Waiting to be anchored" in page.text
    viewer_id = next(
        m.user_id
        for m in world.platform.identity.list_members(world.a.principals[Role.ADMIN], world.a.id)
        if m.email == email_for(Role.VIEWER, "alpha")
    )
    changed = post_form(
        client,
        "/console/alpha/settings",
        "/console/alpha/settings/staff",
        {"user_id": str(viewer_id), "role": "registrar", "action": "change"},
    )
    assert changed.status_code == 303, changed.text
    promoted = sign_in(world, email_for(Role.VIEWER, "alpha"))
    assert "Your role: registrar" in promoted.get("/console/alpha").text
    bad = post_form(
        client,
        "/console/alpha/settings",
        "/console/alpha/settings/staff",
        {"email": "nobody@nowhere.example", "role": "viewer"},
    )
    assert bad.status_code == 400
    assert 'role="alert"' in bad.text or "notice-error" in bad.text


def test_the_outbox_shows_the_claim_mail_with_its_link(world: Api) -> None:
    registrar = sign_in(world, email_for(Role.REGISTRAR, "alpha"))
    issued = post_form(
        registrar,
        "/console/alpha/issue",
        "/console/alpha/issue",
        {"definition": str(world.a.definition_id), "name": "Mia Mail",
         "email": "mia@alpha.example"},
    )  # fmt: skip
    assert issued.status_code == 200, issued.text
    client = admin(world)
    assert '<a href="/console/alpha/outbox"' in client.get("/console/alpha").text
    page = client.get("/console/alpha/outbox")
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    assert "mia@alpha.example" in page.text
    claims = re.findall(rf'<a href="({re.escape(BASE_URL)}/claim/[^"]+)">', page.text)
    assert claims, page.text
    # the link opens the learner's claim page (a browser gets HTML, nothing is claimed)
    learner = world.new_client()
    claim = learner.get(
        claims[0].removeprefix(BASE_URL), headers={"Accept": "text/html"}, follow_redirects=True
    )
    assert claim.status_code == 200
    assert "Open my wallet" in claim.text
    # beta's mail is not on alpha's page; roles other than admin are refused
    assert "beta.example" not in page.text
    assert '<a href="/console/alpha/outbox"' not in registrar.get("/console/alpha").text
    assert registrar.get("/console/alpha/outbox").status_code == 403
    assert world.new_client().get("/console/alpha/outbox").status_code == 303  # sign in first


def test_links_in_a_message_are_the_platforms_own() -> None:
    text = (
        f"Claim it at {BASE_URL}/claim/abc.\nOr https://evil.example/x and "
        f"{BASE_URL}/claim/abc again; ({BASE_URL}/wallet)"
    )
    assert links_in(text, BASE_URL + "/") == [f"{BASE_URL}/claim/abc", f"{BASE_URL}/wallet"]


def test_the_demo_shows_its_claim_mail_in_the_outbox(world: Api) -> None:
    """`make run` seeds the demo: its administrator finds the learner's e-mail in the console
    (the demo prints the outbox address) and follows the claim link."""
    from microcred.services.seed import DEMO_ISSUER_SLUG, seed_demo

    # this platform has an operator already: the demo is theirs (as on a set-up platform)
    seed = seed_demo(world.platform, admin_email="demo-admin@uni.example")
    assert seed.credential.claim_url is not None
    client = sign_in(world, api_testkit.OPERATOR_EMAIL)
    page = client.get(f"/console/{DEMO_ISSUER_SLUG}/outbox")
    assert page.status_code == 200, page.text
    assert f'<a href="{seed.credential.claim_url}">' in page.text


def test_no_console_page_loads_anything_from_another_host(world: Api) -> None:
    client = admin(world)
    prefix = "/console/alpha"
    paths = [
        prefix, f"{prefix}/definitions", f"{prefix}/definitions/new",
        f"{prefix}/definitions/{world.a.definition_id}",
        f"{prefix}/definitions/{world.a.definition_id}/edit", f"{prefix}/issue",
        f"{prefix}/imports", f"{prefix}/credentials",
        f"{prefix}/credentials/{world.a.credential_id}", f"{prefix}/settings",
        f"{prefix}/outbox", f"{prefix}/pathways", f"{prefix}/awards", f"{prefix}/recognition",
        f"{prefix}/endorsements",
    ]  # fmt: skip
    for path in paths:
        page = client.get(path)
        assert page.status_code == 200, (path, page.status_code)
        assert foreign_assets(page.text, f"{BASE_URL}{path}") == [], path
    signed_out = world.new_client().get("/console/login")
    assert foreign_assets(signed_out.text, f"{BASE_URL}/console/login") == []
