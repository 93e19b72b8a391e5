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
"""

from __future__ import annotations

import json
import socket
import sys
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "web"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from a11y_testkit import audit, tab_through  # noqa: E402
from web_testkit import OPERATOR, World, make_world  # noqa: E402

from microcred.api import create_app  # noqa: E402
from microcred.services.access import Role  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
STAFF = "staff@zed.example"
PASSWORD = "correct horse battery staple"
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
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    world = make_world(tmp_path_factory.mktemp("a11y-site") / "home", base_url=url)
    world.platform.identity.create_user(
        OPERATOR, STAFF, PASSWORD, "Zed Admin", issuer_id=world.issuer.id, role=Role.ADMIN
    )
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(world.platform), log_level="warning", lifespan="off", ws="none",
            access_log=False,
        )
    )  # fmt: skip
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield Site(url, world)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
        world.platform.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (see .ci/run)")
    with playwright_sync.sync_playwright() as driver:
        made = driver.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield made
        finally:
            made.close()


def _wallet_pages(page: Any, site: Site) -> list[tuple[str, str]]:
    """Open ana's wallet in this browser context; the wallet and public pages to visit."""
    page.goto(f"{site.url}/claim/{site.world.token('ana')}")
    page.get_by_role("button", name="Open my wallet").click()
    page.wait_for_url("**/wallet/credentials/**")
    credential = page.url.split(site.url, 1)[1]
    share = page.get_by_role("button", name="Share a public page")
    if share.count():
        share.click()
    public = page.locator("a[href*='/c/']").first.get_attribute("href") or ""
    public_path = public.split(site.url, 1)[-1]
    return [("wallet", "/wallet"), ("wallet-credential", credential), ("public", public_path)]


def _console_pages(page: Any, site: Site) -> list[tuple[str, str]]:
    page.goto(site.url + "/console/login")
    page.get_by_label("E-mail address").fill(STAFF)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(site.url + "/console/zed")
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
    directory = ARTIFACTS / kind
    directory.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(directory / f"{name}.png"), full_page=True)
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
    context = browser.new_context(**VIEWPORTS[kind])
    errors: list[str] = []
    try:
        page = context.new_page()
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
        page.get_by_role("button", name="Check the text").click()
        page.wait_for_selector("[data-verdict]")
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
    context = browser.new_context(viewport={"width": 800, "height": 600})
    try:
        page = context.new_page()
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
