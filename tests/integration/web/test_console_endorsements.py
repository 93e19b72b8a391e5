"""The console's partners and endorsements page (SQLite and PostgreSQL): add partners, sign
and withdraw endorsements, refused input shown on the page, CSRF, roles and tenancy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from console_testkit import api_testkit, console_world, post_form, sign_in

from microcred.services.access import Role

Api = api_testkit.Api
StepClock = api_testkit.StepClock
email_for = api_testkit.email_for

PAGE = "/console/alpha/endorsements"


@pytest.fixture
def world(database_url: str, tmp_path: Path, clock: StepClock) -> Iterator[Api]:
    yield from console_world(database_url, tmp_path / "home", clock)


def test_an_admin_adds_a_partner_signs_and_withdraws_an_endorsement(world: Api) -> None:
    client = sign_in(world, email_for(Role.ADMIN, "alpha"))
    page = client.get(PAGE)
    assert page.status_code == 200 and "No partners yet." in page.text
    added = post_form(client, PAGE, f"{PAGE}/partners", {"name": "Acme <Robotics>", "hold": "on"})
    assert added.status_code == 303, added.text
    page = client.get(PAGE)
    assert "Acme &lt;Robotics&gt;" in page.text and "did:key:z6Mk" in page.text
    [partner] = world.platform.endorsements.list_partners(
        world.a.principals[Role.ADMIN], world.a.id
    )
    signed = post_form(
        client,
        PAGE,
        f"{PAGE}/sign",
        {
            "partner": str(partner.id),
            "target": f"definition:{world.a.definition_id}",
            "comment": "We hire from this course.",
        },
    )
    assert signed.status_code == 303, signed.text
    page = client.get(PAGE)
    assert page.text.count('class="endorsement-row"') == 1
    assert "We hire from this course." in page.text and ">Withdraw<" in page.text
    [endorsement] = world.platform.endorsements.list_endorsements(
        world.a.principals[Role.ADMIN], world.a.id
    )
    withdrawn = post_form(client, PAGE, f"{PAGE}/{endorsement.id}/withdraw", {})
    assert withdrawn.status_code == 303
    assert "Withdrawn" in client.get(PAGE).text


def test_refused_input_comes_back_on_the_page(world: Api) -> None:
    client = sign_in(world, email_for(Role.ADMIN, "alpha"))
    answer = post_form(client, PAGE, f"{PAGE}/partners", {"name": "No key, no DID"})
    assert answer.status_code == 400
    assert "either the partner" in answer.text
    answer = post_form(client, PAGE, f"{PAGE}/partners", {"name": "X", "did": "did:example:1"})
    assert answer.status_code == 400
    post_form(client, PAGE, f"{PAGE}/partners", {"name": "Guild", "hold": "on"})
    [partner] = world.platform.endorsements.list_partners(
        world.a.principals[Role.ADMIN], world.a.id
    )
    answer = post_form(
        client,
        PAGE,
        f"{PAGE}/upload",
        {"partner": str(partner.id), "target": "issuer", "credential": "{not json"},
    )
    assert answer.status_code == 400 and "not JSON" in answer.text


def test_csrf_roles_and_tenancy(world: Api) -> None:
    admin = sign_in(world, email_for(Role.ADMIN, "alpha"))
    answer = admin.post(f"{PAGE}/partners", data={"name": "X", "hold": "on", "csrf_token": "x"})
    assert answer.status_code in (400, 403)
    viewer = sign_in(world, email_for(Role.VIEWER, "alpha"))
    page = viewer.get(PAGE)
    assert page.status_code == 200 and "Add a partner" not in page.text
    answer = post_form(viewer, PAGE, f"{PAGE}/partners", {"name": "X", "hold": "on"})
    assert answer.status_code == 403
    other = sign_in(world, email_for(Role.ADMIN, "beta"))
    assert other.get(PAGE).status_code == 404
