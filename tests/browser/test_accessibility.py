"""Every main page at desktop and phone width: screenshots, accessibility checks, keyboard.

The real app runs under uvicorn on 127.0.0.1 (a free port) over a fresh SQLite platform
(``web_testkit.make_world``: issuer ``zed``, a published definition, learners ``ana`` and
``eve`` with hostile names) plus a staff admin for the console. For each page — start page,
verifier (form and result), public credential page, wallet list and credential, console
sign-in, dashboard, definitions, definition form and overview, issue form, credentials list
and detail, bulk import, settings — at 1280 px and at 375 px:

* a screenshot goes to ``test-artifacts/screenshots/{desktop,phone}/`` (git-ignored);
* :func:`a11y_testkit.audit` finds nothing: labels, alt text, heading order, landmarks, text
  contrast ≥ 4.5:1 from computed styles;
* nothing scrolls sideways at 375 px;
* on the desktop, Tab reaches every visible control and focus is always visible.

Set-up and synchronisation helpers: ``browser_testkit.py``.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

pytest.importorskip("playwright.sync_api")
pytest.importorskip("uvicorn")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "web"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from a11y_testkit import audit, tab_through  # noqa: E402
from browser_testkit import (  # noqa: E402
    PASSWORD,
    Screenshots,
    click_and_wait,
    listening_socket,
    open_page,
    serving,
    sign_in,
)
from playwright.sync_api import expect  # noqa: E402
from web_testkit import OPERATOR, World, make_world  # noqa: E402

from microcred.api import create_app  # noqa: E402
from microcred.services.access import Role  # noqa: E402

SCREENSHOTS = {kind: Screenshots(f"screenshots/{kind}") for kind in ("desktop", "phone")}
STAFF = "staff@zed.example"
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True},
}


@dataclass
class Site:
    url: str
    world: World


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    listener, url = listening_socket()
    world = make_world(tmp_path_factory.mktemp("a11y-site") / "home", base_url=url)
    try:
        world.platform.identity.create_user(
            OPERATOR, STAFF, PASSWORD, "Zed Admin", issuer_id=world.issuer.id, role=Role.ADMIN
        )
        with serving(create_app(world.platform), listener):
            yield Site(url, world)
    finally:
        world.platform.close()


def _wallet_pages(page: Any, site: Site) -> list[tuple[str, str]]:
    """Open ana's wallet in this browser context; the wallet and public pages to visit."""
    page.goto(f"{site.url}/claim/{site.world.token('ana')}")
    click_and_wait(page.get_by_role("button", name="Open my wallet"))
    expect(page).to_have_url(re.compile(r"/wallet/credentials/"))
    credential = page.url.split(site.url, 1)[1]
    share = page.get_by_role("button", name="Share a public page")
    if share.count():
        click_and_wait(share)
    public = page.locator("a[href*='/c/']").first.get_attribute("href") or ""
    public_path = public.split(site.url, 1)[-1]
    return [("wallet", "/wallet"), ("wallet-credential", credential), ("public", public_path)]


def _console_pages(page: Any, site: Site) -> list[tuple[str, str]]:
    sign_in(page, site.url, STAFF, start="/console/login", landing="/console/zed")
    world = site.world
    credential = world.credentials["ana"].id
    prefix = "/console/zed"
    return [
        ("console-dashboard", prefix),
        ("console-definitions", f"{prefix}/definitions"),
        ("console-definition", f"{prefix}/definitions/{world.definition_id}"),
        ("console-definition-new", f"{prefix}/definitions/new"),
        ("console-issue", f"{prefix}/issue"),
        ("console-credentials", f"{prefix}/credentials"),
        ("console-credential", f"{prefix}/credentials/{credential}"),
        ("console-imports", f"{prefix}/imports"),
        ("console-settings", f"{prefix}/settings"),
    ]


def _check(page: Any, kind: str, name: str, *, keyboard: bool) -> list[str]:
    SCREENSHOTS[kind](page, name)
    problems = [f"{name}: {p}" for p in audit(page)]
    if kind == "phone" and not page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth"
    ):
        problems.append(f"{name}: scrolls sideways at 375 px")
    if keyboard:
        problems += [f"{name}: {p}" for p in tab_through(page)]
    return problems


@pytest.mark.parametrize("kind", ["desktop", "phone"])
def test_main_pages_are_accessible_and_responsive(browser: Any, site: Site, kind: str) -> None:
    page = open_page(browser, **VIEWPORTS[kind])
    context = page.context
    errors: list[str] = []
    try:
        page.on("pageerror", lambda error: errors.append(str(error)))
        problems: list[str] = []
        keyboard = kind == "desktop"
        # public pages, before anything else in this context
        page.goto(site.url + "/")
        problems += _check(page, kind, "home", keyboard=keyboard)
        page.goto(site.url + "/verify")
        problems += _check(page, kind, "verify", keyboard=keyboard)
        document = dict(site.world.credentials["ana"].document)
        page.get_by_label("Credential JSON").fill(json.dumps(document))
        click_and_wait(page.get_by_role("button", name="Check the text"))
        expect(page.locator("[data-verdict]").first).to_be_attached()
        problems += _check(page, kind, "verify-result", keyboard=keyboard)
        page.goto(site.url + "/console/login")
        problems += _check(page, kind, "console-login", keyboard=keyboard)
        # the learner's pages, then the console
        pages = _wallet_pages(page, site) + _console_pages(page, site)
        for name, path in pages:
            page.goto(site.url + path)
            problems += _check(page, kind, name, keyboard=keyboard)
        assert problems == []
        assert errors == []
    finally:
        context.close()


def test_the_checks_find_real_problems(browser: Any) -> None:
    """The audit is not vacuous: a page with each defect is reported for each of them."""
    page = open_page(browser, viewport={"width": 800, "height": 600})
    context = page.context
    try:
        page.set_content(
            "<html><body><h1>Title</h1><h3>Skipped</h3><input name='q'>"
            "<img src='data:image/gif;base64,R0lGODlhAQABAAAAACw='>"
            "<p style='color:#aaaaaa'>pale text</p><a href='#x' style='outline:none'>link</a>"
            "</body></html>"
        )
        problems = "\n".join(audit(page))
        for expected in (
            "no label: input[name=q]",
            "img without alt",
            "heading skips a level: h1 -> h3",
            "no <main> landmark",
            "no <nav> landmark",
            'contrast 2.32 p "pale text"',
        ):
            assert expected in problems, problems
        keyboard = "\n".join(tab_through(page))
        assert "focus not visible on" in keyboard and "#x" in keyboard, keyboard
    finally:
        context.close()
