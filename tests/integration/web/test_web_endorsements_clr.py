"""Endorsements and CLR on the public pages and in the wallet (real app, in-process httpx).

* the public credential page lists the credential's endorsements with their verification;
* the wallet downloads a signed CLR transcript of the ticked credentials that verifies with
  every credential in it, refuses others' credentials and needs the CSRF token;
* the public verifier page verifies a CLR and shows one line per credential of the record,
  and shows a tampered endorsement as failed.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from web_client import Browser, csrf_from
from web_testkit import World

from microcred.services.endorsements import EndorseRequest, PartnerInput
from microcred.verification import codes


@pytest.fixture
def browser(app: Any, portal: Any) -> Iterator[Browser]:
    made = Browser(app, portal)
    try:
        yield made
    finally:
        made.close()


def endorse_issuer_and_definition(world: World) -> None:
    service = world.platform.endorsements
    partner = service.add_partner(
        world.admin,
        world.issuer.id,
        PartnerInput.from_json({"name": "Acme <Robotics>", "holdKey": True}),
    )
    for body in (
        {"target": "issuer", "comment": "A trusted <b>training</b> partner."},
        {"target": "definition", "definitionId": str(world.definition_id), "comment": "Hired!"},
    ):
        service.endorse(
            world.admin,
            world.issuer.id,
            EndorseRequest.from_json({"partnerId": str(partner.id), **body}),
        )


def open_wallet(browser: Browser, world: World, key: str) -> str:
    token = world.token(key)
    page = browser.get(f"/claim/{token}")
    answer = browser.post(f"/wallet/claim/{token}", data={"csrf_token": csrf_from(page.text)})
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def test_the_public_page_lists_verified_endorsements(browser: Browser, world: World) -> None:
    endorse_issuer_and_definition(world)
    world.issue("bo", "Bo Berg", "bo@student.example", "s-9")
    detail = open_wallet(browser, world, "bo")
    page = browser.get(detail)
    answer = browser.post(
        f"{detail}/share", data={"csrf_token": csrf_from(page.text), "shared": "on"}
    )
    assert answer.status_code == 303
    match = re.search(r'readonly value="[^"]*(/c/[A-Za-z0-9_-]{22})"', browser.get(detail).text)
    assert match is not None
    public = browser.get(match.group(1))
    assert public.status_code == 200
    html = public.text
    assert "Endorsements" in html
    assert html.count('class="endorsement"') == 2
    assert "Acme &lt;Robotics&gt;" in html and "<Robotics>" not in html
    assert "A trusted &lt;b&gt;training&lt;/b&gt; partner." in html
    rows = re.findall(r'<li class="endorsement">.*?</li>', html, re.S)
    assert len(rows) == 2 and all(">Verified<" in row for row in rows)


def test_the_wallet_downloads_a_signed_clr_transcript(browser: Browser, world: World) -> None:
    open_wallet(browser, world, "ana")
    second = world.issue("ana2", "Ana López", "ana@student.example", "s-1")
    listing = browser.get("/wallet")
    assert 'formaction="/wallet/clr"' in listing.text
    token = csrf_from(listing.text)
    chosen = [str(world.credentials["ana"].id), str(second.id)]
    answer = browser.post("/wallet/clr", data={"csrf_token": token, "credential": chosen})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-disposition"] == 'attachment; filename="transcript-clr.json"'
    record = answer.json()
    assert record["type"] == ["VerifiableCredential", "ClrCredential"]
    assert record["issuer"]["id"] == world.issuer.did
    report = world.platform.engine.verifier.verify_credential(record)
    assert report.verified, [c.to_json() for c in report.failures]
    assert len(report.credentials) == 2

    assert browser.post("/wallet/clr", data={"csrf_token": token}).status_code == 303
    foreign = browser.post(
        "/wallet/clr",
        data={"csrf_token": token, "credential": [str(world.credentials["eve"].id)]},
    )
    assert foreign.status_code == 404
    refused = browser.post("/wallet/clr", data={"credential": chosen})
    assert refused.status_code in (400, 403)

    # the public verifier page shows one line per credential of the record
    page = browser.get("/verify")
    shown = browser.post(
        "/verify",
        data={"csrf_token": csrf_from(page.text), "credential_json": json.dumps(record)},
    )
    assert shown.status_code == 200, shown.text[:500]
    assert shown.text.count("of the record verified") == 2
    assert "Learner record" in shown.text

    broken = copy.deepcopy(record)
    broken["credentialSubject"]["verifiableCredential"][1]["name"] = "Changed"
    shown = browser.post(
        "/verify",
        data={"csrf_token": csrf_from(page.text), "credential_json": json.dumps(broken)},
    )
    assert "Credential 2 (Changed) of the record did not verify" in shown.text


def test_a_tampered_endorsement_shows_as_failed_on_the_verifier(
    browser: Browser, world: World
) -> None:
    endorse_issuer_and_definition(world)
    issued = world.issue("cy", "Cy", "cy@student.example", "s-7")
    tampered = copy.deepcopy(issued.document)
    tampered["issuer"]["endorsement"][0]["credentialSubject"]["endorsementComment"] = "Forged"
    report = world.platform.engine.verifier.verify_credential(tampered)
    failed = [c for c in report.failures if c.code == codes.ENDORSEMENT]
    assert [c.details["where"] for c in failed] == ["issuer"]
    page = browser.get("/verify")
    shown = browser.post(
        "/verify",
        data={"csrf_token": csrf_from(page.text), "credential_json": json.dumps(tampered)},
    )
    assert shown.status_code == 200
    assert "Endorsements" in shown.text and "did not verify" in shown.text
