"""Fixtures for the web page tests: the real app (API + pages) on a SQLite platform, driven
in-process through httpx (no sockets). Helpers are in ``web_testkit.py``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from console_testkit import api_testkit
from web_testkit import World, make_world

from microcred.api import create_app

BASE_URL = "http://testserver.local"

# The console tests' databases (both backends) and clock, from the API tests' fixtures: used
# by the test_console_* modules, each of which builds its own ``world`` on them.
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
def world(tmp_path: Path) -> Iterator[World]:
    made = make_world(tmp_path / "home", base_url=BASE_URL)
    try:
        yield made
    finally:
        made.platform.close()


@pytest.fixture
def app(world: World):  # type: ignore[no-untyped-def]
    return create_app(world.platform)
