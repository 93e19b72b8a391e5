"""Browser journey (real Chromium): a designer creates a pathway in the console, a
registrar recognises an external credential, approves the pending award, and the learner sees
the award in the wallet; then the official Annex I sample dropped on /verify shows its EU
elements. Screenshots go to ``test-artifacts/console/`` (git-ignored); set-up and
synchronisation helpers: ``browser_testkit.py``."""

from __future__ import annotations

import json
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
ANNEX_I = (
    Path(__file__).resolve().parents[2]
    / ".."
    / "shared"
    / "standards"
    / "eu-elm"
    / "samples"
    / "Sample-MC-Annex1-unsigned.jsonld"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    listener, url = listening_socket()
    platform = new_platform(tmp_path_factory.mktemp("pathway-site"), url)
    try:
        operator = add_operator(platform)
        alpha = platform.issuers.create_issuer(
            operator, IssuerCreate(slug="alpha", name="Alpha University", country_code="DE")
        )
        beta = platform.issuers.create_issuer(
            operator, IssuerCreate(slug="beta", name="Beta College", country_code="NL")
        )
        staff = {
            role: add_staff(
                platform,
                operator,
                alpha,
                f"{role.value}@alpha.example",
                f"Alpha {role.value}",
                role,
            )  # fmt: skip
            for role in (Role.ADMIN, Role.DESIGNER, Role.REGISTRAR)
        }
        a_admin = staff[Role.ADMIN]
        b_admin = add_staff(
            platform, operator, beta, "admin@beta.example", "Beta admin", Role.ADMIN
        )
        part = publish_definition(platform, a_admin, alpha, "python", "Python basics")
        publish_definition(platform, a_admin, alpha, "data-analyst", "Data analyst award")
        other = publish_definition(platform, b_admin, beta, "sql", "SQL at Beta")
        learner = LearnerInput(name="Ana Lopez", email="ana@student.example", external_id="s-1001")
        own = platform.issuance.issue(
            a_admin, alpha.id, IssueRequest(definition_id=part.id, learner=learner)
        )
        external = platform.issuance.issue(
            b_admin, beta.id, IssueRequest(definition_id=other.id, learner=learner)
        )
        with serving(create_app(platform), listener):
            yield {
                "url": url,
                "beta_did": beta.did,
                "claim": own.claim_url,
                "external": json.dumps(dict(external.document)),
            }
    finally:
        platform.close()


def _sign_in(browser: Any, url: str, role: str) -> Any:
    return sign_in(
        open_page(browser), url, f"{role}@alpha.example",
        start="/console/alpha", landing="/console/alpha",
    )  # fmt: skip


def test_pathway_recognition_award_and_wallet(browser: Any, site: dict[str, Any]) -> None:
    url = site["url"]
    designer = _sign_in(browser, url, "designer")
    click_and_wait(designer.get_by_role("link", name="Pathways"))
    click_and_wait(designer.get_by_role("link", name="New pathway"))
    designer.get_by_label("Short name").fill("data-analyst")
    designer.get_by_label("Name", exact=True).fill("Data analyst")
    designer.get_by_label("Target award").select_option(label="Data analyst award")
    designer.get_by_label("A registrar approves each award").check()
    designer.locator("#pp-label-1").fill("Python")
    designer.locator("#pp-def-1").select_option(label="Python basics")
    designer.locator("#pp-label-2").fill("Any course at Beta")
    designer.locator("#pp-kind-2").select_option("issuer")
    designer.locator("#pp-issuer-2").fill(site["beta_did"])
    shot(designer, "20-pathway-form")
    click_and_wait(designer.get_by_role("button", name="Create pathway"))
    expect(designer.locator("body")).to_contain_text("Pathway created.")
    designer.get_by_label("Learner: name, e-mail or student id").fill("s-1001")
    click_and_wait(designer.get_by_role("button", name="Show progress"))
    expect(designer.locator(".learner-progress")).to_contain_text("50%")
    shot(designer, "21-pathway-progress")
    designer.context.close()

    registrar = _sign_in(browser, url, "registrar")
    click_and_wait(registrar.get_by_role("link", name="Recognition"))
    registrar.get_by_label("Learner: student id, e-mail or name").fill("s-1001")
    registrar.get_by_label("Or paste the credential (JSON)").fill(site["external"])
    click_and_wait(registrar.get_by_role("button", name="Import and verify"))
    expect(registrar.locator("body")).to_contain_text("Verification report: Verified")
    registrar.get_by_label("ECTS recognised (when recognising)").fill("5")
    registrar.get_by_label("Reason (kept with the decision)").fill("Same learning outcomes")
    shot(registrar, "22-recognition-report")
    click_and_wait(registrar.get_by_role("button", name="Record the decision"))
    expect(registrar.locator("body")).to_contain_text("Recognised for 5 ECTS")
    click_and_wait(registrar.get_by_role("link", name="Pending awards"))
    expect(registrar.locator(".pending-award")).to_have_count(1)
    shot(registrar, "23-pending-award")
    click_and_wait(registrar.get_by_role("button", name="Approve and issue"))
    expect(registrar.locator("body")).to_contain_text("Award approved")
    registrar.context.close()

    learner = open_page(browser)
    learner.goto(site["claim"].replace("/claim/", "/wallet/claim/"))
    click_and_wait(learner.get_by_role("button").filter(has_text="wallet").first)
    learner.goto(url + "/wallet")
    expect(learner.locator("body")).to_contain_text("Data analyst award")
    shot(learner, "24-wallet-award")
    learner.context.close()


def test_the_annex_i_sample_on_verify_shows_the_eu_elements(
    browser: Any, site: dict[str, Any]
) -> None:
    if not ANNEX_I.is_file():
        pytest.skip("../shared/standards is absent: no official ELM sample")
    page = open_page(browser)
    page.goto(site["url"] + "/verify")
    page.locator('input[type="file"]').set_input_files(str(ANNEX_I))
    with navigating(page):
        page.locator("form").first.evaluate("form => form.requestSubmit()")
    expect(page).to_have_url(site["url"] + "/verify")
    expect(
        page.get_by_role("heading", name="European Digital Credential: the EU elements")
    ).to_be_visible()
    expect(page.locator(".elm-element-list dt").nth(4)).to_be_attached()  # at least 5
    shot(page, "25-verify-annex-i")
    page.context.close()
