"""Security headers on every page and every API answer, and the flags of every cookie.

Every GET route the app serves (read from ``app.routes``, so new ones are covered) is fetched
with real ids of issuer A, signed in where it needs it; each answer — page, JSON, problem
details, image, PDF, CSV — must carry:

* ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` and a CSP with
  ``frame-ancestors 'none'``;
* a ``Referrer-Policy``;
* on HTML: a CSP whose ``script-src`` is ``'self'`` only (no ``'unsafe-inline'``/``'unsafe-eval'``),
  ``object-src 'none'`` and ``base-uri 'none'``; on data: ``default-src 'none'`` (PDFs aside).

Every ``Set-Cookie`` is ``HttpOnly`` and ``SameSite``; with an ``https`` base URL also
``Secure``.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

from access_matrix_testkit import GET_ALLOWED_STATUSES, fill_path, route_table
from api_testkit import FAST, Api, Client, bearer, email_for
from console_testkit import csrf

from microcred.api import create_app
from microcred.services.access import Role
from microcred.services.identity import PasswordHashing
from microcred.services.platform import build_platform
from microcred.settings import load_settings

_UNSAFE_SOURCES = ("'unsafe-inline'", "'unsafe-eval'", "data:", "*", "http:", "https:")


def _directives(policy: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            found[words[0].lower()] = words[1:]
    return found


def assert_secure_headers(response: Any, where: str) -> None:
    headers = response.headers
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("x-frame-options") == "DENY", where
    assert headers.get("referrer-policy") in ("same-origin", "no-referrer"), where
    policy = _directives(headers.get("content-security-policy", ""))
    assert policy.get("frame-ancestors") == ["'none'"], where
    media = headers.get("content-type", "").split(";")[0].strip()
    if media == "text/html":
        scripts = policy.get("script-src", policy.get("default-src"))
        assert scripts == ["'self'"], f"{where}: script-src {scripts}"
        assert policy.get("object-src") == ["'none'"], where
        assert policy.get("base-uri") == ["'none'"], where
        for directive, sources in policy.items():
            if directive in ("img-src", "style-src"):
                continue
            assert not set(sources) & set(_UNSAFE_SOURCES), f"{where}: {directive} {sources}"
    elif media != "application/pdf":
        assert policy.get("default-src") == ["'none'"], f"{where}: {media}"
        assert "script-src" not in policy, where


def _cookie_flags(response: Any) -> list[tuple[str, str]]:
    return [
        (value.split("=", 1)[0], value.lower())
        for key, value in response.headers.multi_items()
        if key.lower() == "set-cookie"
    ]


def test_every_get_route_sends_the_security_headers(api: Api) -> None:
    session = api.platform.identity.start_session(api.a.principals[Role.ADMIN]).secret
    checked: list[str] = []
    table = route_table(api.app)
    post_paths = {route.path for route in table if "POST" in route.methods}
    for route in table:
        if "GET" not in route.methods or route.path.startswith("/docs/oauth2"):
            continue
        path = fill_path(route, api.a, api)
        headers = {"Accept": "text/html"} if route.page else bearer(api.a.tokens[Role.ADMIN])
        client = api.new_client("192.0.2.30")
        client.http.cookies.set("microcred_session", session)
        answer = client.get(path, headers=headers)
        post_only = (
            answer.status_code == 405
            and route.path in post_paths
            and answer.headers.get("allow") == "POST"
        )  # a GET on a form's POST-only address (e.g. /console/logout)
        assert post_only or answer.status_code in GET_ALLOWED_STATUSES, (
            f"GET {path}: {answer.status_code}"
        )
        assert_secure_headers(answer, f"GET {path} ({answer.status_code})")
        checked.append(route.path)
    assert "/verify" in checked and "/api/v1/issuers/{issuer_id}" in checked


ODD_REQUESTS = [
    ("GET", "/api/v1/issuers/00000000-0000-0000-0000-000000000000"),  # 401
    ("GET", "/nothing/here"),  # 404
    ("DELETE", "/healthz"),  # 405
    ("POST", "/credentials/verify"),  # 400/422
    ("GET", "/assets/app.css"),
    ("GET", "/console/login"),
    ("GET", "/wallet/credentials/not-a-uuid"),
]


def test_error_answers_and_assets_send_them_too(api: Api) -> None:
    for method, path in ODD_REQUESTS:
        answer = api.client.request(method, path, content=b"{")
        assert_secure_headers(answer, f"{method} {path} ({answer.status_code})")


def test_a_413_page_and_a_429_send_them_too(api: Api) -> None:
    big = api.client.post("/verify", content=b"x" * (2 * 1024 * 1024))
    assert big.status_code == 413
    assert_secure_headers(big, "413")
    from microcred.api.ratelimit import RateLimiter

    app = create_app(api.platform, rate_limiter=RateLimiter(1))
    client = Client(app, api.portal, ip="203.0.113.99")
    try:
        client.get("/verify")
        limited = client.get("/verify")
        assert limited.status_code == 429
        assert_secure_headers(limited, "429")
    finally:
        client.close()


def test_cookie_flags_on_http(api: Api) -> None:
    client = api.new_client("192.0.2.31")
    page = client.get("/console/login")
    signed = client.post(
        "/console/login",
        data={"csrf_token": csrf(page.text), "email": email_for(Role.ADMIN, "alpha"),
              "password": "correct horse battery staple", "next": "/console"},
    )  # fmt: skip
    assert signed.status_code == 303
    cookies = _cookie_flags(page) + _cookie_flags(signed)
    api_login = api.new_client("192.0.2.32").post(
        "/api/v1/session",
        json={"email": email_for(Role.VIEWER, "alpha"), "password": "correct horse battery staple"},
    )
    cookies += _cookie_flags(api_login)
    names = {name for name, _ in cookies}
    assert {"mc_csrf", "microcred_session"} <= names
    for name, flags in cookies:
        assert "httponly" in flags, name
        assert re.search(r"samesite=(lax|strict)", flags), name
        assert "path=/" in flags, name


def test_cookies_are_secure_on_https(tmp_path: Path, portal: Any) -> None:
    home = tmp_path / "home"
    platform = build_platform(
        load_settings(
            home=home,
            database_url=f"sqlite:///{tmp_path / 'https.db'}",
            base_url="https://credentials.example",
            kek=secrets.token_hex(32),
        ),
        passwords=PasswordHashing(FAST),
        allow_network=False,
    )
    try:
        platform.identity.create_user(
            None, "op@platform.example", "correct horse battery staple", is_operator=True
        )
        app = create_app(platform)
        client = Client(app, portal, ip="192.0.2.33")
        client.http.base_url = "https://credentials.example"  # type: ignore[assignment]
        try:
            page = client.get("/console/login")
            login = client.post(
                "/api/v1/session",
                json={"email": "op@platform.example", "password": "correct horse battery staple"},
            )
            assert login.status_code == 201, login.text
            cookies = _cookie_flags(page) + _cookie_flags(login)
            assert {name for name, _ in cookies} >= {"mc_csrf", "microcred_session"}
            for name, flags in cookies:
                assert "secure" in flags and "httponly" in flags, name
        finally:
            client.close()
    finally:
        platform.close()
