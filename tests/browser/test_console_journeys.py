"""Browser journeys through the issuer console (Playwright driving Debian Chromium).

The real app runs under uvicorn on 127.0.0.1 (a free port) over a fresh SQLite platform:
issuer "alpha" with an admin, a designer and a registrar. Journeys:

* designer → create a definition → the checklist shows what is missing → complete it →
  submit for review → the admin publishes it;
* registrar → bulk import a CSV (mapping, dry run, start) → the job completes → revoke one
  credential with a reason.

The registrar journey issues the definition the designer journey published; when that journey ran
in another test process, it publishes one through the services first.

Screenshots of every console page go to ``test-artifacts/console/`` (git-ignored). Set-up and
synchronisation helpers: ``browser_testkit.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
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
    new_platform,
    open_page,
    publish_definition,
    serving,
    sign_in,
)
from playwright.sync_api import expect  # noqa: E402

from microcred.api import create_app  # noqa: E402
from microcred.services.access import Principal, Role  # noqa: E402
from microcred.services.definitions import DefinitionState  # noqa: E402
from microcred.services.platform import Platform  # noqa: E402
from microcred.services.schemas_identity import IssuerCreate  # noqa: E402

shot = Screenshots("console")


@dataclass
class Site:
    url: str
    platform: Platform
    issuer: Any
    admin: Principal


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    listener, url = listening_socket()
    platform = new_platform(tmp_path_factory.mktemp("console-site"), url)
    try:
        operator = add_operator(platform)
        issuer = platform.issuers.create_issuer(
            operator, IssuerCreate(slug="alpha", name="Alpha University", country_code="DE")
        )
        staff = {
            role: add_staff(
                platform,
                operator,
                issuer,
                f"{role.value}@alpha.example",
                f"Alpha {role.value}",
                role,
            )  # fmt: skip
            for role in (Role.ADMIN, Role.DESIGNER, Role.REGISTRAR)
        }
        with serving(create_app(platform), listener):
            yield Site(url, platform, issuer, staff[Role.ADMIN])
    finally:
        platform.close()


def _sign_in(browser: Any, site: Site, role: str) -> Any:
    return sign_in(
        open_page(browser), site.url, f"{role}@alpha.example",
        start="/console/alpha", landing="/console/alpha",
    )  # fmt: skip


def test_designer_to_publish(browser: Any, site: Site) -> None:
    login = open_page(browser)
    login.goto(site.url + "/console/login")
    shot(login, "01-login")
    login.context.close()

    page = _sign_in(browser, site, "designer")
    shot(page, "02-dashboard-empty")
    click_and_wait(page.get_by_role("link", name="Definitions"))
    click_and_wait(page.get_by_role("link", name="New definition"))
    page.get_by_label("Short name").fill("data-literacy")
    page.get_by_label("Title").fill("Data Literacy")
    page.get_by_label("Description").fill("Reading and questioning data in everyday work.")
    page.get_by_label("How it is earned (criteria)").fill("Pass the final online assessment.")
    page.get_by_label("Awarding body").fill("")
    page.get_by_label("Issuer countries").fill("")
    click_and_wait(page.get_by_role("button", name="Create draft"))
    expect(page.locator("#checklist")).to_contain_text("missing")
    expect(page.locator(".console-finding-missing").nth(2)).to_be_attached()  # at least 3
    shot(page, "03-definition-checklist-missing")

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
    click_and_wait(page.get_by_role("button", name="Save draft"))
    expect(page.locator("#checklist")).to_contain_text("Every mandatory element is present")
    shot(page, "04-definition-checklist-complete")

    click_and_wait(page.get_by_role("link", name="Overview of data-literacy"))
    click_and_wait(page.get_by_role("button", name="Submit for review"))
    expect(page.locator(".console-title")).to_contain_text("in review")
    expect(page.get_by_role("button", name="Approve and publish")).to_have_count(0)
    shot(page, "05-definition-in-review")
    definition_url = page.url
    page.context.close()

    admin = _sign_in(browser, site, "admin")
    admin.goto(definition_url)
    click_and_wait(admin.get_by_role("button", name="Approve and publish"))
    expect(admin.locator(".console-title")).to_contain_text("published")
    shot(admin, "06-definition-published")
    admin.goto(site.url + "/console/alpha/definitions")
    shot(admin, "07-definitions")
    admin.goto(site.url + "/console/alpha/settings")
    shot(admin, "08-settings")
    admin.context.close()


CSV = (
    "Name,E-mail,Student number\n"
    "Ann One,ann@alpha.example,1001\n"
    "Bob Two,not-an-email,1002\n"
    "Cy Three,cy@alpha.example,1003\n"
    "Di Four,di@alpha.example,1004\n"
)


def test_registrar_bulk_issue_then_revoke(browser: Any, site: Site, tmp_path: Path) -> None:
    published = DefinitionState.PUBLISHED
    if not site.platform.definitions.list(site.admin, site.issuer.id, state=published):
        # test_designer_to_publish ran in another test process (pytest-xdist) or failed
        publish_definition(site.platform, site.admin, site.issuer, "bulk-course", "Data Literacy")
    source = tmp_path / "learners.csv"
    source.write_text(CSV, encoding="utf-8")
    page = _sign_in(browser, site, "registrar")
    click_and_wait(page.get_by_role("link", name="Bulk import"))
    page.get_by_label("CSV or XLSX file").set_input_files(str(source))
    shot(page, "09-import-upload")
    click_and_wait(page.get_by_role("button", name="Upload and map columns"))
    expect(page.locator("main")).to_contain_text("Match the columns")
    page.get_by_label("Full name", exact=True).select_option("Name")
    page.get_by_label("E-mail address", exact=True).select_option("E-mail")
    page.get_by_label("Student number / external id", exact=True).select_option("Student number")
    click_and_wait(page.get_by_role("button", name="Dry run"))
    expect(page.locator(".console-dry-run")).to_contain_text("3 of 4 rows can be issued")
    shot(page, "10-import-dry-run")
    click_and_wait(page.get_by_role("button", name="Start the import"))
    # the job page reloads itself every 2 seconds while the job runs (a meta refresh)
    expect(page.get_by_role("heading", name="Import completed")).to_be_visible(timeout=120_000)
    page.wait_for_load_state("load")
    shot(page, "11-import-done")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the error report (CSV)").click()
    assert "Bob Two" in Path(download.value.path()).read_text(encoding="utf-8-sig")

    click_and_wait(page.get_by_role("link", name="Credentials", exact=True))
    expect(page.locator("tbody tr")).to_have_count(3)
    shot(page, "12-credentials")
    page.get_by_label("Learner name or e-mail").fill("Cy")
    click_and_wait(page.get_by_role("button", name="Filter"))
    expect(page.locator("tbody tr")).to_have_count(1)
    click_and_wait(page.get_by_role("link", name="Cy Three"))
    shot(page, "13-credential")
    page.get_by_label("Reason for revoking").fill("Assessment found to be plagiarised")
    click_and_wait(page.get_by_role("button", name="Revoke"))
    expect(page.locator(".console-title")).to_contain_text("revoked")
    expect(page.get_by_role("button", name="Revoke")).to_have_count(0)
    shot(page, "14-credential-revoked")
    click_and_wait(page.get_by_role("link", name="Dashboard", exact=True))
    expect(page.locator(".console-totals")).to_contain_text("3")
    shot(page, "15-dashboard")
    click_and_wait(page.get_by_role("link", name="Issue one"))
    shot(page, "16-issue-one")
    page.context.close()
