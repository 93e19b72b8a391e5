"""Status list fetchers: HTTP(S) against a local server on 127.0.0.1, SSRF refusals, cache.

The HTTPS fetcher runs with ``allow_private=True, allow_http=True`` against a threading
``http.server`` on 127.0.0.1 (the transport is the only difference from production); the
refusals run with the production defaults and a stubbed DNS answer.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from status_testkit import LISTS, NOW, build_world, entry

from microcred.errors import ConfigError, StatusError
from microcred.status.fetchers import (
    CachingStatusListFetcher,
    HttpsStatusListFetcher,
    LocalStatusListFetcher,
    parse_cache_control,
)
from microcred.status.protocols import FetchedStatusList
from microcred.verification.report import Outcome


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.requests.append(self.path)
        route = self.server.routes.get(self.path, Route(status=404, body=b"not found"))
        self.send_response(route.status)
        for name, value in route.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(route.body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(route.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def serve(self, path: str, document: object, **headers: str) -> str:
        self.routes[path] = Route(
            body=json.dumps(document).encode(),
            headers={"Content-Type": "application/vc", **headers},
        )
        return self.base + path


@pytest.fixture(scope="module")
def _running() -> Iterator[_Server]:
    server = _Server()
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def server(_running: _Server) -> _Server:
    _running.routes.clear()
    _running.requests.clear()
    return _running


def _local_http(**options: object) -> HttpsStatusListFetcher:
    settings: dict[str, object] = {
        "allow_private": True,
        "allow_http": True,
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
    }
    settings.update(options)
    return HttpsStatusListFetcher(**settings)  # type: ignore[arg-type]


def _reason(error: pytest.ExceptionInfo[StatusError]) -> str:
    assert error.value.extra["code"] == "STATUS_RETRIEVAL_ERROR"
    return str(error.value.extra["reason"])


class _Clock:
    def __init__(self, start: datetime) -> None:
        self.instant = start

    def now(self) -> datetime:
        return self.instant


# --------------------------------------------------------------------------- HTTP


def test_fetches_a_list_and_reads_cache_control(server: _Server) -> None:
    url = server.serve(
        "/status/alpha/revocation/1", {"id": "x"}, **{"Cache-Control": "public, max-age=300"}
    )
    fetched = _local_http().fetch(url)
    assert fetched.document == {"id": "x"} and fetched.max_age == 300.0 and fetched.url == url
    assert server.requests == ["/status/alpha/revocation/1"]


def test_follows_at_most_three_redirects(server: _Server) -> None:
    final = server.serve("/final", {"ok": True})
    for hop in range(4):
        target = "/final" if hop == 0 else f"/hop{hop - 1}"
        server.routes[f"/hop{hop}"] = Route(status=302, headers={"Location": target})
    assert _local_http().fetch(server.base + "/hop2").document == {"ok": True}
    with pytest.raises(StatusError, match="more than 3 redirects") as caught:
        _local_http().fetch(server.base + "/hop3")
    assert _reason(caught) == "redirects"
    assert final.endswith("/final")


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        (Route(status=404, body=b"gone"), "http-status"),
        (Route(body=b"{}", headers={"Content-Type": "text/html"}), "media-type"),
        (Route(body=b"[1, 2]", headers={"Content-Type": "application/json"}), "not-json"),
        (Route(body=b'{"a": 1, "a": 2}', headers={"Content-Type": "application/json"}), "not-json"),
        (Route(body=b"{not json", headers={"Content-Type": "application/ld+json"}), "not-json"),
        (Route(body=b"x" * 5000, headers={"Content-Type": "application/json"}), "too-large"),
    ],
)
def test_bad_answers_are_retrieval_errors(server: _Server, route: Route, reason: str) -> None:
    server.routes["/bad"] = route
    with pytest.raises(StatusError) as caught:
        _local_http(max_bytes=4096).fetch(server.base + "/bad")
    assert _reason(caught) == reason


def test_loopback_and_private_addresses_are_refused_by_default(server: _Server) -> None:
    url = server.serve("/status/alpha/revocation/1", {"id": "x"})
    with pytest.raises(StatusError, match="refusing a 'http' URL"):
        HttpsStatusListFetcher().fetch(url)
    production = HttpsStatusListFetcher(resolve_host=lambda host, port: ["127.0.0.1"])
    with pytest.raises(StatusError, match="non-public address 127.0.0.1") as caught:
        production.fetch("https://lists.example.org/status/1")
    assert _reason(caught) == "forbidden-address"
    for address in ("10.0.0.5", "169.254.169.254", "192.168.1.1", "::1", "fe80::1", "100.64.0.1"):
        refusing = HttpsStatusListFetcher(resolve_host=lambda host, port, a=address: [a])
        with pytest.raises(StatusError, match="non-public"):
            refusing.fetch("https://lists.example.org/status/1")
    # one private answer among public ones is enough to refuse (DNS rebinding)
    mixed = HttpsStatusListFetcher(resolve_host=lambda host, port: ["93.184.216.34", "10.0.0.1"])
    with pytest.raises(StatusError, match="non-public address 10.0.0.1"):
        mixed.fetch("https://lists.example.org/status/1")
    assert server.requests == []


def test_a_redirect_to_a_private_address_is_refused(server: _Server) -> None:
    server.routes["/jump"] = Route(status=302, headers={"Location": "https://internal.test/x"})

    def resolve(host: str, port: int) -> list[str]:
        return ["127.0.0.1"] if host == "127.0.0.1" else ["10.1.2.3"]

    class _Once(HttpsStatusListFetcher):
        """Allows the first (test server) hop only, like a public host that redirects."""

        def _addresses(self, original, target):  # type: ignore[no-untyped-def]
            if target.host == "127.0.0.1":
                return ["127.0.0.1"]
            return super()._addresses(original, target)

    fetcher = _Once(allow_private=False, resolve_host=resolve)
    fetcher._schemes = ("https", "http")  # the test server speaks http
    with pytest.raises(StatusError, match="non-public address 10.1.2.3"):
        fetcher.fetch(server.base + "/jump")


def test_misconfiguration_is_refused() -> None:
    with pytest.raises(ConfigError):
        HttpsStatusListFetcher(allow_http=True)
    with pytest.raises(ConfigError):
        HttpsStatusListFetcher(max_bytes=0)
    with pytest.raises(StatusError, match="user info"):
        HttpsStatusListFetcher().fetch("https://user:pw@lists.example.org/status/1")
    with pytest.raises(StatusError, match="refusing"):
        HttpsStatusListFetcher().fetch("file:///etc/passwd")


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("public", None),
        ("max-age=60", 60.0),
        ('public, max-age="120"', 120.0),
        ("no-store", 0.0),
        ("max-age=600, no-cache", 0.0),
        ("max-age=abc", None),
    ],
)
def test_cache_control(header: str | None, seconds: float | None) -> None:
    assert parse_cache_control(header) == seconds


# --------------------------------------------------------------------------- local + cache


def test_local_fetcher_serves_own_lists_and_falls_back() -> None:
    own = {"https://p.example/status/a/revocation/1": {"id": "own"}}

    class Remote:
        def fetch(self, url: str) -> FetchedStatusList:
            return FetchedStatusList(url=url, document={"id": "remote"}, max_age=30)

    local = LocalStatusListFetcher(own.get, fallback=Remote())
    mine = local.fetch("https://p.example/status/a/revocation/1")
    assert mine.document == {"id": "own"} and mine.max_age == 0.0
    assert local.fetch("https://other.example/list").document == {"id": "remote"}
    with pytest.raises(StatusError, match="not published by this platform"):
        LocalStatusListFetcher(own.get).fetch("https://other.example/list")


def test_cache_keeps_lists_for_the_shortest_allowed_time() -> None:
    served = {"n": 0}

    class Source:
        def __init__(self, max_age: float | None, ttl_ms: int | None) -> None:
            self.max_age, self.ttl_ms = max_age, ttl_ms

        def fetch(self, url: str) -> FetchedStatusList:
            served["n"] += 1
            subject = {"n": served["n"]}
            if self.ttl_ms is not None:
                subject["ttl"] = self.ttl_ms
            return FetchedStatusList(
                url=url, document={"credentialSubject": subject}, max_age=self.max_age
            )

    clock = _Clock(datetime(2026, 3, 1, tzinfo=UTC))
    cases = [(None, None, 300), (60, None, 60), (None, 10_000, 10), (600, 120_000, 120)]
    for max_age, ttl_ms, expected in cases:
        cache = CachingStatusListFetcher(Source(max_age, ttl_ms), clock, ttl=timedelta(seconds=300))
        first = cache.fetch("u")
        clock.instant += timedelta(seconds=expected - 1)
        assert cache.fetch("u") is first
        clock.instant += timedelta(seconds=1)
        assert cache.fetch("u") is not first
    no_store = CachingStatusListFetcher(Source(0, None), clock)
    no_store.fetch("u")
    assert len(no_store) == 0


def test_cache_evicts_the_least_recently_used_and_can_be_invalidated() -> None:
    class Source:
        def fetch(self, url: str) -> FetchedStatusList:
            return FetchedStatusList(url=url, document={"url": url})

    cache = CachingStatusListFetcher(Source(), _Clock(NOW), max_entries=2)
    a = cache.fetch("a")
    cache.fetch("b")
    assert cache.fetch("a") is a
    cache.fetch("c")  # evicts b
    assert len(cache) == 2
    cache.invalidate("a")
    assert cache.fetch("a") is not a
    cache.invalidate()
    assert len(cache) == 0


# --------------------------------------------------------------------------- end to end


def test_verification_over_http_sees_a_revocation_within_the_ttl(server: _Server) -> None:
    clock = _Clock(NOW)
    fetcher = CachingStatusListFetcher(_local_http(), clock, ttl=timedelta(minutes=5))
    world = build_world(fetcher=fetcher)
    path = "/status/alpha/revocation/1"
    url = server.base + path
    world.fetcher.documents.clear()
    server.serve(
        path, world.issuer.status_list(url, ttl_ms=60_000), **{"Cache-Control": "max-age=60"}
    )
    credential = world.issuer.credential(
        {**entry("revocation", 4242), "statusListCredential": url, "id": f"{url}#4242"}
    )
    assert world.verifier.verify_credential(credential).verified

    server.serve(path, world.issuer.status_list(url, set_indexes=(4242,), ttl_ms=60_000))
    assert world.verifier.verify_credential(credential).verified  # still cached
    clock.instant += timedelta(seconds=61)
    report = world.verifier.verify_credential(credential)
    (result,) = [c for c in report.checks if c.code.startswith("status")]
    assert (result.code, result.outcome, result.message) == (
        "status.revocation",
        Outcome.FAILED,
        "Revoked by the issuer.",
    )
    assert server.requests == [path, path]


def test_an_unreachable_server_is_status_unknown() -> None:
    world = build_world(fetcher=_local_http(connect_timeout=1.0))
    url = "http://127.0.0.1:9/status/alpha/revocation/1"  # discard port: nothing listens
    credential = world.issuer.credential(
        {**entry("revocation", 1), "statusListCredential": url, "id": f"{url}#1"}
    )
    report = world.verifier.verify_credential(credential)
    (result,) = [c for c in report.checks if c.code.startswith("status")]
    assert (result.code, result.outcome) == ("status.unknown", Outcome.FAILED)
    assert result.details["error"] == "STATUS_RETRIEVAL_ERROR"
    assert not report.verified
    assert LISTS  # the testkit's own lists are not involved here
