"""Public credential pages through the read caches (docs/performance.md, "Read caches"): a
second app on the same database (another server process) serves a shared page from its cache
until anything on it changes — a learner who stops sharing, a revocation — and then shows the
change on the very next request."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from web_client import BASE_URL, Browser, csrf_from
from web_testkit import FAST, World

from microcred.api import create_app
from microcred.services.identity import PasswordHashing
from microcred.services.platform import Platform, build_platform
from microcred.services.read_cache import EpochSharing
from microcred.settings import load_settings


@pytest.fixture
def other_platform(world: World, tmp_path: Path) -> Iterator[Platform]:
    settings = load_settings(
        home=tmp_path / "other-home",
        database_url=world.platform.settings.database_url,
        base_url=BASE_URL,
        kek=secrets.token_hex(32),
    )
    built = build_platform(
        settings, passwords=PasswordHashing(FAST), allow_network=False, migrate_database=False
    )
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def other_app(other_platform: Platform) -> Any:
    return create_app(other_platform)


@pytest.fixture
def learner(app: Any, portal: Any) -> Iterator[Browser]:
    made = Browser(app, portal)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def visitor(other_app: Any, portal: Any) -> Iterator[Browser]:
    made = Browser(other_app, portal)
    try:
        yield made
    finally:
        made.close()


def open_wallet(browser: Browser, world: World) -> str:
    """Claim ana's credential in ``browser``; the wallet detail page's path."""
    token = world.token("ana")
    page = browser.get(f"/claim/{token}")
    answer = browser.post(f"/wallet/claim/{token}", data={"csrf_token": csrf_from(page.text)})
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def share(browser: Browser, detail: str, on: bool) -> str:
    page = browser.get(detail)
    answer = browser.post(
        f"{detail}/share",
        data={"csrf_token": csrf_from(page.text), "shared": "on" if on else "off"},
    )
    assert answer.status_code == 303, answer.text
    return browser.get(answer.headers["location"]).text


def share_url(html: str) -> str:
    match = re.search(
        r'id="share-url" class="share-url" type="text" readonly value="([^"]+)"', html
    )
    assert match is not None
    return match.group(1)


def _pages(other_app: Any) -> EpochSharing:
    sharing = other_app.state.web.sharing
    assert isinstance(sharing, EpochSharing)
    return sharing


def test_a_page_is_kept_until_the_learner_stops_sharing(
    learner: Browser, visitor: Browser, world: World, other_app: Any
) -> None:
    detail = open_wallet(learner, world)
    path = urlsplit(share_url(share(learner, detail, on=True))).path
    assert visitor.get(path).status_code == 200
    hits = _pages(other_app).pages.hits
    assert 'data-verdict="verified"' in visitor.get(path).text
    assert _pages(other_app).pages.hits == hits + 1  # the second view came from the cache

    share(learner, detail, on=False)  # through the first app

    assert visitor.get(path).status_code == 404  # the other app knows at once
    share(learner, detail, on=True)
    assert visitor.get(path).status_code == 200


def test_a_revocation_shows_on_the_next_view(
    learner: Browser, visitor: Browser, world: World, other_app: Any
) -> None:
    detail = open_wallet(learner, world)
    path = urlsplit(share_url(share(learner, detail, on=True))).path
    assert 'data-verdict="verified"' in visitor.get(path).text
    assert 'data-verdict="verified"' in visitor.get(path).text
    world.platform.status.revoke(
        world.admin, world.issuer.id, world.credentials["ana"].id, "awarded in error"
    )
    public = visitor.get(path)
    assert 'data-verdict="not-verified"' in public.text
    assert "Revoked by the issuer" in public.text


def test_the_web_context_uses_the_epoch(other_app: Any) -> None:
    assert web_context_of(other_app).platform.read_epoch is not None


def web_context_of(app: Any) -> Any:
    return app.state.web
