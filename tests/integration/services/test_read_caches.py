"""The read caches (services/read_cache.py, docs/performance.md "Read caches"), on SQLite and
PostgreSQL: two platforms on one database stand for two server processes. Whatever one of
them changes — a revocation, a key compromise — the other's next verification shows, although
it had just verified (and cached) the same credential; nothing changes → nothing is re-read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from identity_testkit import World, make_platform
from status_service_testkit import issue_with_status, status_result, status_service
from storage_helpers import StepClock

from microcred.services.access import Role
from microcred.services.platform import Platform
from microcred.services.read_cache import CachedDIDResolver, EpochStatusLists
from microcred.services.verifier import PlatformVerifier


@pytest.fixture
def other(database_url: str, tmp_path: Path, clock: StepClock) -> Iterator[Platform]:
    """A second platform (another server process) on the same database."""
    built = make_platform(database_url, tmp_path / "other-home", clock)
    try:
        yield built
    finally:
        built.close()


def _verifier(platform: Platform) -> PlatformVerifier:
    verifier = platform.engine.verifier
    assert isinstance(verifier, PlatformVerifier)
    assert verifier.epoch.enabled  # the migrated database has the epoch triggers
    return verifier


def test_a_revocation_made_elsewhere_shows_at_once(world: World, other: Platform) -> None:
    service = status_service(world.platform)
    row = issue_with_status(world.platform, service, world.issuer_a.id)
    verifier = _verifier(other)
    assert verifier.verify_credential(row.document).verified
    reads = verifier.epoch.reads
    again = verifier.verify_credential(row.document)
    assert again.verified
    assert verifier.epoch.reads == reads + 1  # one token read per verification
    assert len(verifier.reports) == 1  # answered from the kept report

    world.platform.status.revoke(
        world.members[Role.REGISTRAR], world.issuer_a.id, row.id, "Issued in error"
    )

    report = verifier.verify_credential(row.document)  # no clock change: only the token moved
    assert not report.verified
    assert status_result(verifier, row.document, "revocation") == (
        "failed",
        "Revoked by the issuer.",
    )


def test_a_key_compromise_made_elsewhere_shows_at_once(world: World, other: Platform) -> None:
    service = status_service(world.platform)
    row = issue_with_status(world.platform, service, world.issuer_a.id)
    verifier = _verifier(other)
    assert verifier.verify_credential(row.document).verified
    key = world.platform.issuers.get_issuer(world.members[Role.ADMIN], world.issuer_a.id)
    assert key.active_key is not None
    world.platform.clock.advance(minutes=1)

    world.platform.issuers.mark_key_compromised(
        world.members[Role.ADMIN],
        world.issuer_a.id,
        key.active_key.id,
        None,
        "laptop stolen",
    )

    report = verifier.verify_credential(row.document)
    assert not report.verified
    assert "anchor.key" in {c.code for c in report.failures}


def test_the_caches_hold_between_changes(world: World, other: Platform) -> None:
    service = status_service(world.platform)
    first = issue_with_status(world.platform, service, world.issuer_a.id)
    second = issue_with_status(world.platform, service, world.issuer_a.id)
    verifier = _verifier(other)
    assert verifier.verify_credential(first.document).verified
    resolver = next(
        r
        for r in other.engine.did_resolver._resolvers["web"]._resolvers  # type: ignore[attr-defined]
        if isinstance(r, CachedDIDResolver)
    )
    hits = resolver.memo.hits
    # another credential of the same issuer: its DID document and lists come from the caches
    assert verifier.verify_credential(second.document).verified
    assert resolver.memo.hits > hits


def test_a_report_is_not_kept_past_its_time(world: World, other: Platform) -> None:
    service = status_service(world.platform)
    row = issue_with_status(world.platform, service, world.issuer_a.id)
    verifier = _verifier(other)
    assert verifier.verify_credential(row.document).verified
    misses = verifier.reports.misses
    other.clock.advance(seconds=3)  # the verifier's clock is past the report's 2 s
    assert verifier.verify_credential(row.document).verified
    assert verifier.reports.misses == misses  # found, but too old: verified again
    assert verifier.verify_credential(row.document).verified


def test_without_the_triggers_nothing_is_cached(
    world: World, database_url: str, tmp_path: Path, clock: StepClock
) -> None:
    from epoch_testkit import drop_one_trigger, restore_triggers

    from microcred.storage import Database

    database = Database.from_url(database_url)
    try:
        drop_one_trigger(database)
        built = make_platform(database_url, tmp_path / "no-triggers", clock)
        try:
            verifier = _verifier_any(built)
            assert not verifier.epoch.enabled
            service = status_service(world.platform)
            row = issue_with_status(world.platform, service, world.issuer_a.id)
            assert verifier.verify_credential(row.document).verified
            assert len(verifier.reports) == 0
        finally:
            built.close()
    finally:
        restore_triggers(database)
        database.dispose()


def _verifier_any(platform: Platform) -> PlatformVerifier:
    verifier = platform.engine.verifier
    assert isinstance(verifier, PlatformVerifier)
    return verifier


def test_status_lists_are_kept_per_token(world: World, other: Platform) -> None:
    service = status_service(world.platform)
    row = issue_with_status(world.platform, service, world.issuer_a.id)
    url = row.document["credentialStatus"][0]["statusListCredential"]
    epoch = _verifier(other).epoch
    lists = EpochStatusLists(other.status.published_list, epoch)
    first = lists.fetch(url)
    assert lists.fetch(url) is first  # same token: the very same fetched list
    world.platform.status.revoke(
        world.members[Role.REGISTRAR], world.issuer_a.id, row.id, "Issued in error"
    )
    assert lists.fetch(url).digest != first.digest
