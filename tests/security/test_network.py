"""Network fetches (status lists, did:web) against SSRF, redirect loops, huge and slow bodies.

By default both fetchers refuse every address that is not globally routable — private,
loopback, link-local (cloud metadata), shared, unique-local, multicast, unspecified — however
it is written (IPv4-mapped IPv6, decimal, hex or octal IPv4, a DNS name that resolves to one)
and refuse before connecting: the local server below sees no request. The positive cases use a
real HTTP server on 127.0.0.1 (port chosen by the OS) with the fetchers' allow-private switch.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from security_testkit import World, build_world, sign

from microcred.did.resolver import HttpsDidWebResolver, is_public_address
from microcred.errors import DIDError, DIDNotFoundError, StatusError
from microcred.status.credentials import build_status_list_credential
from microcred.status.fetchers import HttpsStatusListFetcher

Handler = Callable[[BaseHTTPRequestHandler], None]


class LocalServer:
    """A real threaded HTTP server on 127.0.0.1; ``routes`` maps a path to a handler."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.routes: dict[str, Handler] = {}
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                outer.requests.append(self.path)
                route = outer.routes.get(self.path.split("?")[0])
                if route is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                route(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    made = LocalServer()
    try:
        yield made
    finally:
        made.close()


def _json(body: Any, content_type: str = "application/vc+ld+json") -> Handler:
    data = json.dumps(body).encode()

    def handle(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    return handle


def _redirect_to(location: str) -> Handler:
    def handle(request: BaseHTTPRequestHandler) -> None:
        request.send_response(302)
        request.send_header("Location", location)
        request.send_header("Content-Length", "0")
        request.end_headers()

    return handle


def _chunked(chunk: bytes, count: int, pause: float = 0.0) -> Handler:
    """An endless-looking body: ``count`` chunks, no Content-Length (chunked encoding)."""

    def handle(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "application/json")
        request.send_header("Transfer-Encoding", "chunked")
        request.end_headers()
        try:
            for _ in range(count):
                request.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                request.wfile.flush()
                if pause:
                    time.sleep(pause)
            request.wfile.write(b"0\r\n\r\n")
        except OSError:  # the client hung up, as it should
            pass

    return handle


# --------------------------------------------------------------------------- refused targets

FORBIDDEN_HOSTS = [
    "127.0.0.1",
    "127.1",  # short form of 127.0.0.1
    "2130706433",  # decimal 127.0.0.1
    "0x7f000001",  # hex 127.0.0.1
    "0177.0.0.1",  # octal 127.0.0.1
    "localhost",
    "0.0.0.0",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata (link-local)
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "224.0.0.1",  # multicast
    "[::1]",
    "[::ffff:127.0.0.1]",  # IPv4-mapped IPv6
    "[::ffff:169.254.169.254]",
    "[fe80::1]",  # link-local IPv6
    "[fd00::1]",  # unique local IPv6
    "[::]",
]


@pytest.mark.parametrize("host", FORBIDDEN_HOSTS)
def test_status_lists_on_non_public_addresses_are_refused(host: str) -> None:
    fetcher = HttpsStatusListFetcher(connect_timeout=1, read_timeout=1)
    with pytest.raises(StatusError) as caught:
        fetcher.fetch(f"https://{host}/status/1")
    error = caught.value
    assert error.extra["code"] == "STATUS_RETRIEVAL_ERROR"
    # refused before any connection: a non-public address, or a host that is not a valid name
    assert error.extra["reason"] in {"forbidden-address", "dns", "invalid-url"}, error.detail
    assert error.type_uri.endswith("#STATUS_RETRIEVAL_ERROR") or "status" in error.type_uri


@pytest.mark.parametrize("host", [h for h in FORBIDDEN_HOSTS if not h.startswith("[")])
def test_did_web_on_non_public_addresses_is_refused(host: str) -> None:
    """(A did:web cannot name an IPv6 literal host at all.)"""
    resolver = HttpsDidWebResolver(connect_timeout=1, read_timeout=1)
    with pytest.raises((DIDError, DIDNotFoundError)) as caught:  # an IP literal: not a did:web
        resolver.resolve(f"did:web:{host}")
    assert caught.value.extra["code"] in {"forbiddenAddress", "hostNotFound", "invalidDid"}, (
        caught.value.detail
    )


@pytest.mark.parametrize(
    "addresses",
    [["10.1.2.3"], ["93.184.215.14", "10.1.2.3"], ["::ffff:192.168.0.7"], ["169.254.169.254"]],
)
def test_a_public_name_resolving_to_a_private_address_is_refused_before_connecting(
    server: LocalServer, addresses: list[str]
) -> None:
    """DNS rebinding / internal names: any private answer refuses the whole fetch."""
    seen: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[str]:
        seen.append((host, port))
        return addresses

    fetcher = HttpsStatusListFetcher(resolve_host=resolve)
    with pytest.raises(StatusError) as caught:
        fetcher.fetch(f"https://lists.example.org:{server.port}/status/1")
    assert caught.value.extra["reason"] == "forbidden-address"
    assert "non-public address" in caught.value.detail
    resolver = HttpsDidWebResolver(resolve_host=resolve)
    with pytest.raises(DIDNotFoundError) as did_caught:
        resolver.resolve(f"did:web:issuer.example.org%3A{server.port}")
    assert did_caught.value.extra["code"] == "forbiddenAddress"
    assert seen and server.requests == []


def test_loopback_is_refused_even_when_the_server_is_there(server: LocalServer) -> None:
    server.routes["/status/1"] = _json({"not": "reached"})
    for fetch in (
        lambda: HttpsStatusListFetcher().fetch(f"https://127.0.0.1:{server.port}/status/1"),
        lambda: HttpsDidWebResolver().resolve(f"did:web:localhost%3A{server.port}"),
    ):
        with pytest.raises((StatusError, DIDNotFoundError)):
            fetch()
    assert server.requests == []


def test_plain_http_is_refused_unless_a_local_test_allows_it(server: LocalServer) -> None:
    with pytest.raises(StatusError) as caught:
        HttpsStatusListFetcher().fetch(f"{server.base}/status/1")
    assert caught.value.extra["reason"] == "scheme"
    assert server.requests == []


def test_is_public_address_unwraps_and_classifies() -> None:
    assert is_public_address("93.184.215.14")
    assert is_public_address("2606:4700:4700::1111")
    for address in ("127.0.0.1", "::ffff:10.0.0.1", "fe80::1%eth0", "100.64.0.1", "ff02::1"):
        assert not is_public_address(address), address


# --------------------------------------------------------------------------- allowed, capped


@pytest.fixture(scope="module")
def world() -> World:
    return build_world()


def _status_list(world: World, url: str) -> dict[str, Any]:
    from security_testkit import ISSUER_DID, LIST_TIME

    from microcred.status.bitstring import StatusBitstring

    unsigned = build_status_list_credential(
        url=url,
        issuer=ISSUER_DID,
        purpose="revocation",
        encoded_list=StatusBitstring(entries=131_072).encode(),
        valid_from=LIST_TIME,
    )
    return sign(world, unsigned, created=LIST_TIME)


def _local_fetcher(**kw: Any) -> HttpsStatusListFetcher:
    return HttpsStatusListFetcher(allow_private=True, allow_http=True, **kw)


def test_with_the_allow_private_switch_a_local_list_is_fetched(
    world: World, server: LocalServer
) -> None:
    url = f"{server.base}/status/1"
    server.routes["/status/1"] = _json(_status_list(world, url))
    fetched = _local_fetcher().fetch(url)
    assert fetched.document["id"] == url
    assert server.requests == ["/status/1"]


def test_redirects_are_followed_at_most_max_redirects_times(
    world: World, server: LocalServer
) -> None:
    final = f"{server.base}/final"
    server.routes["/final"] = _json(_status_list(world, final))
    for hop in range(10):
        server.routes[f"/hop/{hop}"] = _redirect_to(f"/hop/{hop + 1}")
    server.routes["/hop/2"] = _redirect_to("/final")
    assert _local_fetcher().fetch(f"{server.base}/hop/0").document["id"] == final  # 3 redirects
    server.routes["/hop/2"] = _redirect_to("/hop/3")  # now a chain of more than three
    server.requests.clear()
    with pytest.raises(StatusError) as caught:
        _local_fetcher().fetch(f"{server.base}/hop/0")
    assert caught.value.extra["reason"] == "redirects"
    assert "more than 3 redirects" in caught.value.detail
    assert server.requests == ["/hop/0", "/hop/1", "/hop/2", "/hop/3"]
    server.routes["/loop"] = _redirect_to("/loop")
    with pytest.raises(StatusError, match="redirects"):
        _local_fetcher(max_redirects=1).fetch(f"{server.base}/loop")


def test_a_redirect_to_another_scheme_is_refused(server: LocalServer) -> None:
    server.routes["/file"] = _redirect_to("file:///etc/passwd")
    server.routes["/gopher"] = _redirect_to("gopher://127.0.0.1:25/")
    for path in ("/file", "/gopher"):
        with pytest.raises(StatusError) as caught:
            _local_fetcher().fetch(f"{server.base}{path}")
        assert caught.value.extra["reason"] == "scheme"


def test_a_huge_body_is_cut_off_at_the_size_cap(server: LocalServer) -> None:
    server.routes["/declared"] = _json({"x": "a" * 300_000}, "application/json")
    server.routes["/chunked"] = _chunked(b"a" * 65_536, count=10_000)  # 655 MB if read whole
    for path in ("/declared", "/chunked"):
        with pytest.raises(StatusError) as caught:
            _local_fetcher(max_bytes=256 * 1024).fetch(f"{server.base}{path}")
        assert caught.value.extra["reason"] == "too-large", path
        assert "larger than 262144 bytes" in caught.value.detail


def test_a_did_document_larger_than_the_cap_is_refused(server: LocalServer) -> None:
    server.routes["/.well-known/did.json"] = _chunked(b"{" * 65_536, count=10_000)
    resolver = HttpsDidWebResolver(allow_private=True, scheme="http")
    with pytest.raises(DIDNotFoundError) as caught:
        resolver.resolve(f"did:web:localhost%3A{server.port}")
    assert caught.value.extra["code"] == "tooLarge"


def test_a_body_dripped_byte_by_byte_hits_the_total_time_cap(server: LocalServer) -> None:
    """Each chunk arrives well within the read timeout; only the total cap stops it."""
    server.routes["/drip"] = _chunked(b"a", count=200, pause=0.05)
    with pytest.raises(StatusError) as caught:
        _local_fetcher(read_timeout=2, total_timeout=0.5).fetch(f"{server.base}/drip")
    assert caught.value.extra["reason"] == "timeout"
    server.routes["/.well-known/did.json"] = _chunked(b" ", count=200, pause=0.05)
    resolver = HttpsDidWebResolver(
        allow_private=True, scheme="http", read_timeout=2, total_timeout=0.5
    )
    with pytest.raises(DIDNotFoundError) as did_caught:
        resolver.resolve(f"did:web:localhost%3A{server.port}")
    assert did_caught.value.extra["code"] == "timeout"


def test_a_server_that_never_answers_hits_the_read_timeout(server: LocalServer) -> None:
    def silent(request: BaseHTTPRequestHandler) -> None:
        time.sleep(3)

    server.routes["/silent"] = silent
    with pytest.raises(StatusError) as caught:
        _local_fetcher(read_timeout=0.3).fetch(f"{server.base}/silent")
    assert caught.value.extra["reason"] == "timeout"


def test_hostile_bodies_are_clear_errors(server: LocalServer) -> None:
    def raw(body: bytes, content_type: str = "application/json") -> Handler:
        def handle(request: BaseHTTPRequestHandler) -> None:
            request.send_response(200)
            request.send_header("Content-Type", content_type)
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)

        return handle

    cases = {
        "/utf8": raw(b'{"a": "\xff\xfe"}'),
        "/dup": raw(b'{"a": 1, "a": 2}'),
        "/nan": raw(b'{"a": NaN}'),
        "/deep": raw(b"[" * 50_000 + b"]" * 50_000),
        "/array": raw(b"[1, 2]"),
        "/html": raw(b"<html></html>", "text/html"),
    }
    server.routes.update(cases)
    for path in cases:
        with pytest.raises(StatusError) as caught:
            _local_fetcher().fetch(f"{server.base}{path}")
        assert caught.value.extra["reason"] in {"not-json", "media-type"}, path
