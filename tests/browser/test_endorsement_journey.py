"""Browser journey (real Chromium): an admin adds a partner whose key the platform holds and
signs its endorsement of a definition in the console; a credential issued afterwards shows the
endorsement as verified on its public page; the learner downloads a CLR transcript from the
wallet and drops it on /verify, which reports each credential of the record. Screenshots go to
``test-artifacts/console/`` (git-ignored)."""

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
LEARNER = LearnerInput(name="Ana Lopez", email="ana@student.example", external_id="s-2001")


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
    home = tmp_path_factory.mktemp("endorsement-site")
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
    identity.create_user(
        operator, "admin@alpha.example", PASSWORD, "Alpha admin", issuer_id=alpha.id,
        role=Role.ADMIN,
    )  # fmt: skip
    admin = identity.authenticate_password("admin@alpha.example", PASSWORD)
    robotics = _definition(platform, admin, alpha, "robotics", "Robotics basics")
    safety = _definition(platform, admin, alpha, "safety", "Safety at work")
    server = uvicorn.Server(
        uvicorn.Config(create_app(platform), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)

    def issue(definition: Any) -> Any:
        return platform.issuance.issue(
            admin, alpha.id, IssueRequest(definition_id=definition.id, learner=LEARNER)
        )

    try:
        yield {"url": url, "issue": issue, "robotics": robotics, "safety": safety}
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


def test_endorsement_on_the_public_page_and_a_clr_on_verify(
    browser: Any, site: dict[str, Any], tmp_path: Path
) -> None:
    url = site["url"]
    admin = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    admin.goto(url + "/console/alpha")
    admin.get_by_label("E-mail address").fill("admin@alpha.example")
    admin.get_by_label("Password").fill(PASSWORD)
    admin.get_by_role("button", name="Sign in").click()
    admin.wait_for_url(url + "/console/alpha")
    admin.get_by_role("link", name="Endorsements").click()
    admin.get_by_label("Name", exact=True).fill("Acme Robotics")
    admin.get_by_label("It has no platform of its own: hold a signing key for it here").check()
    admin.get_by_role("button", name="Add partner").click()
    assert admin.locator(".partner-row").count() == 1
    assert "here (key held by this platform)" in admin.locator(".partner-row").inner_text()
    admin.get_by_label("Endorses", exact=True).first.select_option(
        label="Robotics basics (version 1)"
    )
    admin.get_by_label("What the partner says").fill("Acme hires graduates of this course.")
    admin.get_by_role("button", name="Sign and record").click()
    row = admin.locator(".endorsement-row")
    assert row.count() == 1
    assert "Acme hires graduates of this course." in row.inner_text()
    assert "Active" in row.inner_text()
    _shot(admin, "30-endorsements")
    admin.context.close()

    robotics = site["issue"](site["robotics"])
    site["issue"](site["safety"])
    assert robotics.claim_url

    learner = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    learner.goto(robotics.claim_url)
    learner.get_by_role("button", name="Open my wallet").click()
    learner.wait_for_url("**/wallet/credentials/**")
    learner.get_by_role("button", name="Share a public page").click()
    learner.wait_for_load_state()
    public_url = learner.get_by_label("Public link").input_value()
    assert public_url.startswith(url + "/c/")

    public = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    public.goto(public_url)
    endorsement = public.locator(".endorsement")
    assert endorsement.count() == 1
    text = endorsement.inner_text()
    assert "Acme Robotics" in text and "Acme hires graduates of this course." in text
    assert "Verified" in text and "Not verified" not in text
    _shot(public, "31-public-page-endorsement")
    public.context.close()

    learner.goto(url + "/wallet")
    boxes = learner.locator('.credential-item input[type="checkbox"]')
    assert boxes.count() == 2
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
    learner.locator("form").first.evaluate("form => form.requestSubmit()")
    learner.get_by_text("of the record verified.").first.wait_for()
    content = learner.content()
    # one clr.credential line per credential of the record (in the wallet's order)
    assert content.count("of the record verified.") == 2
    assert "Credential 1 (" in content and "Credential 2 (" in content
    assert "did not verify" not in content
    assert learner.locator("[data-verdict]").first.get_attribute("data-verdict") == "verified"
    _shot(learner, "32-verify-clr")
    learner.context.close()
