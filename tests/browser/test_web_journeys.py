"""Browser journeys through the public pages and the learner wallet (Playwright + Chromium).

The real app runs under uvicorn on 127.0.0.1 (a free port, bound before the platform is built
so its base URL is the server's) over a fresh SQLite platform with one issuer, a published
definition and two learners (``ana``; ``eve`` with hostile names: ``<script>``, quotes,
right-to-left text). Journeys:

* learner → open the claim link → open the wallet → share → the public page says VERIFIED
  → the LinkedIn link carries the right parameters → the PDF certificate downloads;
* verifier → drop a baked badge on the drop zone (the page's script) → verdict; the same
  without the script (file field and button); a tampered paste → NOT VERIFIED;
* hostile names are shown as text (no dialog opens, no element is injected);
* keyboard: the skip link is the first stop and moves focus to the content; phone width:
  nothing scrolls sideways.

Every page must load without a Content Security Policy violation or script error.
Screenshots go to ``test-artifacts/web/`` (git-ignored). Set-up and synchronisation helpers:
``browser_testkit.py``.
"""

from __future__ import annotations

import base64
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

pytestmark = pytest.mark.browser

pytest.importorskip("playwright.sync_api")
pytest.importorskip("uvicorn")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "web"))

from browser_testkit import (  # noqa: E402
    Screenshots,
    click_and_wait,
    listening_socket,
    navigating,
    open_page,
    serving,
)
from playwright.sync_api import expect  # noqa: E402
from web_testkit import HOSTILE_NAME, World, make_world  # noqa: E402

from microcred.api import create_app  # noqa: E402
from microcred.certificates import badge_png, bake_png  # noqa: E402

screenshot = Screenshots("web")
WALLET_CREDENTIAL = re.compile(r"/wallet/credentials/")


@dataclass
class Site:
    url: str
    world: World


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    listener, url = listening_socket()
    world = make_world(tmp_path_factory.mktemp("web-site") / "home", base_url=url)
    try:
        with serving(create_app(world.platform), listener):
            yield Site(url, world)
    finally:
        world.platform.close()


class Watched:
    """A page whose console errors, CSP violations and dialogs are collected."""

    def __init__(self, browser: Any, **context: Any) -> None:
        self.page = open_page(browser, accept_downloads=True, **context)
        self.context = self.page.context
        self.problems: list[str] = []
        self.allowed: list[str] = []
        self.page.on(
            "console",
            lambda message: (
                self.problems.append(message.text) if message.type in ("error", "warning") else None
            ),
        )
        self.page.on("pageerror", lambda error: self.problems.append(str(error)))
        self.page.on("dialog", lambda dialog: self.problems.append(f"dialog: {dialog.message}"))

    def shot(self, name: str) -> None:
        screenshot(self.page, name)

    def allow(self, text: str) -> None:
        """A console message the test expects (e.g. the status of an error page it opens)."""
        self.allowed.append(text)

    def close(self) -> None:
        self.context.close()
        unexpected = [p for p in self.problems if not any(a in p for a in self.allowed)]
        assert unexpected == [], unexpected


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    made = Watched(browser)
    try:
        yield made
    finally:
        made.close()


def _verdict(page: Any, expected: str) -> None:
    """The page is a verification result with the verdict ``expected``."""
    expect(page.locator("[data-verdict]").first).to_have_attribute("data-verdict", expected)


def _open_wallet(page: Any) -> None:
    """On a claim page: open the wallet; the credential's wallet page has loaded."""
    click_and_wait(page.get_by_role("button", name="Open my wallet"))
    expect(page).to_have_url(WALLET_CREDENTIAL)


# --------------------------------------------------------------------------- journeys


def test_learner_claims_shares_and_adds_to_linkedin(watched: Watched, site: Site) -> None:
    page = watched.page
    page.goto(site.url + "/")
    watched.shot("01-home")
    page.goto(f"{site.url}/claim/{site.world.token('ana')}")  # the e-mailed link
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Digital Content Creation for Research Communication"
    )
    watched.shot("02-claim")
    _open_wallet(page)
    expect(page.locator(".flash")).to_contain_text("Welcome to your wallet")
    watched.shot("03-wallet-credential")

    click_and_wait(page.get_by_role("button", name="Share a public page"))
    public_url = page.get_by_label("Public link").input_value()
    assert public_url.startswith(site.url + "/c/")
    watched.shot("04-wallet-shared")

    href = page.get_by_role("link", name="Add to LinkedIn profile").get_attribute("href") or ""
    parts = urlsplit(href)
    assert (parts.netloc, parts.path) == ("www.linkedin.com", "/profile/add")
    query = dict(parse_qsl(parts.query))
    issued = site.world.credentials["ana"].issued_at
    assert query == {
        "startTask": "CERTIFICATION_NAME",
        "name": "Digital Content Creation for Research Communication",
        "organizationName": "University of Zed",
        "issueYear": str(issued.year),
        "issueMonth": str(issued.month),
        "certUrl": public_url,
        "certId": site.world.credentials["ana"].credential_uri,
    }

    with page.expect_download() as pending:
        page.get_by_role("link", name="Certificate (PDF)").click()
    download = pending.value
    assert download.suggested_filename.endswith("-certificate.pdf")
    assert Path(download.path()).read_bytes().startswith(b"%PDF-")

    page.goto(site.url + "/wallet")
    expect(page.locator(".credential-item")).to_have_count(1)
    watched.shot("05-wallet")

    visitor = Watched(page.context.browser)
    try:
        visitor.page.goto(public_url)
        _verdict(visitor.page, "verified")
        expect(visitor.page.locator("#verdict-title")).to_have_text("Verified")
        expect(visitor.page.locator(".learner-name")).to_have_text("Ana López")
        expect(visitor.page.locator('meta[property="og:title"]')).to_have_attribute(
            "content", "Ana López — Digital Content Creation for Research Communication"
        )
        visitor.shot("06-public-credential")
        visitor.page.get_by_text("What this checks").first.click()
        expect(visitor.page.get_by_text("Whether the file is a credential at all")).to_be_visible()
    finally:
        visitor.close()

    page.goto(site.url + "/wallet")
    click_and_wait(
        page.get_by_role("link", name="Digital Content Creation for Research Communication")
    )
    click_and_wait(page.get_by_role("button", name="Stop sharing"))
    gone = page.request.get(public_url)
    assert gone.status == 404


def test_verifier_drop_a_badge(watched: Watched, site: Site, tmp_path: Path) -> None:
    page = watched.page
    credential = dict(site.world.credentials["ana"].document)
    baked = bake_png(badge_png("Digital Content Creation"), credential)
    page.goto(site.url + "/verify")
    # the script announced drag and drop
    expect(page.locator("[data-drop-hint]")).to_be_visible()
    watched.shot("10-verify")
    with navigating(page):  # the drop submits the form
        page.evaluate(
            """async (data) => {
                const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
                const file = new File([bytes], "badge.png", {type: "image/png"});
                const transfer = new DataTransfer();
                transfer.items.add(file);
                const zone = document.querySelector("[data-dropzone]");
                zone.dispatchEvent(
                    new DragEvent("dragover", {dataTransfer: transfer, bubbles: true}));
                zone.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true}));
            }""",
            base64.b64encode(baked).decode("ascii"),
        )
    _verdict(page, "verified")
    expect(page.locator("main")).to_contain_text("baked PNG badge image")
    watched.shot("11-verify-result")

    # without the script: the file field and its button
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(credential))
    page.goto(site.url + "/verify")
    page.get_by_label("Credential file or badge image").set_input_files(str(path))
    click_and_wait(page.get_by_role("button", name="Check the file"))
    _verdict(page, "verified")

    # a tampered credential, pasted
    changed = json.loads(json.dumps(credential))
    changed["credentialSubject"]["achievement"]["name"] = "Brain Surgery"
    page.goto(site.url + "/verify")
    page.get_by_label("Credential JSON").fill(json.dumps(changed))
    click_and_wait(page.get_by_role("button", name="Check the text"))
    _verdict(page, "not-verified")
    expect(page.locator('[data-family="proof"]')).to_contain_text("What to do:")
    watched.shot("12-verify-not-verified")

    # unusable input: the form comes back with the reason (a 400 page)
    watched.allow("the server responded with a status of 400")
    page.goto(site.url + "/verify")
    page.get_by_label("Credential JSON").fill("this is not json")
    click_and_wait(page.get_by_role("button", name="Check the text"))
    expect(page.get_by_role("alert")).to_contain_text("is not valid JSON")
    expect(page.get_by_label("Credential JSON")).to_have_value("this is not json")
    watched.shot("13-verify-error")


def test_hostile_names_are_text(watched: Watched, site: Site) -> None:
    page = watched.page
    page.goto(f"{site.url}/claim/{site.world.token('eve')}")
    expect(page.locator("main")).to_contain_text(HOSTILE_NAME)
    _open_wallet(page)
    expect(page.locator(".learner-name")).to_have_text(HOSTILE_NAME)
    click_and_wait(page.get_by_role("button", name="Share a public page"))
    public_url = page.get_by_label("Public link").input_value()
    page.goto(public_url)
    name = page.locator(".learner-name")
    expect(name).to_have_text(HOSTILE_NAME)
    assert name.locator("script").count() == 0
    assert page.locator("main script, main img[src=x]").count() == 0
    assert page.evaluate("document.querySelectorAll('script:not([src])').length") == 0
    assert page.title().startswith("Digital Content Creation for Research Communication — <script>")
    watched.shot("20-hostile-public")


def test_keyboard_and_phone(browser: Any, site: Site) -> None:
    desktop = Watched(browser)
    try:
        page = desktop.page
        page.goto(site.url + "/verify")
        page.keyboard.press("Tab")
        focused = page.locator(":focus")
        expect(focused).to_have_text("Skip to main content")
        expect(page.locator(".skip-link")).to_be_focused()
        expect(page.locator(".skip-link")).to_be_visible()
        page.keyboard.press("Enter")
        expect(page.locator("#main")).to_be_focused()
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.tagName") in ("A", "INPUT", "BUTTON")
        # every form control has a label
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll('input:not([type=hidden]), textarea')]
                 .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
                 .map((e) => e.name)"""
        )
        assert unlabelled == []
    finally:
        desktop.close()

    phone = Watched(browser, viewport={"width": 375, "height": 740}, is_mobile=True)
    try:
        page = phone.page
        for path, name in (("/", "30-phone-home"), ("/verify", "31-phone-verify")):
            page.goto(site.url + path)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            phone.shot(name)
        page.goto(f"{site.url}/claim/{site.world.token('ana')}")
        _open_wallet(page)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        phone.shot("32-phone-wallet-credential")
    finally:
        phone.close()
