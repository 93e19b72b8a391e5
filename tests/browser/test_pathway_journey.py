"""Browser journey (real Chromium): a designer creates a pathway in the console, a
registrar recognises an external credential, approves the pending award, and the learner sees
the award in the wallet; then the official Annex I sample dropped on /verify shows its EU
elements. Screenshots go to ``test-artifacts/console/`` (git-ignored)."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

playwright_sync = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")

from microcred.api import create_app  # noqa: E402
from microcred.definition.samples import sample_achievement  # noqa: E402
from microcred.services.access import Role  # noqa: E402
from microcred.services.definitions import AchievementInput, DefinitionInput  # noqa: E402
from microcred.services.identity import Argon2Parameters, PasswordHashing  # noqa: E402
from microcred.services.issuance import IssueRequest, LearnerInput  # noqa: E402
from microcred.services.platform import build_platform  # noqa: E402
from microcred.services.schemas_identity import IssuerCreate  # noqa: E402
from microcred.settings import load_settings  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
]  # fmt: skip
PASSWORD = "correct horse battery staple"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
ANNEX_I = (
    Path(__file__).resolve().parents[2]
    / ".."
    / "shared"
    / "standards"
    / "eu-elm"
    / "samples"
    / "Sample-MC-Annex1-unsigned.jsonld"
)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _definition(platform: Any, admin: Any, issuer: Any, slug: str, name: str) -> Any:
    achievement = sample_achievement(awarding_body=issuer.did).to_json()
    achievement.pop("id", None)
    achievement["name"] = name
    made = platform.definitions.create(
        admin,
        issuer.id,
        DefinitionInput(slug=slug, achievement=AchievementInput.from_json(achievement)),
    )
    platform.definitions.submit_for_review(admin, issuer.id, made.id)
    platform.definitions.approve_and_publish(admin, issuer.id, made.id)
    return made


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    home = tmp_path_factory.mktemp("pathway-site")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    settings = load_settings(
        home=home,
        database_url=f"sqlite:///{home / 'microcred.sqlite'}",
        base_url=url,
        kek=secrets.token_hex(32),
    )
    platform = build_platform(
        settings,
        passwords=PasswordHashing(Argon2Parameters(time_cost=1, memory_cost=64, parallelism=1)),
        allow_network=False,
    )
    identity = platform.identity
    identity.create_user(None, "operator@site.example", PASSWORD, "Operator", is_operator=True)
    operator = identity.authenticate_password("operator@site.example", PASSWORD)
    alpha = platform.issuers.create_issuer(
        operator, IssuerCreate(slug="alpha", name="Alpha University", country_code="DE")
    )
    beta = platform.issuers.create_issuer(
        operator, IssuerCreate(slug="beta", name="Beta College", country_code="NL")
    )
    for role in (Role.ADMIN, Role.DESIGNER, Role.REGISTRAR):
        identity.create_user(
            operator, f"{role.value}@alpha.example", PASSWORD, f"Alpha {role.value}",
            issuer_id=alpha.id, role=role,
        )  # fmt: skip
    identity.create_user(
        operator, "admin@beta.example", PASSWORD, "Beta admin", issuer_id=beta.id, role=Role.ADMIN
    )
    a_admin = identity.authenticate_password("admin@alpha.example", PASSWORD)
    b_admin = identity.authenticate_password("admin@beta.example", PASSWORD)
    part = _definition(platform, a_admin, alpha, "python", "Python basics")
    _definition(platform, a_admin, alpha, "data-analyst", "Data analyst award")
    other = _definition(platform, b_admin, beta, "sql", "SQL at Beta")
    learner = LearnerInput(name="Ana Lopez", email="ana@student.example", external_id="s-1001")
    own = platform.issuance.issue(
        a_admin, alpha.id, IssueRequest(definition_id=part.id, learner=learner)
    )
    external = platform.issuance.issue(
        b_admin, beta.id, IssueRequest(definition_id=other.id, learner=learner)
    )
    server = uvicorn.Server(
        uvicorn.Config(create_app(platform), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield {
            "url": url,
            "beta_did": beta.did,
            "claim": own.claim_url,
            "external": json.dumps(dict(external.document)),
        }
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        platform.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed")
    with playwright_sync.sync_playwright() as driver:
        made = driver.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield made
        finally:
            made.close()


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _sign_in(browser: Any, url: str, role: str) -> Any:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(url + "/console/alpha")
    page.get_by_label("E-mail address").fill(f"{role}@alpha.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(url + "/console/alpha")
    return page


def test_pathway_recognition_award_and_wallet(browser: Any, site: dict[str, Any]) -> None:
    url = site["url"]
    designer = _sign_in(browser, url, "designer")
    designer.get_by_role("link", name="Pathways").click()
    designer.get_by_role("link", name="New pathway").click()
    designer.get_by_label("Short name").fill("data-analyst")
    designer.get_by_label("Name", exact=True).fill("Data analyst")
    designer.get_by_label("Target award").select_option(label="Data analyst award")
    designer.get_by_label("A registrar approves each award").check()
    designer.locator("#pp-label-1").fill("Python")
    designer.locator("#pp-def-1").select_option(label="Python basics")
    designer.locator("#pp-label-2").fill("Any course at Beta")
    designer.locator("#pp-kind-2").select_option("issuer")
    designer.locator("#pp-issuer-2").fill(site["beta_did"])
    _shot(designer, "20-pathway-form")
    designer.get_by_role("button", name="Create pathway").click()
    assert "Pathway created." in designer.content()
    designer.get_by_label("Learner: name, e-mail or student id").fill("s-1001")
    designer.get_by_role("button", name="Show progress").click()
    assert "50%" in designer.locator(".learner-progress").inner_text()
    _shot(designer, "21-pathway-progress")
    designer.context.close()

    registrar = _sign_in(browser, url, "registrar")
    registrar.get_by_role("link", name="Recognition").click()
    registrar.get_by_label("Learner: student id, e-mail or name").fill("s-1001")
    registrar.get_by_label("Or paste the credential (JSON)").fill(site["external"])
    registrar.get_by_role("button", name="Import and verify").click()
    assert "Verification report: Verified" in registrar.content()
    registrar.get_by_label("ECTS recognised (when recognising)").fill("5")
    registrar.get_by_label("Reason (kept with the decision)").fill("Same learning outcomes")
    _shot(registrar, "22-recognition-report")
    registrar.get_by_role("button", name="Record the decision").click()
    assert "Recognised for 5 ECTS" in registrar.content()
    registrar.get_by_role("link", name="Pending awards").click()
    assert registrar.locator(".pending-award").count() == 1
    _shot(registrar, "23-pending-award")
    registrar.get_by_role("button", name="Approve and issue").click()
    assert "Award approved" in registrar.content()
    registrar.context.close()

    learner = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    learner.goto(site["claim"].replace("/claim/", "/wallet/claim/"))
    learner.get_by_role("button").filter(has_text="wallet").first.click()
    learner.goto(url + "/wallet")
    assert "Data analyst award" in learner.content()
    _shot(learner, "24-wallet-award")
    learner.context.close()


def test_the_annex_i_sample_on_verify_shows_the_eu_elements(
    browser: Any, site: dict[str, Any]
) -> None:
    if not ANNEX_I.is_file():
        pytest.skip("../shared/standards is absent: no official ELM sample")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(site["url"] + "/verify")
    page.locator('input[type="file"]').set_input_files(str(ANNEX_I))
    page.locator("form").first.evaluate("form => form.requestSubmit()")
    page.wait_for_url(site["url"] + "/verify")
    page.get_by_role("heading", name="European Digital Credential: the EU elements").wait_for()
    assert page.locator(".elm-element-list dt").count() >= 5
    _shot(page, "25-verify-annex-i")
    page.context.close()
