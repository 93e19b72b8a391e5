"""The console's credential page tells the credential's history in words, oldest first.

Issued, claimed by the learner, then each status change with its reason — once each, in the
order they happened (the audit log is read newest first; the page must not show it that way,
nor show the claim twice). And the signed-out wallet page names the claim e-mail by the
subject learners really receive.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from console_testkit import api_testkit, console_world, history_lines, post_form, sign_in

from microcred.services.access import Role

Api = api_testkit.Api
StepClock = api_testkit.StepClock
email_for = api_testkit.email_for


@pytest.fixture
def world(database_url: str, tmp_path: Path, clock: StepClock) -> Iterator[Api]:
    yield from console_world(database_url, tmp_path / "home", clock)


def test_history_is_in_order_in_words_and_shows_the_claim_once(world: Api) -> None:
    admin = sign_in(world, email_for(Role.ADMIN, "alpha"))
    issued = post_form(
        admin,
        "/console/alpha/issue",
        "/console/alpha/issue",
        {"definition": str(world.a.definition_id), "name": "Ada History",
         "email": "ada.history@alpha.example", "external_id": "h-1"},
    )  # fmt: skip
    assert issued.status_code == 200, issued.text
    claim = re.search(r"(/claim/[A-Za-z0-9_-]+)", issued.text)
    assert claim is not None
    claimed = world.new_client().get(claim.group(1), headers={"Accept": "application/json"})
    assert claimed.status_code == 200, claimed.text

    listing = admin.get("/console/alpha/credentials", params={"q": "Ada History"})
    ident = listing.text.split('href="/console/alpha/credentials/')[1].split('"')[0]
    detail = f"/console/alpha/credentials/{ident}"
    # suspend and reinstate in the same minute (ties keep the order they happened in), revoke later
    for action, reason, minutes in (
        ("suspend", "Checking", 0),
        ("reinstate", "Fine", 5),
        ("revoke", "Fraud", 0),
    ):
        answer = post_form(admin, detail, f"{detail}/{action}", {"reason": reason})
        assert answer.status_code == 303, answer.text
        world.clock.advance(minutes=minutes)

    lines = history_lines(admin.get(detail).text)
    words = [re.sub(r"^\d{4}-\d\d-\d\d \d\d:\d\d ", "", line) for line in lines]
    assert words == [
        "issued",
        "claimed by the learner",
        "suspended — “Checking” credential.suspend",
        "reinstated — “Fine” credential.reinstate",
        "revoked — “Fraud” credential.revoke",
    ], lines
    times = [line[:16] for line in lines]
    assert times == sorted(times) and times[-1] > times[0]


def test_the_signed_out_wallet_names_the_subject_of_the_real_claim_email(world: Api) -> None:
    """A learner told to look for an e-mail must be told its real subject."""
    admin = sign_in(world, email_for(Role.ADMIN, "alpha"))
    issued = post_form(
        admin,
        "/console/alpha/issue",
        "/console/alpha/issue",
        {"definition": str(world.a.definition_id), "name": "Bo Mail",
         "email": "bo.mail@alpha.example"},
    )  # fmt: skip
    assert issued.status_code == 200, issued.text
    sent = world.platform.issuance.outbox(world.operator)
    subject = next(m.subject for m in sent if m.to_address == "bo.mail@alpha.example")
    page = world.new_client().get("/wallet", headers={"Accept": "text/html"})
    assert page.status_code == 200
    quoted = re.search(r"its subject begins “([^”]+)”", page.text)
    assert quoted is not None, page.text
    assert subject.startswith(quoted.group(1)), (quoted.group(1), subject)
