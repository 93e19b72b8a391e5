"""What a new user met in the console, fixed: a credential's history survives later activity,
the dashboard's recent activity reads in words, a GET on a form's address is 405 (with
``Allow``), not "There is no such import", and the import job page puts a problem's column in
the Column column, as the dry run does."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from console_testkit import api_testkit, console_world, csrf, history_lines, post_form, sign_in

from microcred.services.access import Role
from microcred.services.imports import ImportRequest

Api = api_testkit.Api
StepClock = api_testkit.StepClock
email_for = api_testkit.email_for


@pytest.fixture
def world(database_url: str, tmp_path: Path, clock: StepClock) -> Iterator[Api]:
    yield from console_world(database_url, tmp_path / "home", clock)


def _activity(html: str) -> str:
    section = html[html.index('id="activity-title"') :]
    return section[: section.index("</section>")]


def test_an_old_revocation_stays_in_the_history_after_a_large_import(world: Api) -> None:
    admin = sign_in(world, email_for(Role.ADMIN, "alpha"))
    detail = f"/console/alpha/credentials/{world.a.credential_id}"
    revoked = post_form(admin, detail, f"{detail}/revoke", {"reason": "Plagiarism"})
    assert revoked.status_code == 303, revoked.text
    world.clock.advance(minutes=5)

    # then a cohort is imported: hundreds of audit entries newer than the revocation
    rows = "".join(f"Learner {n},learner{n}@alpha.example\n" for n in range(600))
    principal = world.a.principals[Role.REGISTRAR]
    imports = world.platform.imports
    request = ImportRequest.model_validate(
        {"definitionId": str(world.a.definition_id),
         "mapping": {"name": "Name", "email": "E-mail"}, "dateOrder": "DMY"}
    )  # fmt: skip
    job = imports.create_job(
        principal, world.a.issuer.id, f"Name,E-mail\n{rows}".encode(), "cohort.csv", request
    )
    done = imports.run_job(principal, world.a.issuer.id, job.id)
    assert done.issued_rows == 600
    later = world.platform.issuers.audit_log(world.a.principals[Role.ADMIN], world.a.issuer.id,
                                             limit=1000)  # fmt: skip
    newer = [entry for entry in later if entry.action != "credential.revoke"]
    assert len(newer) > 500  # more than the page used to read

    lines = history_lines(admin.get(detail).text)
    assert any(line.endswith("revoked — “Plagiarism” credential.revoke") for line in lines), lines


def test_recent_activity_reads_in_words_and_links_the_credential(world: Api) -> None:
    admin = sign_in(world, email_for(Role.ADMIN, "alpha"))
    detail = f"/console/alpha/credentials/{world.a.credential_id}"
    assert post_form(admin, detail, f"{detail}/suspend", {"reason": "Check"}).status_code == 303

    activity = _activity(admin.get("/console/alpha").text)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", activity))
    assert "Credential suspended credential.suspend" in text, text
    assert "Definition published" in text and "Credential issued" in text, text
    # the code is only the small print after the words, never the line's only wording
    assert '<span class="mono">credential.suspend</span>' not in activity
    assert (
        f'<a href="/console/alpha/credentials/{world.a.credential_id}">Credential suspended</a>'
        in (activity)
    )


def _routes(routes: list[Any]) -> Iterator[Any]:
    """The app's routes, those of included routers too (FastAPI may keep them nested)."""
    for route in routes:
        nested = getattr(route, "original_router", None)
        if nested is not None:
            yield from _routes(nested.routes)
        elif hasattr(route, "methods") and hasattr(route, "endpoint"):
            yield route


def _sample(path: str, world: Api) -> str:
    values = {"slug": "alpha", "action": "revoke"}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), str(world.a.credential_id)), path)


def test_a_get_on_any_console_form_address_is_405_with_allow(world: Api) -> None:
    """Every POST-only console address answers a GET 405 + ``Allow: POST`` — including those
    a GET route with a parameter would otherwise read as an import, an issuer or an external
    credential called "check", "upload", "logout" or "import"."""
    admin = sign_in(world, email_for(Role.ADMIN, "alpha"))
    routes = [route for route in _routes(world.app.routes) if route.path.startswith("/console")]
    # pages of their own; not the GET routes that only answer 405 (they call post_only)
    gets = {
        route.path
        for route in routes
        if "GET" in (route.methods or ()) and "post_only" not in route.endpoint.__code__.co_names
    }
    post_only = sorted({route.path for route in routes if "POST" in (route.methods or ())} - gets)
    assert "/console/{slug}/imports/check" in post_only and len(post_only) > 10
    checked = []
    for path in post_only:
        url = _sample(path, world)
        answer = admin.get(url, headers={"Accept": "text/html"})
        assert answer.status_code == 405, (path, answer.status_code)
        assert answer.headers.get("allow") == "POST", (path, answer.headers)
        assert "Not allowed" in answer.text
        checked.append(path)
    assert "/console/{slug}/imports/check" in checked and "/console/logout" in checked
    # programs asking for JSON get the problem document, with Allow too
    problem = admin.get("/console/alpha/imports/check", headers={"Accept": "application/json"})
    assert problem.status_code == 405 and problem.headers.get("allow") == "POST"


CSV = "Name,E-mail\nAnn One,ann@alpha.example\nBob Two,not-an-address\n"


def _wait(client: Any, url: str) -> str:
    for _ in range(400):
        page = str(client.get(url).text)
        if "In progress" not in page:
            return page
        time.sleep(0.05)
    raise AssertionError("the import did not finish")


def _problem_rows(html: str) -> list[list[str]]:
    table = html[html.index("console-row-errors") :]
    table = table[: table.index("</table>")]
    body = table[table.index("<tbody>") :]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    ]


def test_the_job_page_shows_a_problem_s_column_like_the_dry_run(world: Api) -> None:
    registrar = sign_in(world, email_for(Role.REGISTRAR, "alpha"))
    page = registrar.get("/console/alpha/imports")
    uploaded = registrar.post(
        "/console/alpha/imports/upload",
        data={"csrf_token": csrf(page.text), "definition": str(world.a.definition_id)},
        files={"file": ("cohort.csv", CSV.encode(), "text/csv")},
    )
    assert uploaded.status_code == 200, uploaded.text
    key = uploaded.text.split('name="upload" value="')[1].split('"')[0]
    form = {"csrf_token": csrf(uploaded.text), "upload": key,
            "definition": str(world.a.definition_id), "map_name": "Name",
            "map_email": "E-mail", "date_order": "DMY"}  # fmt: skip
    dry = registrar.post("/console/alpha/imports/check", data={**form, "action": "dry-run"})
    assert dry.status_code == 200, dry.text
    dry_rows = _problem_rows(dry.text)
    assert [row[1] for row in dry_rows] == ["E-mail"], dry_rows

    started = registrar.post("/console/alpha/imports/check", data={**form, "action": "start"})
    assert started.status_code == 303, started.text
    job_rows = _problem_rows(_wait(registrar, started.headers["location"]))
    assert job_rows == dry_rows
    assert "column &#39;" not in str(job_rows) and "column '" not in str(job_rows)
