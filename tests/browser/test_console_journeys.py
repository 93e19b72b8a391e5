"""Browser journeys through the issuer console (Playwright driving Debian Chromium).

The real app runs under uvicorn on 127.0.0.1 (a free port) over a fresh SQLite platform:
issuer "alpha" with an admin, a designer and a registrar. Journeys:

* designer → create a definition → the checklist shows what is missing → complete it →
  submit for review → the admin publishes it;
* registrar → bulk import a CSV (mapping, dry run, start) → the job completes → revoke one
  credential with a reason.

Screenshots of every console page go to ``test-artifacts/console/`` (git-ignored).
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

playwright_sync = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")

from microcred.api import create_app  # noqa: E402
from microcred.services.access import Role  # noqa: E402
from microcred.services.identity import Argon2Parameters, PasswordHashing  # noqa: E402
from microcred.services.platform import Platform, build_platform  # noqa: E402
from microcred.services.schemas_identity import IssuerCreate  # noqa: E402
from microcred.settings import load_settings  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
]  # fmt: skip
PASSWORD = "correct horse battery staple"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Site:
    url: str
    platform: Platform


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("console-site")
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
    issuer = platform.issuers.create_issuer(
        operator, IssuerCreate(slug="alpha", name="Alpha University", country_code="DE")
    )
    for role in (Role.ADMIN, Role.DESIGNER, Role.REGISTRAR):
        identity.create_user(
            operator, f"{role.value}@alpha.example", PASSWORD, f"Alpha {role.value}",
            issuer_id=issuer.id, role=role,
        )  # fmt: skip
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
        yield Site(url, platform)
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


def _sign_in(browser: Any, site: Site, role: str) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(site.url + "/console/alpha")
    assert "/console/login" in page.url
    page.get_by_label("E-mail address").fill(f"{role}@alpha.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(site.url + "/console/alpha")
    return page


def test_designer_to_publish(browser: Any, site: Site) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    login = context.new_page()
    login.goto(site.url + "/console/login")
    _shot(login, "01-login")
    context.close()

    page = _sign_in(browser, site, "designer")
    _shot(page, "02-dashboard-empty")
    page.get_by_role("link", name="Definitions").click()
    page.get_by_role("link", name="New definition").click()
    page.get_by_label("Short name").fill("data-literacy")
    page.get_by_label("Title").fill("Data Literacy")
    page.get_by_label("Description").fill("Reading and questioning data in everyday work.")
    page.get_by_label("How it is earned (criteria)").fill("Pass the final online assessment.")
    page.get_by_label("Awarding body").fill("")
    page.get_by_label("Issuer countries").fill("")
    page.get_by_role("button", name="Create draft").click()
    checklist = page.locator("#checklist")
    assert "missing" in checklist.inner_text()
    assert page.locator(".console-finding-missing").count() >= 3
    _shot(page, "03-definition-checklist-missing")

    page.get_by_label("Learning outcomes").fill(
        "Interpret charts and tables critically in everyday work\n"
        "Explain the limits of a data set to colleagues clearly"
    )
    page.get_by_label("ECTS credits").fill("2")
    page.get_by_label("Workload (hours)").fill("50")
    page.get_by_label("EQF level").select_option("5")
    page.get_by_label("Type of assessment").fill("Online exam")
    page.get_by_label("Form of participation").select_option("online")
    page.get_by_label("Quality assurance").fill("Internal quality assurance, national agency")
    page.get_by_label("Issuer countries").fill("DE")
    page.get_by_label("Awarding body").fill("Alpha University")
    page.get_by_role("button", name="Save draft").click()
    assert "Every mandatory element is present" in page.locator("#checklist").inner_text()
    _shot(page, "04-definition-checklist-complete")

    page.get_by_role("link", name="Overview of data-literacy").click()
    page.get_by_role("button", name="Submit for review").click()
    assert "in review" in page.locator(".console-title").inner_text()
    assert page.get_by_role("button", name="Approve and publish").count() == 0
    _shot(page, "05-definition-in-review")
    definition_url = page.url
    page.context.close()

    admin = _sign_in(browser, site, "admin")
    admin.goto(definition_url)
    admin.get_by_role("button", name="Approve and publish").click()
    assert "published" in admin.locator(".console-title").inner_text()
    _shot(admin, "06-definition-published")
    admin.goto(site.url + "/console/alpha/definitions")
    _shot(admin, "07-definitions")
    admin.goto(site.url + "/console/alpha/settings")
    _shot(admin, "08-settings")
    admin.context.close()


CSV = (
    "Name,E-mail,Student number\n"
    "Ann One,ann@alpha.example,1001\n"
    "Bob Two,not-an-email,1002\n"
    "Cy Three,cy@alpha.example,1003\n"
    "Di Four,di@alpha.example,1004\n"
)


def test_registrar_bulk_issue_then_revoke(browser: Any, site: Site, tmp_path: Path) -> None:
    if not site.platform.definitions.list(
        site.platform.identity.authenticate_password("admin@alpha.example", PASSWORD),
        site.platform.issuers.list_issuers(
            site.platform.identity.authenticate_password("admin@alpha.example", PASSWORD)
        )[0].id,
    ):
        pytest.skip("needs the definition published by test_designer_to_publish")
    source = tmp_path / "learners.csv"
    source.write_text(CSV, encoding="utf-8")
    page = _sign_in(browser, site, "registrar")
    page.get_by_role("link", name="Bulk import").click()
    page.get_by_label("CSV or XLSX file").set_input_files(str(source))
    _shot(page, "09-import-upload")
    page.get_by_role("button", name="Upload and map columns").click()
    assert "Match the columns" in page.content()
    page.get_by_label("Full name", exact=True).select_option("Name")
    page.get_by_label("E-mail address", exact=True).select_option("E-mail")
    page.get_by_label("Student number / external id", exact=True).select_option("Student number")
    page.get_by_role("button", name="Dry run").click()
    dry = page.locator(".console-dry-run").inner_text()
    assert "3 of 4 rows can be issued" in dry
    _shot(page, "10-import-dry-run")
    page.get_by_role("button", name="Start the import").click()
    for _ in range(100):
        if "Import completed" in page.content():
            break
        page.wait_for_timeout(500)
        page.reload()
    assert "Import completed" in page.content()
    _shot(page, "11-import-done")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the error report (CSV)").click()
    assert "Bob Two" in Path(download.value.path()).read_text(encoding="utf-8-sig")

    page.get_by_role("link", name="Credentials", exact=True).click()
    assert page.locator("tbody tr").count() == 3
    _shot(page, "12-credentials")
    page.get_by_label("Learner name or e-mail").fill("Cy")
    page.get_by_role("button", name="Filter").click()
    assert page.locator("tbody tr").count() == 1
    page.get_by_role("link", name="Cy Three").click()
    _shot(page, "13-credential")
    page.get_by_label("Reason for revoking").fill("Assessment found to be plagiarised")
    page.get_by_role("button", name="Revoke").click()
    assert "revoked" in page.locator(".console-title").inner_text()
    assert page.get_by_role("button", name="Revoke").count() == 0
    _shot(page, "14-credential-revoked")
    page.get_by_role("link", name="Dashboard", exact=True).click()
    assert "3" in page.locator(".console-totals").inner_text()
    _shot(page, "15-dashboard")
    page.get_by_role("link", name="Issue one").click()
    _shot(page, "16-issue-one")
    page.context.close()
