"""Login throttling and request rate limits: ``429`` with ``Retry-After``, per client, resets.

* Sign-in (API ``POST /api/v1/session`` and the console form): after 5 failures for one e-mail
  address the next attempt — even with the right password — is ``429`` with ``Retry-After``;
  once the window has passed (the platform's clock moves) the right password works again.
* The request rate limit (``api/ratelimit.py``): a client that used its bucket gets ``429``
  problem details with ``Retry-After`` before anything runs; other clients (another token,
  another session, another address) are not affected; the bucket refills with time.
"""

from __future__ import annotations

from typing import Any

import pytest
from api_testkit import PASSWORD, Api, Client, bearer, email_for, problem
from console_testkit import csrf

from microcred.api import create_app
from microcred.api.guessing import GuessThrottle
from microcred.api.ratelimit import RateLimiter, client_key
from microcred.services.access import Role


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _limited_app(api: Api, per_minute: int) -> tuple[Any, FakeMonotonic]:
    ticks = FakeMonotonic()
    app = create_app(api.platform, rate_limiter=RateLimiter(per_minute, monotonic=ticks))
    return app, ticks


def _retry_after(response: Any) -> int:
    value = int(response.headers["retry-after"])
    assert value >= 1
    return value


def test_api_sign_in_is_throttled_with_retry_after_and_recovers(api: Api) -> None:
    client = api.new_client("198.51.100.7")
    email = email_for(Role.VIEWER, "alpha")
    for _ in range(5):
        wrong = client.post("/api/v1/session", json={"email": email, "password": "not it at all"})
        problem(wrong, 401)
    limited = client.post("/api/v1/session", json={"email": email, "password": PASSWORD})
    body = problem(limited, 429)
    wait = _retry_after(limited)
    assert body["retry_after"] == wait and wait <= 15 * 60
    # per address: another account from the same address is refused too ...
    same_ip = client.post(
        "/api/v1/session", json={"email": email_for(Role.ADMIN, "alpha"), "password": PASSWORD}
    )
    problem(same_ip, 429)
    # ... and per e-mail address: this account from another address as well
    problem(
        api.new_client("198.51.100.70").post(
            "/api/v1/session", json={"email": email, "password": PASSWORD}
        ),
        429,
    )
    # while another account from another address signs in
    other = api.new_client("198.51.100.71").post(
        "/api/v1/session", json={"email": email_for(Role.ADMIN, "alpha"), "password": PASSWORD}
    )
    assert other.status_code == 201, other.text
    api.clock.advance(seconds=wait + 1)
    again = api.new_client("198.51.100.8").post(
        "/api/v1/session", json={"email": email, "password": PASSWORD}
    )
    assert again.status_code == 201, again.text


def test_console_sign_in_is_throttled_with_retry_after(api: Api) -> None:
    client = api.new_client("198.51.100.9")
    email = email_for(Role.DESIGNER, "alpha")
    for _ in range(5):
        page = client.get("/console/login")
        bad = client.post(
            "/console/login",
            data={"csrf_token": csrf(page.text), "email": email, "password": "wrong"},
        )
        assert bad.status_code == 400
    page = client.get("/console/login")
    limited = client.post(
        "/console/login",
        data={"csrf_token": csrf(page.text), "email": email, "password": PASSWORD},
    )
    assert limited.status_code == 429
    assert limited.headers["content-type"].startswith("text/html")
    assert "Too many attempts" in limited.text
    wait = _retry_after(limited)
    assert "microcred_session" not in limited.headers.get("set-cookie", "")
    api.clock.advance(seconds=wait + 1)
    page = client.get("/console/login")
    ok = client.post(
        "/console/login",
        data={"csrf_token": csrf(page.text), "email": email, "password": PASSWORD,
              "next": "/console"},
    )  # fmt: skip
    assert ok.status_code == 303


def test_the_rate_limit_answers_429_with_retry_after_per_token(api: Api) -> None:
    app, ticks = _limited_app(api, per_minute=3)
    client = Client(app, api.portal, ip="203.0.113.5")
    try:
        url = f"/api/v1/issuers/{api.a.id}"
        for _ in range(3):
            assert client.get(url, headers=api.a.auth(Role.VIEWER)).status_code == 200
        limited = client.get(url, headers=api.a.auth(Role.VIEWER))
        body = problem(limited, 429)
        assert body["type"].endswith("/rate-limited")
        wait = _retry_after(limited)
        assert body["retry_after"] == wait == 20  # one request every 60/3 seconds
        # another token from the same address has its own bucket
        assert client.get(url, headers=api.a.auth(Role.ADMIN)).status_code == 200
        # probes are never limited
        assert client.get("/healthz", headers=api.a.auth(Role.VIEWER)).status_code == 200
        # the bucket refills: after Retry-After seconds one more request goes through
        ticks.now += wait
        assert client.get(url, headers=api.a.auth(Role.VIEWER)).status_code == 200
        problem(client.get(url, headers=api.a.auth(Role.VIEWER)), 429)
        ticks.now += 60
        for _ in range(3):
            assert client.get(url, headers=api.a.auth(Role.VIEWER)).status_code == 200
    finally:
        client.close()


def test_the_rate_limit_is_per_address_without_credentials(api: Api) -> None:
    app, _ = _limited_app(api, per_minute=2)
    first = Client(app, api.portal, ip="203.0.113.10")
    second = Client(app, api.portal, ip="203.0.113.11")
    try:
        for _ in range(2):
            assert first.get("/ledger/checkpoints").status_code == 200
        limited = first.get("/ledger/checkpoints")
        problem(limited, 429)
        _retry_after(limited)
        assert second.get("/ledger/checkpoints").status_code == 200
        # a refused request runs nothing: a sign-in attempt is not even counted
        refused = first.post(
            "/api/v1/session",
            json={"email": email_for(Role.ADMIN, "alpha"), "password": "wrong password!"},
        )
        problem(refused, 429)
    finally:
        first.close()
        second.close()


def test_the_rate_limit_covers_pages_and_session_cookies(api: Api) -> None:
    app, _ = _limited_app(api, per_minute=2)
    client = Client(app, api.portal, ip="203.0.113.20")
    other = Client(app, api.portal, ip="203.0.113.20")
    try:
        client.http.cookies.set("microcred_session", "a" * 43)
        other.http.cookies.set("microcred_session", "b" * 43)
        for _ in range(2):
            assert client.get("/verify").status_code == 200
        limited = client.get("/verify")
        assert limited.status_code == 429
        _retry_after(limited)
        assert other.get("/verify").status_code == 200
    finally:
        client.close()
        other.close()


@pytest.mark.parametrize(
    ("headers", "client", "prefix"),
    [
        ([(b"authorization", b"Bearer mc_x")], ("192.0.2.1", 1), "token:"),
        ([(b"cookie", b"a=1; microcred_session=s3cret")], ("192.0.2.1", 1), "session:"),
        ([(b"cookie", b"mc_wallet=w")], ("192.0.2.1", 1), "session:"),
        ([(b"cookie", b"mc_csrf=only")], ("192.0.2.1", 1), "ip:192.0.2.1"),
        ([], None, "ip:unknown"),
    ],
)
def test_client_keys(headers: list[tuple[bytes, bytes]], client: Any, prefix: str) -> None:
    key = client_key({"type": "http", "headers": headers, "client": client})
    assert key.startswith(prefix)
    assert "s3cret" not in key and "mc_x" not in key


def test_the_limiter_forgets_the_least_recently_seen_clients() -> None:
    ticks = FakeMonotonic()
    limiter = RateLimiter(1, monotonic=ticks, max_clients=2)
    assert limiter.acquire("a") == 0
    assert limiter.acquire("a") == 60
    limiter.acquire("b")
    limiter.acquire("c")  # "a" is forgotten: a fresh bucket
    assert limiter.acquire("a") == 0
    with pytest.raises(ValueError):
        RateLimiter(0)


def test_password_change_is_throttled_per_account(api: Api) -> None:
    email = email_for(Role.DESIGNER, "alpha")
    client = api.sign_in(email)
    change = "/api/v1/session/password"
    new = "a different horse battery staple"
    for _ in range(5):
        wrong = client.post(change, json={"current_password": "guess", "new_password": new})
        problem(wrong, 403)
    # the right current password is refused too until failures leave the window
    limited = client.post(change, json={"current_password": PASSWORD, "new_password": new})
    body = problem(limited, 429)
    wait = _retry_after(limited)
    assert body["retry_after"] == wait and wait <= 15 * 60
    # the password did not change
    assert (
        api.new_client("198.51.100.30")
        .post("/api/v1/session", json={"email": email, "password": PASSWORD})
        .status_code
        == 201
    )
    api.clock.advance(seconds=wait + 1)
    done = client.post(change, json={"current_password": PASSWORD, "new_password": new})
    assert done.status_code == 204, done.text


def test_made_up_tokens_cookies_and_links_are_throttled_per_address(api: Api) -> None:
    ticks = FakeMonotonic()
    app = create_app(api.platform, guess_throttle=GuessThrottle(limit=3, monotonic=ticks))
    guesser = Client(app, api.portal, ip="203.0.113.40")
    neighbour = Client(app, api.portal, ip="203.0.113.41")
    try:
        for _ in range(3):
            problem(guesser.get("/api/v1/issuers", headers=bearer("mc_madeup_token")), 401)
        limited = guesser.get("/api/v1/issuers", headers=bearer("mc_another_guess"))
        body = problem(limited, 429)
        wait = _retry_after(limited)
        assert body["retry_after"] == wait
        # every secret from that address waits, even a valid token; a made-up session or
        # wallet cookie and claim / share links too
        problem(guesser.get("/api/v1/issuers", headers=api.a.auth()), 429)
        problem(guesser.get("/wallet", headers={"Cookie": "mc_wallet=guess"}), 429)
        problem(guesser.get("/c/AAAAAAAAAAAAAAAAAAAAAA"), 429)
        problem(guesser.get("/wallet/claim/" + "A" * 43), 429)
        # requests without a secret are not affected, nor is another address
        assert guesser.get("/verify").status_code == 200
        assert neighbour.get("/api/v1/issuers", headers=api.a.auth()).status_code == 200
        ticks.now += wait + 1
        problem(guesser.get("/api/v1/issuers", headers=bearer("mc_after_waiting")), 401)
        # unknown share and claim links count as failures
        ticks.now += 3600
        for _ in range(3):
            assert neighbour.get("/c/BBBBBBBBBBBBBBBBBBBBBB").status_code == 404
        problem(neighbour.get("/c/CCCCCCCCCCCCCCCCCCCCCC"), 429)
    finally:
        guesser.close()
        neighbour.close()


def test_the_guess_throttle_window_and_bounds() -> None:
    ticks = FakeMonotonic()
    throttle = GuessThrottle(limit=2, window=60, monotonic=ticks, max_addresses=2)
    assert throttle.wait("a") == 0
    throttle.fail("a")
    ticks.now += 30
    throttle.fail("a")
    assert throttle.wait("a") == 30  # the first failure leaves the window in 30 s
    ticks.now += 31
    assert throttle.wait("a") == 0
    throttle.fail("b")
    throttle.fail("c")  # "a" is forgotten first (least recently failed)
    throttle.fail("a")
    assert throttle.wait("a") == 0
    with pytest.raises(ValueError):
        GuessThrottle(limit=0)
