"""DID resolution: dispatch by method, in-process documents, and did:web over HTTPS.

Follows W3C DID Core v1.0 §7.1 "DID Resolution" in spirit (resolve a DID to its document; a
document whose ``id`` is not the DID is an error) and the did:web spec §3.2 "Read (Resolve)"
for the HTTPS fetch. The HTTPS resolver is hardened against hostile or broken hosts:

* connect and read timeouts, and a total time cap over every redirect and the whole body (a
  server that drips one byte at a time cannot hold a verification); at most
  ``max_redirects`` (3) redirects, https only;
* the body is streamed and the download aborted past ``max_bytes`` (also after decompression);
* the content type must be a JSON type; the body must be a JSON object without duplicate keys
  and its ``id`` must equal the DID;
* every address the host name resolves to is checked with :mod:`ipaddress`: private, loopback,
  link-local, shared, reserved, multicast and unspecified addresses are refused unless
  ``allow_private=True``. The connection then goes to the checked address itself (the URL
  carries the IP, the ``Host`` header and TLS SNI carry the name, the certificate is verified
  against the name), so a second DNS answer cannot redirect it (no DNS-rebinding window);
* proxies and other settings from the environment are ignored.
"""

from __future__ import annotations

import copy
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal
from urllib.parse import urljoin

import httpx

from microcred.did.protocols import DIDDocument, DIDResolver
from microcred.did.syntax import parse_did
from microcred.did.web import did_web_to_url
from microcred.errors import ConfigError, DIDError, DIDNotFoundError
from microcred.lexical import loads_strict_json

__all__ = [
    "DID_JSON_MEDIA_TYPES",
    "CompositeResolver",
    "FallbackResolver",
    "FetchedDocument",
    "HostedDIDResolver",
    "HttpsDidWebResolver",
    "is_public_address",
]

DID_JSON_MEDIA_TYPES: Final = frozenset(
    {"application/did+json", "application/did+ld+json", "application/json", "application/ld+json"}
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ACCEPT = "application/did+json, application/did+ld+json;q=0.9, application/json;q=0.5"


class CompositeResolver:
    """Dispatches ``resolve(did)`` to the resolver registered for the DID's method."""

    def __init__(self, resolvers: Mapping[str, DIDResolver]) -> None:
        self._resolvers = dict(resolvers)

    @property
    def methods(self) -> list[str]:
        return sorted(self._resolvers)

    def resolve(self, did: str) -> DIDDocument:
        method = parse_did(did).method
        resolver = self._resolvers.get(method)
        if resolver is None:
            raise DIDError(
                f"DID method {method!r} is not supported (supported: {', '.join(self.methods)})",
                code="methodNotSupported",
            )
        return resolver.resolve(did)


class FallbackResolver:
    """Tries resolvers in order; moves on only when one raises ``DIDNotFoundError``.

    Typical use: ``FallbackResolver([hosted, HttpsDidWebResolver()])`` for did:web, so the
    platform's own issuers resolve in-process and others over HTTPS.
    """

    def __init__(self, resolvers: Sequence[DIDResolver]) -> None:
        if not resolvers:
            raise ConfigError("FallbackResolver needs at least one resolver")
        self._resolvers = list(resolvers)

    def resolve(self, did: str) -> DIDDocument:
        last: DIDNotFoundError | None = None
        for resolver in self._resolvers:
            try:
                return resolver.resolve(did)
            except DIDNotFoundError as exc:
                last = exc
        assert last is not None
        raise last


class HostedDIDResolver:
    """Resolves DIDs whose documents the platform holds itself (``{did: document}``).

    The mapping may be live (e.g. backed by the database); a deep copy is returned each time so
    callers cannot alter the hosted document.
    """

    def __init__(self, documents: Mapping[str, DIDDocument]) -> None:
        self._documents = documents

    def resolve(self, did: str) -> DIDDocument:
        parse_did(did)
        document = self._documents.get(did)
        if document is None:
            raise DIDNotFoundError(f"{did} is not hosted here", code="notFound")
        if document.get("id") != did:
            raise DIDNotFoundError(
                f"the hosted document for {did} has id {document.get('id')!r}",
                code="invalidDidDocument",
            )
        return copy.deepcopy(document)


@dataclass(frozen=True, slots=True)
class FetchedDocument:
    """What a fetch returned: the final URL, its media type and the raw body."""

    url: str
    content_type: str
    body: bytes


Fetch = Callable[[str], FetchedDocument]
HostResolver = Callable[[str, int], Sequence[str]]


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast IP address (IPv4-mapped IPv6 is unwrapped)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _system_resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in seen:
            seen.append(address)
    return seen


def _fail(did: str, why: str, code: str = "notFound") -> DIDNotFoundError:
    return DIDNotFoundError(f"cannot resolve {did}: {why}", code=code)


class HttpsDidWebResolver:
    """Resolves did:web DIDs by fetching ``did.json`` over HTTPS.

    :param fetch: replaces the whole network layer (``url -> FetchedDocument``); the document
        checks (content type, JSON, ``id``) still apply. By default an httpx-based fetch with
        the protections listed in the module docstring is used.
    :param allow_private: allow private/loopback/link-local targets (tests, intranets).
    :param scheme: ``"http"`` is for tests against a local server only and therefore requires
        ``allow_private=True``.
    :param resolve_host: ``(host, port) -> [ip, ...]``; defaults to the system resolver.
    :param ssl_context: TLS settings (e.g. a private CA); defaults to the certifi CA bundle with
        hostname verification.
    :param total_timeout: seconds one resolution (every redirect, the whole body) may take.
    """

    def __init__(
        self,
        fetch: Fetch | None = None,
        *,
        allow_private: bool = False,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        max_bytes: int = 256 * 1024,
        max_redirects: int = 3,
        scheme: Literal["https", "http"] = "https",
        resolve_host: HostResolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
        user_agent: str = "microcred-did-resolver/1",
        total_timeout: float = 30.0,
    ) -> None:
        if scheme not in ("https", "http"):
            raise ConfigError(f"unsupported scheme {scheme!r}")
        if scheme == "http" and not allow_private:
            raise ConfigError("plain http did:web resolution is for local tests only")
        if (
            max_bytes <= 0
            or max_redirects < 0
            or connect_timeout <= 0
            or read_timeout <= 0
            or total_timeout <= 0
        ):
            raise ConfigError("timeouts and max_bytes must be positive, max_redirects >= 0")
        self._total_timeout = total_timeout
        self._scheme = scheme
        self._allow_private = allow_private
        self._timeout = httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout
        )
        self._max_bytes = max_bytes
        self._max_redirects = max_redirects
        self._resolve_host: HostResolver = resolve_host or _system_resolve
        self._user_agent = user_agent
        self._fetch: Fetch = fetch or self._fetch_over_http
        self._ssl_context: ssl.SSLContext | None = ssl_context

    def resolve(self, did: str) -> DIDDocument:
        url = did_web_to_url(did, scheme=self._scheme)
        fetched = self._fetch(url)
        media_type = fetched.content_type.split(";", 1)[0].strip().lower()
        if media_type not in DID_JSON_MEDIA_TYPES:
            raise _fail(
                did,
                f"{fetched.url} was served as {media_type or 'no content type'!r}, "
                "not as application/did+json or another JSON type",
                "invalidDidDocument",
            )
        document = _parse_json_object(fetched.body, did, fetched.url)
        if document.get("id") != did:
            raise _fail(
                did,
                f"the document at {fetched.url} has id {document.get('id')!r}, "
                "not the DID that was resolved",
                "invalidDidDocument",
            )
        return document

    # ----------------------------------------------------------------- network layer

    def _fetch_over_http(self, url: str) -> FetchedDocument:
        if self._ssl_context is None:  # loading the CA bundle costs ~0.1 s: do it once
            self._ssl_context = httpx.create_ssl_context()
        with httpx.Client(
            verify=self._ssl_context,
            timeout=self._timeout,
            follow_redirects=False,
            trust_env=False,
            headers={"Accept": _ACCEPT, "User-Agent": self._user_agent},
        ) as client:
            deadline = time.monotonic() + self._total_timeout
            for _ in range(self._max_redirects + 1):
                response_or_next = self._fetch_once(client, url, deadline)
                if isinstance(response_or_next, FetchedDocument):
                    return response_or_next
                url = response_or_next
        raise _fail(url, f"more than {self._max_redirects} redirects", "tooManyRedirects")

    def _checked_addresses(self, url: httpx.URL) -> list[str]:
        host = url.host
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            addresses = list(self._resolve_host(host, port))
        except (OSError, UnicodeError) as exc:
            raise _fail(str(url), f"cannot resolve host {host!r}: {exc}", "hostNotFound") from exc
        if not addresses:
            raise _fail(str(url), f"host {host!r} has no address", "hostNotFound")
        if not self._allow_private:
            for address in addresses:
                try:
                    public = is_public_address(address)
                except ValueError:
                    public = False
                if not public:
                    raise _fail(
                        str(url),
                        f"host {host!r} resolves to the non-public address {address}; "
                        "refusing to connect (allow_private=False)",
                        "forbiddenAddress",
                    )
        return addresses

    def _fetch_once(self, client: httpx.Client, url: str, deadline: float) -> FetchedDocument | str:
        try:
            target = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise _fail(url, f"invalid URL: {exc}", "invalidUrl") from exc
        if target.scheme != self._scheme:
            raise _fail(url, f"refusing a {target.scheme!r} URL (only {self._scheme})")
        if target.userinfo:
            raise _fail(url, "URLs with user info are refused")
        host_header = target.host if target.port is None else f"{target.host}:{target.port}"
        extensions: dict[str, Any] = {}
        if target.scheme == "https":
            extensions["sni_hostname"] = target.host
        last_error: Exception | None = None
        for address in self._checked_addresses(target):
            pinned = target.copy_with(host=address)
            try:
                with client.stream(
                    "GET", pinned, headers={"Host": host_header}, extensions=extensions
                ) as response:
                    return self._read_response(response, url, deadline)
            except httpx.ConnectError as exc:
                last_error = exc  # try the next address
            except httpx.TimeoutException as exc:
                raise _fail(url, "the server did not answer in time", "timeout") from exc
            except httpx.HTTPError as exc:
                raise _fail(url, f"HTTP error: {exc}", "networkError") from exc
        raise _fail(url, f"cannot connect: {last_error}", "networkError") from last_error

    def _read_response(
        self, response: httpx.Response, url: str, deadline: float
    ) -> FetchedDocument | str:
        if response.status_code in _REDIRECTS:
            location = str(response.headers.get("location", ""))
            if not location:
                raise _fail(url, f"HTTP {response.status_code} without a Location header")
            return urljoin(url, location)
        if response.status_code != 200:
            raise _fail(url, f"HTTP status {response.status_code}", "notFound")
        declared = response.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self._max_bytes:
            raise _fail(url, f"the document is larger than {self._max_bytes} bytes", "tooLarge")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self._max_bytes:
                raise _fail(url, f"the document is larger than {self._max_bytes} bytes", "tooLarge")
            if time.monotonic() > deadline:
                raise _fail(
                    url,
                    f"the server took longer than {self._total_timeout:g} seconds to send it",
                    "timeout",
                )
            chunks.append(chunk)
        return FetchedDocument(
            url=url,
            content_type=response.headers.get("content-type", ""),
            body=b"".join(chunks),
        )

    def __repr__(self) -> str:
        return (
            f"HttpsDidWebResolver(scheme={self._scheme!r}, allow_private={self._allow_private}, "
            f"max_bytes={self._max_bytes}, max_redirects={self._max_redirects})"
        )


def _parse_json_object(body: bytes, did: str, url: str) -> dict[str, Any]:
    try:
        value = loads_strict_json(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _fail(
            did, f"the document at {url} is not valid JSON: {exc}", "invalidDidDocument"
        ) from exc
    if not isinstance(value, dict):
        raise _fail(did, f"the document at {url} is not a JSON object", "invalidDidDocument")
    return value
