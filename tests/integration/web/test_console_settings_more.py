"""The console's logo upload, "key compromised" action and durable import uploads
(SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from console_testkit import api_testkit, console_world, csrf, sign_in
from PIL import Image

from microcred.api import create_app
from microcred.services.access import Role

Api = api_testkit.Api
StepClock = api_testkit.StepClock
email_for = api_testkit.email_for

EVIL_SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
CSV = "Name,E-mail\nAnn One,ann@alpha.example\nBob Two,bob@alpha.example\n"


@pytest.fixture
def world(database_url: str, tmp_path: Path, clock: StepClock) -> Iterator[Api]:
    yield from console_world(database_url, tmp_path / "home", clock)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 30), (0, 70, 140)).save(buffer, format="PNG")
    return buffer.getvalue()


def _upload_logo(client, data: bytes, name: str):  # type: ignore[no-untyped-def]
    page = client.get("/console/alpha/settings")
    return client.post(
        "/console/alpha/settings/logo",
        data={"csrf_token": csrf(page.text), "action": "upload"},
        files={"logo": (name, data, "application/octet-stream")},
    )


def test_logo_upload_is_validated_stored_and_shown(world: Api) -> None:
    boss = sign_in(world, email_for(Role.ADMIN, "alpha"))
    refused = _upload_logo(boss, EVIL_SVG, "logo.svg")
    assert refused.status_code == 400
    assert "&lt;script&gt; element" in refused.text
    assert world.platform.issuers.get_issuer(world.operator, world.a.id).logo_uri is None
    assert _upload_logo(boss, b"not an image", "x.gif").status_code == 400
    png = _png()
    saved = _upload_logo(boss, png, "logo.png")
    assert saved.status_code == 303, saved.text
    logo = world.platform.issuers.get_issuer(world.operator, world.a.id).logo_uri
    assert logo == "data:image/png;base64," + base64.b64encode(png).decode()
    # the console shows it (side bar and settings), the profile form keeps it
    page = boss.get("/console/alpha")
    assert 'class="console-logo"' in page.text and logo in page.text
    settings = boss.get("/console/alpha/settings")
    kept = boss.post(
        "/console/alpha/settings/profile",
        data={"csrf_token": csrf(settings.text), "name": "Alpha University", "logo_uri": ""},
    )
    assert kept.status_code == 303
    assert world.platform.issuers.get_issuer(world.operator, world.a.id).logo_uri == logo
    # a viewer cannot upload one
    viewer = sign_in(world, email_for(Role.VIEWER, "alpha"))
    assert 'action="/console/alpha/settings/logo"' not in viewer.get("/console/alpha/settings").text
    assert _upload_logo(viewer, png, "logo.png").status_code == 403
    # removed with its button
    settings = boss.get("/console/alpha/settings")
    removed = boss.post(
        "/console/alpha/settings/logo",
        data={"csrf_token": csrf(settings.text), "action": "remove"},
    )
    assert removed.status_code == 303
    assert world.platform.issuers.get_issuer(world.operator, world.a.id).logo_uri is None


def test_key_compromised_needs_a_reason_and_the_confirmation(world: Api) -> None:
    boss = sign_in(world, email_for(Role.ADMIN, "alpha"))
    admin = world.a.principals[Role.ADMIN]
    (key,) = world.platform.issuers.list_keys(admin, world.a.id)
    page = boss.get("/console/alpha/settings")
    assert "Report a compromised key" in page.text
    form = {"csrf_token": csrf(page.text), "key_id": str(key.id), "since": "now"}
    unconfirmed = boss.post(
        "/console/alpha/settings/compromise-key", data={**form, "reason": "laptop stolen"}
    )
    assert unconfirmed.status_code == 400 and "Tick the box" in unconfirmed.text
    no_reason = boss.post("/console/alpha/settings/compromise-key", data={**form, "confirm": "yes"})
    assert no_reason.status_code == 400 and "Say why" in no_reason.text
    assert world.platform.issuers.list_keys(admin, world.a.id)[0].compromised_at is None
    done = boss.post(
        "/console/alpha/settings/compromise-key",
        data={**form, "since": "created", "confirm": "yes", "reason": "laptop stolen"},
    )
    assert done.status_code == 303, done.text
    keys = {k.id: k for k in world.platform.issuers.list_keys(admin, world.a.id)}
    assert keys[key.id].compromised_at == key.created_at
    assert len(keys) == 2  # rotated out: a new key signs from now on
    again = boss.get("/console/alpha/settings")
    assert "(compromised)" in again.text
    assert "is marked compromised" in again.text  # the flash message
    audit = world.platform.issuers.audit_log(admin, world.a.id, limit=10)
    assert any(e.action == "issuer.key_compromise" for e in audit)
    # a registrar has no such form and is refused
    registrar = sign_in(world, email_for(Role.REGISTRAR, "alpha"))
    seen = registrar.get("/console/alpha/settings")
    assert "Report a compromised key" not in seen.text
    refused = registrar.post(
        "/console/alpha/settings/compromise-key",
        data={"csrf_token": csrf(seen.text), "key_id": str(key.id), "since": "now",
              "confirm": "yes", "reason": "x"},
    )  # fmt: skip
    assert refused.status_code == 403


def test_import_upload_survives_another_worker_and_a_restart(
    world: Api, database_url: str, tmp_path: Path, clock: StepClock
) -> None:
    registrar = sign_in(world, email_for(Role.REGISTRAR, "alpha"))
    page = registrar.get("/console/alpha/imports")
    uploaded = registrar.post(
        "/console/alpha/imports/upload",
        data={"csrf_token": csrf(page.text), "definition": str(world.a.definition_id)},
        files={"file": ("learners.csv", CSV.encode(), "text/csv")},
    )
    assert uploaded.status_code == 200, uploaded.text
    key = uploaded.text.split('name="upload" value="')[1].split('"')[0]
    form = {"csrf_token": csrf(uploaded.text), "upload": key,
            "definition": str(world.a.definition_id), "map_name": "Name",
            "map_email": "E-mail", "date_order": "DMY", "action": "dry-run"}  # fmt: skip
    # a second platform and app on the same database: another worker, or after a restart
    other = api_testkit.make_platform(database_url, tmp_path / "worker-home", clock)
    try:
        worker = api_testkit.Client(create_app(other), world.portal)
        try:
            for name, value in registrar.http.cookies.items():
                worker.http.cookies.set(name, value)
            dry = worker.post("/console/alpha/imports/check", data=form)
            assert dry.status_code == 200, dry.text
            assert "<strong>2</strong> of 2 rows can be issued" in dry.text
            # another person (even of the same issuer) cannot use the key
            admin = sign_in(world, email_for(Role.ADMIN, "alpha"))
            token = csrf(admin.get("/console/alpha/imports").text)
            stolen = admin.post("/console/alpha/imports/check", data={**form, "csrf_token": token})
            assert stolen.status_code == 400 and "upload it again" in stolen.text
            # an hour later the file is gone
            clock.advance(seconds=3601)
            expired = worker.post("/console/alpha/imports/check", data=form)
            assert expired.status_code == 400 and "upload it again" in expired.text
        finally:
            worker.close()
    finally:
        other.close()
