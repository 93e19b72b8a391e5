"""Bulk import in the console, a second time: the same file is refused with what to do (a link
to the earlier import and a box to import it again on purpose), and the date order chosen for a
dry run is still chosen when the import starts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from console_testkit import api_testkit, console_world, csrf, sign_in

from microcred.services.access import Role

Api = api_testkit.Api
StepClock = api_testkit.StepClock
email_for = api_testkit.email_for

CSV = "Name,E-mail,Completed\nAnn One,ann@alpha.example,02/03/2026\nCy Three,cy@alpha.example,\n"


@pytest.fixture
def world(database_url: str, tmp_path: Path, clock: StepClock) -> Iterator[Api]:
    yield from console_world(database_url, tmp_path / "home", clock)


def _upload(client, world: Api) -> dict[str, str]:  # type: ignore[no-untyped-def]
    page = client.get("/console/alpha/imports")
    uploaded = client.post(
        "/console/alpha/imports/upload",
        data={"csrf_token": csrf(page.text), "definition": str(world.a.definition_id)},
        files={"file": ("cohort.csv", CSV.encode(), "text/csv")},
    )
    assert uploaded.status_code == 200, uploaded.text
    key = uploaded.text.split('name="upload" value="')[1].split('"')[0]
    return {"csrf_token": csrf(uploaded.text), "upload": key,
            "definition": str(world.a.definition_id), "map_name": "Name",
            "map_email": "E-mail", "map_issue_date": "Completed"}  # fmt: skip


def _wait(client, url: str) -> str:  # type: ignore[no-untyped-def]
    for _ in range(400):
        page = client.get(url).text
        if "In progress" not in page:
            return str(page)
        time.sleep(0.05)
    raise AssertionError("the import did not finish")


def test_the_same_file_again_says_what_to_do_and_can_be_imported_on_purpose(world: Api) -> None:
    registrar = sign_in(world, email_for(Role.REGISTRAR, "alpha"))
    form = {**_upload(registrar, world), "date_order": "DMY"}
    first = registrar.post("/console/alpha/imports/check", data={**form, "action": "start"})
    assert first.status_code == 303, first.text
    first_job = first.headers["location"]
    assert "Import completed" in _wait(registrar, first_job)

    form = {**_upload(registrar, world), "date_order": "MDY"}
    dry = registrar.post("/console/alpha/imports/check", data={**form, "action": "dry-run"})
    assert dry.status_code == 200, dry.text
    assert '<option value="MDY" selected>' in dry.text  # the chosen order is kept
    assert '<option value="DMY" selected>' not in dry.text

    again = registrar.post("/console/alpha/imports/check", data={**form, "action": "start"})
    assert again.status_code == 409, again.text
    assert "already imported for this version" in again.text
    assert "allow_duplicate_file" not in again.text  # no API option names for people
    assert f'href="{first_job}"' in again.text
    assert 'name="allow_duplicate" value="yes"' in again.text
    assert '<option value="MDY" selected>' in again.text

    form["csrf_token"] = csrf(again.text)
    on_purpose = registrar.post(
        "/console/alpha/imports/check",
        data={**form, "action": "start", "allow_duplicate": "yes"},
    )
    assert on_purpose.status_code == 303, on_purpose.text
    second_job = on_purpose.headers["location"]
    assert second_job != first_job
    assert "Import completed" in _wait(registrar, second_job)
