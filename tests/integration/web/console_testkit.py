"""Helpers for the issuer console tests: the API test world plus form helpers (CSRF)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

_API_TESTS = Path(__file__).resolve().parents[1] / "api"
if str(_API_TESTS) not in sys.path:
    sys.path.insert(0, str(_API_TESTS))

import api_testkit  # noqa: E402
import httpx  # noqa: E402

__all__ = ["api_testkit", "csrf", "post_form", "sign_in"]

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


def post_form(client: Any, page_url: str, action: str, data: dict[str, str]) -> httpx.Response:
    """Load ``page_url`` for its CSRF token, then POST ``data`` to ``action``."""
    page = client.get(page_url)
    assert page.status_code == 200, page.text
    response: httpx.Response = client.post(action, data={"csrf_token": csrf(page.text), **data})
    return response
