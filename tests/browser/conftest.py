"""The ``browser`` fixture of the browser tests: one headless Debian Chromium per test process
(each test opens its own context). Helpers are in ``browser_testkit.py``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    from browser_testkit import ARGS, CHROMIUM

    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (see .ci/run)")
    with sync_api.sync_playwright() as driver:
        made = driver.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield made
        finally:
            made.close()
