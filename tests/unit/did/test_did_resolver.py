"""Resolvers: composite dispatch, hosted documents, and did:web over a local HTTP server.

The HTTP tests talk only to 127.0.0.1 (a threading ``http.server``); the resolver runs with
``allow_private=True`` and the test-only ``http`` scheme. Nothing reaches the internet: every
other case is refused before connecting, or uses an injected host resolver / fetch.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from microcred.did.key import DidKeyResolver, resolve_did_key
from microcred.did.resolver import (
    CompositeResolver,
    FallbackResolver,
    FetchedDocument,
    HostedDIDResolver,
    HttpsDidWebResolver,
    is_public_address,
)
from microcred.errors import ConfigError, DIDError, DIDNotFoundError

DID_KEY = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    wait: threading.Event | None = None


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.requests.append((self.path, self.headers.get("Host")))
        route = self.server.routes.get(self.path, Route(404, b"not found"))
        if route.wait is not None:
            route.wait.wait(5)
        self.send_response(route.status)
        for name, value in route.headers.items():
            self.send_header(name, value)
        if "Content-Length" not in route.headers and "X-No-Length" not in route.headers:
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
        self.requests: list[tuple[str, str | None]] = []

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def did(self, *path: str) -> str:
        return ":".join([f"did:web:localhost%3A{self.port}", *path])

    def serve_doc(
        self, url_path: str, document: object, content_type: str = "application/did+json"
    ) -> None:
        self.routes[url_path] = Route(
            body=json.dumps(document).encode(), headers={"Content-Type": content_type}
        )


@pytest.fixture(scope="module")
def _running_server() -> Iterator[_Server]:
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(5)


@pytest.fixture
def server(_running_server: _Server) -> _Server:
    _running_server.routes.clear()
    _running_server.requests.clear()
    return _running_server


def _local(**kwargs: object) -> HttpsDidWebResolver:
    options: dict[str, object] = {
        "allow_private": True,
        "scheme": "http",
        "resolve_host": lambda host, port: ["127.0.0.1"],
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
    }
    options.update(kwargs)
    return HttpsDidWebResolver(**options)  # type: ignore[arg-type]


def _doc(did: str) -> dict[str, object]:
    return {"@context": ["https://www.w3.org/ns/did/v1"], "id": did, "verificationMethod": []}


# ------------------------------------------------------------------ happy paths


def test_resolves_bare_domain_from_well_known(server: _Server) -> None:
    did = server.did()
    server.serve_doc("/.well-known/did.json", _doc(did))
    assert _local().resolve(did) == _doc(did)
    assert server.requests == [("/.well-known/did.json", f"localhost:{server.port}")]


def test_resolves_path_did_with_system_host_resolver(server: _Server) -> None:
    did = server.did("issuers", "acme")
    server.serve_doc("/issuers/acme/did.json", _doc(did), "application/json; charset=utf-8")
    resolver = HttpsDidWebResolver(allow_private=True, scheme="http")
    assert resolver.resolve(did)["id"] == did


def test_follows_up_to_three_redirects(server: _Server) -> None:
    did = server.did("a")
    server.routes["/a/did.json"] = Route(302, headers={"Location": "/b/did.json"})
    server.routes["/b/did.json"] = Route(
        301, headers={"Location": f"http://localhost:{server.port}/c/did.json"}
    )
    server.routes["/c/did.json"] = Route(307, headers={"Location": "/d/did.json"})
    server.serve_doc("/d/did.json", _doc(did))
    assert _local().resolve(did)["id"] == did
    assert [p for p, _ in server.requests] == [
        "/a/did.json",
        "/b/did.json",
        "/c/did.json",
        "/d/did.json",
    ]


def test_gzip_encoded_document(server: _Server) -> None:
    did = server.did()
    server.routes["/.well-known/did.json"] = Route(
        body=gzip.compress(json.dumps(_doc(did)).encode()),
        headers={"Content-Type": "application/did+ld+json", "Content-Encoding": "gzip"},
    )
    assert _local().resolve(did)["id"] == did


# ------------------------------------------------------------------ refusals


def _code(exc: pytest.ExceptionInfo[DIDNotFoundError]) -> str:
    return str(exc.value.extra.get("code"))


def test_too_many_redirects(server: _Server) -> None:
    did = server.did("loop")
    for i in range(5):
        server.routes[f"/r{i}/did.json"] = Route(302, headers={"Location": f"/r{i + 1}/did.json"})
    server.routes["/loop/did.json"] = Route(302, headers={"Location": "/r0/did.json"})
    with pytest.raises(DIDNotFoundError, match="more than 3 redirects") as info:
        _local().resolve(did)
    assert _code(info) == "tooManyRedirects"
    assert len(server.requests) == 4


def test_redirect_to_another_scheme_is_refused(server: _Server) -> None:
    did = server.did()
    server.routes["/.well-known/did.json"] = Route(302, headers={"Location": "file:///etc/passwd"})
    with pytest.raises(DIDNotFoundError, match="refusing a 'file' URL"):
        _local().resolve(did)


def test_size_cap_with_content_length(server: _Server) -> None:
    did = server.did()
    server.routes["/.well-known/did.json"] = Route(
        body=b" " * 5000, headers={"Content-Type": "application/json"}
    )
    with pytest.raises(DIDNotFoundError, match="larger than 1000 bytes") as info:
        _local(max_bytes=1000).resolve(did)
    assert _code(info) == "tooLarge"


def test_size_cap_while_streaming_without_length(server: _Server) -> None:
    did = server.did()
    server.routes["/.well-known/did.json"] = Route(
        body=b"[" + b"0," * 200_000 + b"0]",
        headers={"Content-Type": "application/json", "X-No-Length": "1", "Connection": "close"},
    )
    with pytest.raises(DIDNotFoundError, match="larger than") as info:
        _local(max_bytes=10_000).resolve(did)
    assert _code(info) == "tooLarge"


def test_size_cap_applies_after_decompression(server: _Server) -> None:
    did = server.did()
    bomb = gzip.compress(b" " * 5_000_000)
    assert len(bomb) < 10_000
    server.routes["/.well-known/did.json"] = Route(
        body=bomb, headers={"Content-Type": "application/json", "Content-Encoding": "gzip"}
    )
    with pytest.raises(DIDNotFoundError, match="larger than"):
        _local(max_bytes=64_000).resolve(did)


def test_read_timeout(server: _Server) -> None:
    did = server.did()
    gate = threading.Event()
    server.routes["/.well-known/did.json"] = Route(body=b"{}", wait=gate)
    try:
        with pytest.raises(DIDNotFoundError, match="did not answer in time") as info:
            _local(read_timeout=0.2).resolve(did)
        assert _code(info) == "timeout"
    finally:
        gate.set()


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        (Route(404, b"nope"), "HTTP status 404"),
        (Route(500, b"boom"), "HTTP status 500"),
        (
            Route(body=b"<html></html>", headers={"Content-Type": "text/html"}),
            "served as 'text/html'",
        ),
        (Route(body=b"{}", headers={}), "no content type"),
        (Route(body=b"{not json", headers={"Content-Type": "application/json"}), "not valid JSON"),
        (Route(body=b"[1, 2]", headers={"Content-Type": "application/json"}), "not a JSON object"),
        (
            Route(body=b'{"id": NaN}', headers={"Content-Type": "application/json"}),
            "not valid JSON",
        ),
        (Route(body=b"\xff\xfe", headers={"Content-Type": "application/json"}), "not valid JSON"),
    ],
)
def test_bad_responses(server: _Server, route: Route, reason: str) -> None:
    server.routes["/.well-known/did.json"] = route
    with pytest.raises(DIDNotFoundError, match=reason):
        _local().resolve(server.did())


def test_document_id_must_equal_the_did(server: _Server) -> None:
    server.serve_doc("/.well-known/did.json", _doc("did:web:attacker.example"))
    with pytest.raises(DIDNotFoundError, match="has id 'did:web:attacker.example'") as info:
        _local().resolve(server.did())
    assert _code(info) == "invalidDidDocument"


def test_duplicate_keys_are_refused(server: _Server) -> None:
    did = server.did()
    body = f'{{"id": "{did}", "id": "did:web:other.example"}}'.encode()
    server.routes["/.well-known/did.json"] = Route(
        body=body, headers={"Content-Type": "application/json"}
    )
    with pytest.raises(DIDNotFoundError, match="duplicate key 'id'"):
        _local().resolve(did)


def test_loopback_is_refused_by_default(server: _Server) -> None:
    server.serve_doc("/.well-known/did.json", _doc(server.did()))
    with pytest.raises(DIDNotFoundError, match="non-public address") as info:
        HttpsDidWebResolver().resolve(server.did())
    assert _code(info) == "forbiddenAddress"
    assert server.requests == []


@pytest.mark.parametrize(
    "address",
    [
        "10.1.2.3",
        "192.168.0.1",
        "172.16.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
        "240.0.0.1",
    ],
)
def test_private_addresses_are_refused_before_connecting(address: str) -> None:
    resolver = HttpsDidWebResolver(resolve_host=lambda host, port: ["93.184.216.34", address][1:])
    with pytest.raises(DIDNotFoundError, match=f"non-public address {address}"):
        resolver.resolve("did:web:issuer.example")


def test_any_private_address_among_several_is_refused() -> None:
    # a host that resolves to one public and one private address is refused outright
    resolver = HttpsDidWebResolver(resolve_host=lambda host, port: ["8.8.8.8", "10.0.0.1"])
    with pytest.raises(DIDNotFoundError, match="10.0.0.1"):
        resolver.resolve("did:web:issuer.example")


def test_unresolvable_host() -> None:
    def fail(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    with pytest.raises(DIDNotFoundError, match="cannot resolve host") as info:
        HttpsDidWebResolver(resolve_host=fail).resolve("did:web:issuer.example")
    assert _code(info) == "hostNotFound"


def test_is_public_address() -> None:
    assert is_public_address("93.184.216.34")
    assert is_public_address("2606:2800:220:1:248:1893:25c8:1946")
    assert not is_public_address("127.0.0.1")
    assert not is_public_address("::ffff:10.0.0.1")


def test_http_scheme_needs_allow_private() -> None:
    with pytest.raises(ConfigError, match="local tests only"):
        HttpsDidWebResolver(scheme="http")
    with pytest.raises(ConfigError):
        HttpsDidWebResolver(max_bytes=0)


def test_injected_fetch_still_gets_document_checks() -> None:
    did = "did:web:issuer.example"
    seen: list[str] = []

    def fetch(url: str) -> FetchedDocument:
        seen.append(url)
        return FetchedDocument(url, "application/did+json", json.dumps(_doc(did)).encode())

    assert HttpsDidWebResolver(fetch).resolve(did)["id"] == did
    assert seen == ["https://issuer.example/.well-known/did.json"]
    bad = HttpsDidWebResolver(lambda url: FetchedDocument(url, "text/plain", b"{}"))
    with pytest.raises(DIDNotFoundError, match="text/plain"):
        bad.resolve(did)


def test_malformed_did_web_is_a_did_error() -> None:
    with pytest.raises(DIDError):
        HttpsDidWebResolver().resolve("did:web:127.0.0.1")


# ------------------------------------------------------------------ composite / hosted


def test_composite_dispatches_by_method() -> None:
    hosted_did = "did:web:example.edu:issuers:acme"
    composite = CompositeResolver(
        {"key": DidKeyResolver(), "web": HostedDIDResolver({hosted_did: _doc(hosted_did)})}
    )
    assert composite.resolve(DID_KEY) == resolve_did_key(DID_KEY)
    assert composite.resolve(hosted_did)["id"] == hosted_did
    with pytest.raises(DIDError, match="'ion' is not supported") as info:
        composite.resolve("did:ion:abc")
    assert info.value.extra["code"] == "methodNotSupported"
    with pytest.raises(DIDError):
        composite.resolve("not-a-did")


def test_hosted_resolver_returns_copies_and_checks_ids() -> None:
    did = "did:web:example.edu"
    documents = {did: _doc(did), "did:web:other.edu": _doc(did)}
    hosted = HostedDIDResolver(documents)
    first = hosted.resolve(did)
    first["id"] = "tampered"
    assert hosted.resolve(did)["id"] == did
    with pytest.raises(DIDNotFoundError, match="not hosted here"):
        hosted.resolve("did:web:missing.edu")
    with pytest.raises(DIDNotFoundError, match="has id"):
        hosted.resolve("did:web:other.edu")


def test_fallback_tries_the_next_resolver_only_on_not_found(server: _Server) -> None:
    hosted_did = "did:web:example.edu"
    remote_did = server.did()
    server.serve_doc("/.well-known/did.json", _doc(remote_did))
    chain = FallbackResolver([HostedDIDResolver({hosted_did: _doc(hosted_did)}), _local()])
    assert chain.resolve(hosted_did)["id"] == hosted_did
    assert chain.resolve(remote_did)["id"] == remote_did
    assert [p for p, _ in server.requests] == ["/.well-known/did.json"]
    with pytest.raises(DIDError):  # not a NotFound: no fallback, the DID itself is bad
        chain.resolve("did:web:127.0.0.1")
    with pytest.raises(ConfigError):
        FallbackResolver([])
