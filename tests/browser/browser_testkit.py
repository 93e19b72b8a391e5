"""Shared set-up for the browser tests (Playwright driving Debian Chromium).

* :func:`listening_socket` binds a free port on 127.0.0.1 *before* the platform is built (its
  base URL is the server's, and no other process can take the port in between);
  :func:`serving` runs the app under uvicorn on that socket in a thread;
* :func:`new_platform` builds a fresh SQLite platform with fast password hashing;
  :func:`add_operator`, :func:`add_staff` and :func:`publish_definition` fill it;
* :func:`open_page` opens a page in a new browser context, :func:`sign_in` signs a staff member
  in on the console, :class:`Screenshots` writes full-page screenshots to
  ``test-artifacts/<folder>/`` (git-ignored).

Synchronisation (why the tests are written as they are): Playwright's ``click()`` returns once
a navigation it triggered has *started*. Reading ``page.content()``, ``page.url``,
``locator.count()`` or ``inner_text()`` right after it races with the page load. So every click
or script that navigates goes through :func:`click_and_wait` / :func:`navigating` (the new
document has loaded when they return), and assertions on the page are web-first
(``expect(...)``: they retry until :data:`TIMEOUT_MS`), generous enough for a loaded 2-core
machine. No test sleeps to synchronise.

The ``browser`` fixture (one Chromium per test process) is in ``conftest.py``.
"""

from __future__ import annotations

import re
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from microcred.definition.samples import sample_achievement
from microcred.services.access import Principal, Role
from microcred.services.definitions import AchievementInput, DefinitionInput
from microcred.services.identity import Argon2Parameters, PasswordHashing
from microcred.services.platform import Platform, build_platform
from microcred.settings import load_settings

__all__ = [
    "ARGS",
    "CHROMIUM",
    "PASSWORD",
    "TIMEOUT_MS",
    "Screenshots",
    "add_operator",
    "add_staff",
    "click_and_wait",
    "listening_socket",
    "navigating",
    "new_platform",
    "open_page",
    "publish_definition",
    "serving",
    "sign_in",
]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
]  # fmt: skip
PASSWORD = "correct horse battery staple"
TIMEOUT_MS = 30_000
"""Every wait (actions, navigations, ``expect``): generous for a loaded 2-core machine."""
DESKTOP = {"width": 1280, "height": 900}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
_FAST = PasswordHashing(Argon2Parameters(time_cost=1, memory_cost=64, parallelism=1))

expect.set_options(timeout=TIMEOUT_MS)


# --------------------------------------------------------------------------- the server


def listening_socket() -> tuple[socket.socket, str]:
    """A socket listening on a free port of 127.0.0.1 and its base URL."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    return listener, f"http://127.0.0.1:{listener.getsockname()[1]}"


@contextmanager
def serving(app: Any, listener: socket.socket, *, start_timeout: float = 60.0) -> Iterator[None]:
    """Serve ``app`` with uvicorn on ``listener`` in a thread until the block ends."""
    import uvicorn

    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", ws="none", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert server.started, "uvicorn did not start"
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()


# --------------------------------------------------------------------------- the platform


def new_platform(home: Path, url: str) -> Platform:
    """A fresh SQLite platform in ``home`` whose base URL is ``url`` (fast password hashing)."""
    settings = load_settings(
        home=home,
        database_url=f"sqlite:///{home / 'microcred.sqlite'}",
        base_url=url,
        kek=secrets.token_hex(32),
    )
    return build_platform(settings, passwords=_FAST, allow_network=False)


def add_operator(platform: Platform) -> Principal:
    """The platform operator ``operator@site.example``, signed in."""
    identity = platform.identity
    identity.create_user(None, "operator@site.example", PASSWORD, "Operator", is_operator=True)
    return identity.authenticate_password("operator@site.example", PASSWORD)


def add_staff(
    platform: Platform, operator: Principal, issuer: Any, email: str, name: str, role: Role
) -> Principal:
    """A staff member of ``issuer`` with ``role`` (password :data:`PASSWORD`), signed in."""
    platform.identity.create_user(operator, email, PASSWORD, name, issuer_id=issuer.id, role=role)
    return platform.identity.authenticate_password(email, PASSWORD)


def publish_definition(
    platform: Platform, admin: Principal, issuer: Any, slug: str, name: str
) -> Any:
    """A published definition of ``issuer`` (the sample achievement, named ``name``)."""
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


# --------------------------------------------------------------------------- the browser


def open_page(browser: Any, **context: Any) -> Any:
    """A page in a new browser context (desktop viewport unless given), waits of TIMEOUT_MS."""
    made = browser.new_context(viewport=context.pop("viewport", DESKTOP), **context)
    made.set_default_timeout(TIMEOUT_MS)
    made.set_default_navigation_timeout(TIMEOUT_MS)
    return made.new_page()


@contextmanager
def navigating(page: Any) -> Iterator[None]:
    """The block navigates ``page`` (a click, a form submitted by script): on leaving it, the
    new document has loaded (``load`` event), whatever its status."""
    with page.expect_navigation(wait_until="load"):
        yield


def click_and_wait(locator: Any) -> None:
    """Click ``locator`` (a link or a submit button) and wait until the page it leads to has
    loaded."""
    with navigating(locator.page):
        locator.click()


def sign_in(page: Any, url: str, email: str, *, start: str, landing: str) -> Any:
    """Open ``start`` (a console page: the sign-in form comes up), sign ``email`` in and wait
    for ``landing``."""
    page.goto(url + start)
    expect(page).to_have_url(re.compile(re.escape(url + "/console/login")))
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    click_and_wait(page.get_by_role("button", name="Sign in"))
    expect(page).to_have_url(url + landing)
    return page


class Screenshots:
    """Full-page screenshots into ``test-artifacts/<folder>/``."""

    def __init__(self, folder: str) -> None:
        self.directory = ARTIFACTS / folder

    def __call__(self, page: Any, name: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(self.directory / f"{name}.png"), full_page=True)
