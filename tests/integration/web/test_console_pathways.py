"""The console's pathways, pending awards and recognition inbox (SQLite and PostgreSQL):
create and edit a pathway with refused input shown on the form, learners' progress, approve
and reject awards, import an external credential, see its report and decide; CSRF, roles and
tenancy."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from console_testkit import api_testkit, console_world, csrf, post_form, sign_in

from microcred.services.access import Role
from microcred.services.definitions import DefinitionInput

Api = api_testkit.Api
StepClock = api_testkit.StepClock
email_for = api_testkit.email_for

PATHWAYS = "/console/alpha/pathways"
AWARDS = "/console/alpha/awards"
INBOX = "/console/alpha/recognition"


@pytest.fixture
def world(database_url: str, tmp_path: Path, clock: StepClock) -> Iterator[Api]:
    yield from console_world(database_url, tmp_path / "home", clock)


def _target(world: Api, tenant: Any, slug: str = "data-award") -> uuid.UUID:
    platform, admin = world.platform, tenant.principals[Role.ADMIN]
    body = api_testkit.definition_body(slug, tenant.issuer.did)
    body["achievement"]["name"] = "Data award"
    made = platform.definitions.create(admin, tenant.id, DefinitionInput.from_json(body))
    platform.definitions.submit_for_review(admin, tenant.id, made.id)
    platform.definitions.approve_and_publish(admin, tenant.id, made.id)
    return made.id


def _form(world: Api, target: uuid.UUID, **extra: str) -> dict[str, str]:
    return {
        "slug": "data-path",
        "name": "Data <path>",
        "target": str(target),
        "part_key": "",
        "part_label": "Data skills",
        "part_kind": "definition",
        "part_definition": str(world.a.definition_id),
        "part_value": "",
        "part_issuer": "",
        "how_many": "all",
        **extra,
    }


def _create(world: Api, client: Any, target: uuid.UUID | None = None, **extra: str) -> uuid.UUID:
    target = target or _target(world, world.a)
    answer = post_form(client, f"{PATHWAYS}/new", f"{PATHWAYS}/new", _form(world, target, **extra))
    assert answer.status_code == 303, answer.text
    return uuid.UUID(answer.headers["location"].rsplit("/", 1)[1])


def test_a_designer_creates_edits_and_follows_a_pathway(world: Api) -> None:
    designer = sign_in(world, email_for(Role.DESIGNER, "alpha"))
    assert ">Pathways</a>" in designer.get("/console/alpha").text
    assert "/awards" not in designer.get("/console/alpha").text  # no credential:issue
    pathway_id = _create(world, designer, requires_approval="on")
    listing = designer.get(PATHWAYS).text
    assert "Data &lt;path&gt;" in listing and "A registrar approves" in listing
    detail = designer.get(f"{PATHWAYS}/{pathway_id}").text
    assert "Every part (1)" in detail and "Data skills" in detail
    progress = designer.get(f"{PATHWAYS}/{pathway_id}", params={"learner": "s-1"}).text
    assert "Lee Learner" in progress and "<strong>100%</strong>" in progress
    assert (
        "No learner matches"
        in designer.get(f"{PATHWAYS}/{pathway_id}", params={"learner": "nobody"}).text
    )
    edit = designer.get(f"{PATHWAYS}/{pathway_id}/edit")
    assert edit.status_code == 200 and 'value="Data skills"' in edit.text
    form = _form(world, uuid.UUID(_value(edit.text, "pf-target")), name="Data path 2")
    form.pop("slug")
    form["min_ects"] = "1"
    saved = post_form(
        designer, f"{PATHWAYS}/{pathway_id}/edit", f"{PATHWAYS}/{pathway_id}/edit", form
    )
    assert saved.status_code == 303, saved.text
    [info] = world.platform.pathways.list_pathways(world.a.principals[Role.ADMIN], world.a.id)
    assert info.name == "Data path 2" and str(info.rule.min_ects) == "1"
    assert info.rule.parts[0].key == "part-1"  # the key survives the edit


def _value(html: str, select_id: str) -> str:
    start = html.index(f'id="{select_id}"')
    chunk = html[start : html.index("</select>", start)]
    marker = chunk.index(" selected")
    return chunk[chunk.rindex('value="', 0, marker) + 7 : marker - 1]


def test_refused_pathway_input_comes_back_on_the_form(world: Api) -> None:
    designer = sign_in(world, email_for(Role.DESIGNER, "alpha"))
    target = _target(world, world.a)
    no_parts = _form(world, target, part_label="", part_definition="")
    answer = post_form(designer, f"{PATHWAYS}/new", f"{PATHWAYS}/new", no_parts)
    assert answer.status_code == 400 and "Not saved:" in answer.text
    assert 'value="Data &lt;path&gt;"' in answer.text  # what was typed is kept
    same = _form(world, world.a.definition_id)
    answer = post_form(designer, f"{PATHWAYS}/new", f"{PATHWAYS}/new", same)
    assert (
        answer.status_code == 400 and "cannot also be one of the pathway&#39;s parts" in answer.text
    )
    too_many = _form(world, target, how_many="some", min_parts="3")
    answer = post_form(designer, f"{PATHWAYS}/new", f"{PATHWAYS}/new", too_many)
    assert answer.status_code == 400 and "more than the number of parts" in answer.text
    issuer_only = _form(world, target, part_kind="issuer", part_definition="")
    answer = post_form(designer, f"{PATHWAYS}/new", f"{PATHWAYS}/new", issuer_only)
    assert answer.status_code == 400 and "issuerDid" in answer.text
    _create(world, designer, target)
    again = post_form(designer, f"{PATHWAYS}/new", f"{PATHWAYS}/new", _form(world, target))
    assert again.status_code == 400 and "exists already" in again.text
    viewer = sign_in(world, email_for(Role.VIEWER, "alpha"))
    assert viewer.get(f"{PATHWAYS}/new").status_code == 403
    assert "New pathway" not in viewer.get(PATHWAYS).text


def test_a_registrar_approves_and_rejects_pending_awards(world: Api) -> None:
    designer = sign_in(world, email_for(Role.DESIGNER, "alpha"))
    pathway_id = _create(world, designer, requires_approval="on")
    registrar_principal = world.a.principals[Role.REGISTRAR]
    [award] = world.platform.pathways.evaluate_learner(
        registrar_principal, world.a.id, world.a.learner_id
    )
    registrar = sign_in(world, email_for(Role.REGISTRAR, "alpha"))
    page = registrar.get(AWARDS)
    assert page.status_code == 200 and "Lee Learner (s-1): Data &lt;path&gt;" in page.text
    empty = post_form(registrar, AWARDS, f"{AWARDS}/{award.id}/reject", {"reason": " "})
    assert empty.status_code == 400 and "give a reason" in empty.text
    approved = post_form(registrar, AWARDS, f"{AWARDS}/{award.id}/approve", {})
    assert approved.status_code == 303
    page = registrar.get(AWARDS).text
    assert "No awards are waiting" in page and 'class="decided-award"' in page
    again = post_form(registrar, AWARDS, f"{AWARDS}/{award.id}/approve", {})
    assert again.status_code == 400 and "not pending" in again.text
    detail = registrar.get(f"{PATHWAYS}/{pathway_id}").text
    assert 'class="award-row"' in detail and "issued" in detail
    [info] = world.platform.pathways.list_awards(registrar_principal, world.a.id)
    assert info.state.value == "issued" and info.credential_id is not None


def test_forms_without_a_valid_csrf_token_are_refused(world: Api) -> None:
    designer = sign_in(world, email_for(Role.DESIGNER, "alpha"))
    target = _target(world, world.a)
    answer = designer.post(f"{PATHWAYS}/new", data=_form(world, target))
    assert answer.status_code == 403 and "expired" in answer.text
    registrar = sign_in(world, email_for(Role.REGISTRAR, "alpha"))
    answer = registrar.post(f"{INBOX}/import", data={"learner": "s-1", "text": "{}"})
    assert answer.status_code == 403
    answer = registrar.post(f"{AWARDS}/{uuid.uuid4()}/approve", data={"csrf_token": "forged"})
    assert answer.status_code == 403
    assert world.platform.pathways.list_pathways(world.a.principals[Role.ADMIN], world.a.id) == []


def test_another_issuers_pathways_awards_and_credentials_are_not_found(world: Api) -> None:
    beta_admin = world.b.principals[Role.ADMIN]
    from microcred.services.pathways import PathwayInput

    target = _target(world, world.b)
    part = str(world.b.definition_id)
    beta_pathway = world.platform.pathways.create(
        beta_admin,
        world.b.id,
        PathwayInput.from_json(
            {
                "slug": "beta-path",
                "name": "Beta path",
                "targetDefinitionId": str(target),
                "rule": {
                    "parts": [{"key": "a", "label": "A", "definitionId": part}],
                },
            }
        ),
    )
    admin = sign_in(world, email_for(Role.ADMIN, "alpha"))
    assert admin.get(f"{PATHWAYS}/{beta_pathway.id}").status_code == 404
    assert admin.get(f"{PATHWAYS}/{beta_pathway.id}/edit").status_code == 404
    assert admin.get(f"{PATHWAYS}/not-a-uuid").status_code == 404
    assert admin.get("/console/beta/pathways").status_code == 404
    assert admin.get("/console/beta/recognition").status_code == 404
    token = csrf(admin.get(PATHWAYS).text)
    form = {"csrf_token": token, **_form(world, target)}
    assert admin.post(f"{PATHWAYS}/{beta_pathway.id}/edit", data=form).status_code == 404
    assert (
        admin.post(f"{AWARDS}/{uuid.uuid4()}/approve", data={"csrf_token": token}).status_code
        == 404
    )
    assert admin.get(f"{INBOX}/{uuid.uuid4()}").status_code == 404
    assert world.platform.pathways.get(beta_admin, world.b.id, beta_pathway.id).name == "Beta path"


def _beta_document(world: Api) -> dict[str, Any]:
    issued = world.platform.issuance.get_credential(
        world.b.principals[Role.ADMIN], world.b.id, world.b.credential_id
    )
    return dict(issued.document)


def test_a_recognition_officer_imports_and_recognises_an_external_credential(world: Api) -> None:
    registrar = sign_in(world, email_for(Role.REGISTRAR, "alpha"))
    home = registrar.get("/console/alpha").text
    assert ">Recognition</a>" in home and ">Pending awards</a>" in home
    text = json.dumps(_beta_document(world))
    imported = post_form(registrar, INBOX, f"{INBOX}/import", {"learner": "s-1", "text": text})
    assert imported.status_code == 303, imported.text
    item_url = imported.headers["location"]
    item = registrar.get(item_url).text
    assert "Verification report: Verified" in item and 'data-family="proof"' in item
    assert "Record the decision" in item and world.b.issuer.did in item
    inbox = registrar.get(INBOX).text
    assert inbox.count('class="undecided-row"') == 1 and "Lee Learner (s-1)" in inbox
    no_ects = post_form(
        registrar, item_url, f"{item_url}/decide", {"outcome": "recognised", "reason": "Same"}
    )
    assert no_ects.status_code == 400 and "needs ects" in no_ects.text
    assert "Same</textarea>" in no_ects.text  # the reason typed is kept
    decided = post_form(
        registrar,
        item_url,
        f"{item_url}/decide",
        {"outcome": "recognised", "ects": "5", "programme": "MSc Data", "reason": "Same outcomes"},
    )
    assert decided.status_code == 303, decided.text
    item = registrar.get(item_url).text
    assert "Recognised for 5 ECTS" in item and "towards MSc Data" in item
    assert "Decided by" in item and "Record the decision" not in item
    inbox = registrar.get(INBOX).text
    assert 'class="undecided-row"' not in inbox and "Recognised, 5 ECTS" in inbox
    twice = post_form(
        registrar, item_url, f"{item_url}/decide", {"outcome": "refused", "reason": "No"}
    )
    assert twice.status_code == 400 and "decision already" in twice.text


def test_import_problems_come_back_on_the_inbox(world: Api) -> None:
    registrar = sign_in(world, email_for(Role.REGISTRAR, "alpha"))
    text = json.dumps(_beta_document(world))
    cases = [
        ({"learner": "nobody", "text": text}, "No learner of this issuer matches"),
        ({"learner": "s-1"}, "Choose a file"),
        ({"learner": "s-1", "text": "{not json"}, "Not imported:"),
        ({"learner": "s-1", "url": "https://elsewhere.example/c/1"}, "Not imported:"),
    ]
    for data, message in cases:
        answer = post_form(registrar, INBOX, f"{INBOX}/import", data)
        assert answer.status_code == 400, (data, answer.text)
        assert message in answer.text
    own = world.platform.issuance.get_credential(
        world.a.principals[Role.ADMIN], world.a.id, world.a.credential_id
    )
    answer = post_form(
        registrar, INBOX, f"{INBOX}/import", {"learner": "s-1", "text": json.dumps(own.document)}
    )
    assert answer.status_code == 400 and "issued by this issuer" in answer.text
    page = registrar.get(INBOX)
    files = {"file": ("badge.json", text.encode(), "application/json")}
    answer = registrar.post(
        f"{INBOX}/import", data={"csrf_token": csrf(page.text), "learner": "s-1"}, files=files
    )
    assert answer.status_code == 303, answer.text
    refused = post_form(
        registrar,
        answer.headers["location"],
        answer.headers["location"] + "/decide",
        {"outcome": "refused", "reason": "Level too low"},
    )
    assert refused.status_code == 303
    assert "Refused" in registrar.get(INBOX).text
    viewer = sign_in(world, email_for(Role.VIEWER, "alpha"))
    page = viewer.get(INBOX).text
    assert "Import a credential" not in page and "Refused" in page
