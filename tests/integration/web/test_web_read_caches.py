"""Public credential pages through the read caches (docs/performance.md, "Read caches"): a
second app on the same database (another server process) serves a shared page from its cache
until anything on it changes — a learner who stops sharing, a revocation — and then shows the
change on the very next request."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
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
from microcred.services.schemas_identity import IssuerProfileUpdate
from microcred.settings import load_settings
from microcred.web.page_cache import PageCache


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


class _MovableClock:
    def __init__(self, start: datetime) -> None:
        self.instant = start

    def now(self) -> datetime:
        return self.instant


def test_a_rendered_page_is_sent_again_with_one_token_read_per_view(
    learner: Browser, visitor: Browser, world: World, other_app: Any
) -> None:
    detail = open_wallet(learner, world)
    path = urlsplit(share_url(share(learner, detail, on=True))).path
    web = web_context_of(other_app)
    first = visitor.get(path)
    assert first.status_code == 200
    hits, reads = web.page_cache.memo.hits, web.platform.read_epoch.reads
    again = visitor.get(path)
    assert again.status_code == 200
    assert again.content == first.content  # the same bytes, from the page cache
    assert again.headers["cache-control"] == "no-cache"
    assert again.headers["x-robots-tag"] == "noindex"
    assert web.page_cache.memo.hits == hits + 1
    assert web.platform.read_epoch.reads == reads + 1  # one read of the tokens per view
    assert "csrf_token" not in again.text  # nothing per visitor in a shared page

    world.platform.issuers.update_profile(
        world.admin, world.issuer.id, IssuerProfileUpdate(name="Renamed Academy")
    )
    assert "Renamed Academy" in visitor.get(path).text  # a rename shows on the next view


def test_a_kept_page_is_used_only_within_the_report_window(
    learner: Browser, visitor: Browser, world: World, other_app: Any
) -> None:
    detail = open_wallet(learner, world)
    path = urlsplit(share_url(share(learner, detail, on=True))).path
    web = web_context_of(other_app)
    clock = _MovableClock(datetime.now(UTC))
    pages = PageCache(web.platform.read_epoch, clock, ttl=2.0)
    web.__dict__["page_cache"] = pages  # the app's cache, on a clock the test moves
    visitor.get(path)
    visitor.get(path)
    assert pages.memo.hits == 1
    clock.instant += timedelta(seconds=3)
    assert visitor.get(path).status_code == 200
    assert pages.memo.hits == 2  # found, but too old: rendered again
    misses = pages.memo.misses
    clock.instant += timedelta(seconds=0.5)
    visitor.get(path)
    assert pages.memo.misses == misses  # the fresh render was kept


def test_a_page_with_a_flash_message_is_never_kept(
    learner: Browser, visitor: Browser, world: World, other_app: Any
) -> None:
    detail = open_wallet(learner, world)
    path = urlsplit(share_url(share(learner, detail, on=True))).path
    web = web_context_of(other_app)
    visitor.get(path)
    hits = web.page_cache.memo.hits
    flashed = visitor.get(path, headers={"cookie": "mc_flash=share-off"})
    assert "Sharing is off" in flashed.text
    assert web.page_cache.memo.hits == hits
    assert "Sharing is off" not in visitor.get(path).text
