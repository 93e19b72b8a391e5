"""Fixtures for the API tests (helpers and the world they build: ``api_testkit.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import api_testkit
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from api_testkit import Api, Client, StepClock, world_platform

from microcred.api import create_app

# the database fixtures of tests/integration/storage, re-exported for pytest
backend = api_testkit.backend
clock = api_testkit.clock
database_url = api_testkit.database_url
postgres_admin_url = api_testkit.postgres_admin_url
postgres_run_database = api_testkit.postgres_run_database
sqlite_template = api_testkit.sqlite_template


@pytest.fixture
def portal() -> Iterator[BlockingPortal]:
    with start_blocking_portal() as made:
        yield made


@pytest.fixture
def api(
    database_url: str, tmp_path: Path, clock: StepClock, portal: BlockingPortal
) -> Iterator[Api]:
    platform, operator, a, b = world_platform(database_url, tmp_path / "home", clock)
    try:
        app = create_app(platform)
        client = Client(app, portal)
        world = Api(platform, app, client, clock, operator, a, b, portal)
        try:
            yield world
        finally:
            for extra in [client, *world.extra_clients]:
                extra.close()
    finally:
        platform.close()
