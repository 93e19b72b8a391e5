"""Helpers for the issuer console tests: the API test world plus form helpers (CSRF)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

_API_TESTS = Path(__file__).resolve().parents[1] / "api"
if str(_API_TESTS) not in sys.path:
    sys.path.insert(0, str(_API_TESTS))

from collections.abc import Iterator  # noqa: E402

import api_testkit  # noqa: E402
import httpx  # noqa: E402
from anyio.from_thread import start_blocking_portal  # noqa: E402

from microcred.api import create_app  # noqa: E402

__all__ = ["api_testkit", "console_world", "csrf", "post_form", "sign_in"]

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(html: str) -> str:
    match = _TOKEN.search(html)
    assert match is not None, "no CSRF token in the page"
    return match.group(1)


def sign_in(world: Any, email: str, password: str = api_testkit.PASSWORD) -> Any:
    """A new client signed in to the console as ``email``."""
    client = world.new_client()
    page = client.get("/console/login")
    assert page.status_code == 200
    answer = client.post(
        "/console/login",
        data={"csrf_token": csrf(page.text), "email": email, "password": password,
              "next": "/console"},
    )  # fmt: skip
    assert answer.status_code == 303, answer.text
    return client


def history_lines(html: str) -> list[str]:
    """The console credential page's history, one plain-text line per entry."""
    section = html[html.index('id="history-title"') :]
    section = section[: section.index("</ol>")]
    items = re.findall(r"<li>(.*?)</li>", section, flags=re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item)).strip() for item in items]


def post_form(client: Any, page_url: str, action: str, data: dict[str, str]) -> httpx.Response:
    """Load ``page_url`` for its CSRF token, then POST ``data`` to ``action``."""
    page = client.get(page_url)
    assert page.status_code == 200, page.text
    response: httpx.Response = client.post(action, data={"csrf_token": csrf(page.text), **data})
    return response


def console_world(database_url: str, home: Path, clock: Any) -> Iterator[Any]:
    """The API tests' world (issuers alpha and beta, a member per role, a published definition
    and one credential each) with the app and a client; for a ``yield from`` fixture."""
    with start_blocking_portal() as portal:
        platform, operator, a, b = api_testkit.world_platform(database_url, home, clock)
        try:
            app = create_app(platform)
            client = api_testkit.Client(app, portal)
            made = api_testkit.Api(platform, app, client, clock, operator, a, b, portal)
            try:
                yield made
            finally:
                for extra in [client, *made.extra_clients]:
                    extra.close()
        finally:
            platform.close()
