"""Browser journey (real Chromium): an admin adds a partner whose key the platform holds and
signs its endorsement of a definition in the console; a credential issued afterwards shows the
endorsement as verified on its public page; the learner downloads a CLR transcript from the
wallet and drops it on /verify, which reports each credential of the record. Screenshots go to
``test-artifacts/console/`` (git-ignored); set-up and synchronisation helpers:
``browser_testkit.py``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

pytest.importorskip("playwright.sync_api")
pytest.importorskip("uvicorn")

from browser_testkit import (  # noqa: E402
    Screenshots,
    add_operator,
    add_staff,
    click_and_wait,
    listening_socket,
    navigating,
    new_platform,
    open_page,
    publish_definition,
    serving,
    sign_in,
)
from playwright.sync_api import expect  # noqa: E402

from microcred.api import create_app  # noqa: E402
from microcred.services.access import Role  # noqa: E402
from microcred.services.issuance import IssueRequest, LearnerInput  # noqa: E402
from microcred.services.schemas_identity import IssuerCreate  # noqa: E402

shot = Screenshots("console")
LEARNER = LearnerInput(name="Ana Lopez", email="ana@student.example", external_id="s-2001")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    listener, url = listening_socket()
    platform = new_platform(tmp_path_factory.mktemp("endorsement-site"), url)
    try:
        operator = add_operator(platform)
        alpha = platform.issuers.create_issuer(
            operator, IssuerCreate(slug="alpha", name="Alpha University", country_code="DE")
        )
        admin = add_staff(
            platform, operator, alpha, "admin@alpha.example", "Alpha admin", Role.ADMIN
        )
        robotics = publish_definition(platform, admin, alpha, "robotics", "Robotics basics")
        safety = publish_definition(platform, admin, alpha, "safety", "Safety at work")

        def issue(definition: Any) -> Any:
            return platform.issuance.issue(
                admin, alpha.id, IssueRequest(definition_id=definition.id, learner=LEARNER)
            )

        with serving(create_app(platform), listener):
            yield {"url": url, "issue": issue, "robotics": robotics, "safety": safety}
    finally:
        platform.close()


def test_endorsement_on_the_public_page_and_a_clr_on_verify(
    browser: Any, site: dict[str, Any], tmp_path: Path
) -> None:
    url = site["url"]
    admin = sign_in(
        open_page(browser), url, "admin@alpha.example",
        start="/console/alpha", landing="/console/alpha",
    )  # fmt: skip
    click_and_wait(admin.get_by_role("link", name="Endorsements"))
    admin.get_by_label("Name", exact=True).fill("Acme Robotics")
    admin.get_by_label("It has no platform of its own: hold a signing key for it here").check()
    click_and_wait(admin.get_by_role("button", name="Add partner"))
    expect(admin.locator(".partner-row")).to_have_count(1)
    expect(admin.locator(".partner-row")).to_contain_text("here (key held by this platform)")
    admin.get_by_label("Endorses", exact=True).first.select_option(
        label="Robotics basics (version 1)"
    )
    admin.get_by_label("What the partner says").fill("Acme hires graduates of this course.")
    click_and_wait(admin.get_by_role("button", name="Sign and record"))
    row = admin.locator(".endorsement-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Acme hires graduates of this course.")
    expect(row).to_contain_text("Active")
    shot(admin, "30-endorsements")
    admin.context.close()

    robotics = site["issue"](site["robotics"])
    site["issue"](site["safety"])
    assert robotics.claim_url

    learner = open_page(browser)
    learner.goto(robotics.claim_url)
    click_and_wait(learner.get_by_role("button", name="Open my wallet"))
    expect(learner).to_have_url(re.compile(r"/wallet/credentials/"))
    click_and_wait(learner.get_by_role("button", name="Share a public page"))
    public_url = learner.get_by_label("Public link").input_value()
    assert public_url.startswith(url + "/c/")

    public = open_page(browser)
    public.goto(public_url)
    endorsement = public.locator(".endorsement")
    expect(endorsement).to_have_count(1)
    for text in ("Acme Robotics", "Acme hires graduates of this course.", "Verified"):
        expect(endorsement).to_contain_text(text)
    expect(endorsement).not_to_contain_text("Not verified")
    shot(public, "31-public-page-endorsement")
    public.context.close()

    learner.goto(url + "/wallet")
    boxes = learner.locator('.credential-item input[type="checkbox"]')
    expect(boxes).to_have_count(2)
    for index in range(2):
        boxes.nth(index).check()
    with learner.expect_download() as pending:
        learner.get_by_role("button", name="Download a signed transcript (CLR)").click()
    transcript = tmp_path / "transcript-clr.json"
    pending.value.save_as(str(transcript))
    record = json.loads(transcript.read_text(encoding="utf-8"))
    assert record["type"] == ["VerifiableCredential", "ClrCredential"]
    assert len(record["credentialSubject"]["verifiableCredential"]) == 2

    learner.goto(url + "/verify")
    learner.locator('input[type="file"]').set_input_files(str(transcript))
    with navigating(learner):
        learner.locator("form").first.evaluate("form => form.requestSubmit()")
    main = learner.locator("main")
    expect(main).to_contain_text("of the record verified.")
    content = learner.content()
    # one clr.credential line per credential of the record (in the wallet's order)
    assert content.count("of the record verified.") == 2
    assert "Credential 1 (" in content and "Credential 2 (" in content
    assert "did not verify" not in content
    expect(learner.locator("[data-verdict]").first).to_have_attribute("data-verdict", "verified")
    shot(learner, "32-verify-clr")
    learner.context.close()
