"""The definition form's image (upload or address, alt text), several skill alignments and
tags: saved into the achievement, kept on edit, shown in the checklist and the learner
preview (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from console_testkit import api_testkit, console_world, csrf, sign_in
from PIL import Image

from microcred.services.access import Role

Api = api_testkit.Api
StepClock = api_testkit.StepClock

ESCO = "http://data.europa.eu/esco/skill/"
BASE = {"name": "Data Literacy", "description": "Read data.", "criteria": "Pass the test."}


@pytest.fixture
def world(database_url: str, tmp_path: Path, clock: StepClock) -> Iterator[Api]:
    yield from console_world(database_url, tmp_path / "home", clock)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def _post(client, page_url: str, action: str, fields: list[tuple[str, str]], files=None):  # type: ignore[no-untyped-def]
    page = client.get(page_url)
    assert page.status_code == 200, page.text
    data: dict[str, list[str]] = {"csrf_token": [csrf(page.text)]}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    return client.post(action, data=data, files=files or {"none": ("", b"")})


def _achievement(world: Api, definition_id: str) -> dict:  # type: ignore[type-arg]
    import uuid

    admin = world.a.principals[Role.ADMIN]
    version = world.platform.definitions.get_version(admin, world.a.id, uuid.UUID(definition_id))
    return version.achievement.to_json()


def test_image_alignments_and_tags_are_saved_kept_and_shown(world: Api) -> None:
    designer = sign_in(world, api_testkit.email_for(Role.DESIGNER, "alpha"))
    png = _png()
    fields = [("slug", "data-literacy"), *BASE.items(),
              ("image_caption", "A red square badge"), ("tags", "data, statistics"),
              ("align_name", "use spreadsheets"), ("align_url", ESCO + "aaa"),
              ("align_framework", ""), ("align_code", "S5.6.1"),
              ("align_name", "Critical thinking"), ("align_url", "https://example.org/ct"),
              ("align_framework", "Our framework"), ("align_code", ""),
              ("align_name", ""), ("align_url", ""), ("align_framework", ""),
              ("align_code", "")]  # fmt: skip
    created = _post(
        designer,
        "/console/alpha/definitions/new",
        "/console/alpha/definitions/new",
        fields,
        files={"image_file": ("badge.png", png, "image/png")},
    )
    assert created.status_code == 303, created.text
    edit_url = created.headers["location"]
    definition_id = edit_url.split("/definitions/")[1].split("/")[0]
    achievement = _achievement(world, definition_id)
    assert achievement["image"] == {
        "id": "data:image/png;base64," + base64.b64encode(png).decode(),
        "type": "Image",
        "caption": "A red square badge",
    }
    assert achievement["tag"] == ["data", "statistics"]
    assert [a["targetName"] for a in achievement["alignment"]] == [
        "use spreadsheets",
        "Critical thinking",
    ]
    first = achievement["alignment"][0]
    assert first["targetFramework"] == "ESCO" and first["targetCode"] == "S5.6.1"
    assert first["targetType"] == "ext:ESCOSkill"
    # the edit page shows them, the side panel summarises them
    page = designer.get(edit_url.split("#")[0])
    assert 'value="use spreadsheets"' in page.text and 'value="data, statistics"' in page.text
    assert 'alt="A red square badge"' in page.text
    assert "Described as “A red square badge”" in page.text
    assert "use spreadsheets, Critical thinking" in page.text
    # save again: remove the first skill, add a third; no new file: the image is kept
    fields = [*BASE.items(), ("image_caption", "A red square badge"), ("tags", "data"),
              ("align_name", "use spreadsheets"), ("align_url", ESCO + "aaa"),
              ("align_framework", "ESCO"), ("align_code", "S5.6.1"),
              ("align_name", "Critical thinking"), ("align_url", "https://example.org/ct"),
              ("align_framework", "Our framework"), ("align_code", ""),
              ("align_name", "Teamwork"), ("align_url", "https://example.org/tw"),
              ("align_framework", ""), ("align_code", ""), ("align_remove", "0")]  # fmt: skip
    action = edit_url.split("#")[0]
    saved = _post(designer, action, action, fields)
    assert saved.status_code == 303, saved.text
    achievement = _achievement(world, definition_id)
    assert [a["targetName"] for a in achievement["alignment"]] == ["Critical thinking", "Teamwork"]
    assert achievement["image"]["caption"] == "A red square badge"
    assert achievement["tag"] == ["data"]
    # the learner preview shows image (with its alt text), skills and tags
    overview = designer.get(f"/console/alpha/definitions/{definition_id}")
    assert 'alt="A red square badge"' in overview.text
    assert ">Teamwork</a>" in overview.text and "<li>data</li>" in overview.text
    # remove the image
    removed = _post(designer, action, action, [*BASE.items(), ("image_remove", "yes")])
    assert removed.status_code == 303
    assert "image" not in _achievement(world, definition_id)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ([("image_url", "https://example.org/b.png")], "Describe the image"),
        ([("image_url", "javascript:alert(1)"), ("image_caption", "x")], "must be a web address"),
        ([("align_name", "x"), ("align_url", "")], "needs a name and a web address"),
        ([("align_name", "x"), ("align_url", "ftp://x")], "must be a web address"),
    ],
)
def test_bad_extras_are_refused_with_a_sentence(world: Api, fields: list, message: str) -> None:  # type: ignore[type-arg]
    designer = sign_in(world, api_testkit.email_for(Role.DESIGNER, "alpha"))
    answer = _post(
        designer,
        "/console/alpha/definitions/new",
        "/console/alpha/definitions/new",
        [("slug", "bad-extras"), *BASE.items(), *fields],
    )
    assert answer.status_code == 400
    assert "Not saved" in answer.text and message in answer.text


def test_an_svg_image_with_a_script_is_refused(world: Api) -> None:
    designer = sign_in(world, api_testkit.email_for(Role.DESIGNER, "alpha"))
    evil = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
    answer = _post(
        designer,
        "/console/alpha/definitions/new",
        "/console/alpha/definitions/new",
        [("slug", "evil"), *BASE.items(), ("image_caption", "x")],
        files={"image_file": ("evil.svg", evil, "image/svg+xml")},
    )
    assert answer.status_code == 400 and "event-handler" in answer.text
