"""Status list fetchers: in-process, HTTPS, and a cache in front of either.

All three implement :class:`~microcred.status.protocols.StatusListFetcher` (W3C *Bitstring
Status List v1.0* §3.2 step 4: dereference ``statusListCredential``; failure is a
``STATUS_RETRIEVAL_ERROR``).

* :class:`LocalStatusListFetcher` asks a callable for the lists the platform publishes itself
  (no network; a revocation is visible at once) and hands other URLs to a fallback.
* :class:`HttpsStatusListFetcher` fetches anyone's list over HTTPS, hardened like the did:web
  resolver (:mod:`microcred.did.resolver`): connect/read timeouts, a size cap on the streamed
  body, a total time cap over all redirects and the whole download (a server that drips one
  byte at a time never holds a verification), at most ``max_redirects`` (3) redirects each
  re-checked, no proxies from the
  environment, and every address the host resolves to checked with
  :func:`~microcred.did.resolver.is_public_address` — private, loopback, link-local, shared,
  reserved and multicast addresses are refused unless ``allow_private=True``. The connection
  goes to the checked address itself (the ``Host`` header and TLS SNI carry the name), so a
  second DNS answer cannot redirect it.
* :class:`CachingStatusListFetcher` keeps lists for the shortest of: the configured TTL, the
  list's own ``ttl`` (§2.2, milliseconds) and the source's ``Cache-Control: max-age``
  (``no-store``/``no-cache`` mean "do not keep"). Verifiers SHOULD cache lists (§3.2, note
  after the algorithm; §6.3 "Verifier Caching"): it also hides from the issuer how often a
  credential is checked.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import urljoin

import httpx

from microcred.clock import Clock
from microcred.did.resolver import is_public_address
from microcred.errors import ConfigError, StatusError
from microcred.status.bitstring import RETRIEVAL_ERROR
from microcred.status.protocols import FetchedStatusList, StatusListFetcher

__all__ = [
    "STATUS_LIST_MEDIA_TYPES",
    "CachingStatusListFetcher",
    "HttpsStatusListFetcher",
    "LocalStatusListFetcher",
    "parse_cache_control",
    "retrieval_error",
]

#: Media types a Data Integrity secured list may be served as (§4 "Media Types").
STATUS_LIST_MEDIA_TYPES: Final = frozenset(
    {
        "application/vc",
        "application/vc+ld+json",
        "application/vc+json",
        "application/ld+json",
        "application/json",
    }
)
_ACCEPT = (
    "application/vc, application/vc+ld+json;q=0.9, application/ld+json;q=0.8, "
    "application/json;q=0.5"
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

HostResolver = Callable[[str, int], Sequence[str]]


def retrieval_error(url: str, why: str, reason: str = "unavailable") -> StatusError:
    """A ``STATUS_RETRIEVAL_ERROR`` for ``url`` with a plain explanation."""
    return StatusError(
        f"the status list {url[:300]} could not be fetched: {why}",
        type_uri=RETRIEVAL_ERROR,
        code="STATUS_RETRIEVAL_ERROR",
        reason=reason,
        url=url[:2048],
    )


def parse_cache_control(value: str | None) -> float | None:
    """Seconds a response may be cached: ``max-age``; ``0`` for ``no-store``/``no-cache``;
    ``None`` when the header says neither."""
    if not value:
        return None
    max_age: float | None = None
    for part in value.split(","):
        name, _, argument = part.strip().partition("=")
        name = name.strip().lower()
        if name in ("no-store", "no-cache"):
            return 0.0
        if name == "max-age":
            text = argument.strip().strip('"')
            if text.isdigit():
                max_age = float(int(text))
    return max_age


# --------------------------------------------------------------------------- in-process


class LocalStatusListFetcher:
    """The platform's own lists, straight from where they are stored.

    ``lookup(url)`` returns the signed list credential published at ``url`` or ``None`` when the
    URL is not one of ours; then ``fallback`` (e.g. :class:`HttpsStatusListFetcher`) is asked,
    or a ``STATUS_RETRIEVAL_ERROR`` raised. ``max_age`` is what the cache may keep these for
    (``0`` by default: in-process reads are cheap and a revocation shows at once).
    """

    def __init__(
        self,
        lookup: Callable[[str], Mapping[str, Any] | None],
        *,
        fallback: StatusListFetcher | None = None,
        max_age: float | None = 0.0,
    ) -> None:
        self._lookup = lookup
        self._fallback = fallback
        self._max_age = max_age

    def fetch(self, url: str) -> FetchedStatusList:
        document = self._lookup(url)
        if document is not None:
            return FetchedStatusList(url=url, document=document, max_age=self._max_age)
        if self._fallback is not None:
            return self._fallback.fetch(url)
        raise retrieval_error(
            url,
            "it is not published by this platform, and fetching lists of other issuers over "
            "the network is turned off",
            "not-local",
        )


# --------------------------------------------------------------------------- HTTPS


def _system_resolve(host: str, port: int) -> list[str]:
    seen: list[str] = []
    for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = str(info[4][0])
        if address not in seen:
            seen.append(address)
    return seen


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


@dataclass(frozen=True, slots=True)
class _Response:
    url: str
    content_type: str
    cache_control: str | None
    body: bytes


class HttpsStatusListFetcher:
    """Fetches status list credentials over HTTPS (see the module docstring).

    :param allow_private: allow private/loopback/link-local targets (tests, intranets).
    :param allow_http: also accept ``http://`` URLs; only together with ``allow_private``
        (a local test server).
    :param max_bytes: largest body accepted (a 131,072-entry list is under 25 KB even when
        every bit is random).
    :param total_timeout: seconds the whole fetch (every redirect, the whole body) may take;
        ``read_timeout`` alone bounds each read, not a body dripped byte by byte.
    :param resolve_host: ``(host, port) -> [ip, ...]``; the system resolver by default.
    :param ssl_context: TLS settings; the certifi CA bundle with hostname checks by default.
    """

    def __init__(
        self,
        *,
        allow_private: bool = False,
        allow_http: bool = False,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        max_bytes: int = 1024 * 1024,
        max_redirects: int = 3,
        resolve_host: HostResolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
        user_agent: str = "microcred-status-list/1",
        total_timeout: float = 30.0,
    ) -> None:
        if allow_http and not allow_private:
            raise ConfigError("plain http status lists are for local tests only")
        if (
            max_bytes <= 0
            or max_redirects < 0
            or connect_timeout <= 0
            or read_timeout <= 0
            or total_timeout <= 0
        ):
            raise ConfigError("timeouts and max_bytes must be positive, max_redirects >= 0")
        self._total_timeout = total_timeout
        self._allow_private = allow_private
        self._schemes = ("https", "http") if allow_http else ("https",)
        self._timeout = httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout
        )
        self._max_bytes = max_bytes
        self._max_redirects = max_redirects
        self._resolve_host: HostResolver = resolve_host or _system_resolve
        self._ssl_context = ssl_context
        self._user_agent = user_agent

    def __repr__(self) -> str:
        return (
            f"HttpsStatusListFetcher(allow_private={self._allow_private}, "
            f"schemes={self._schemes}, max_bytes={self._max_bytes}, "
            f"max_redirects={self._max_redirects})"
        )

    def fetch(self, url: str) -> FetchedStatusList:
        response = self._get(url)
        media_type = response.content_type.split(";", 1)[0].strip().lower()
        if media_type not in STATUS_LIST_MEDIA_TYPES:
            raise retrieval_error(
                url,
                f"it was served as {media_type or 'no content type'!r}, not as a JSON "
                "verifiable credential (application/vc or application/ld+json)",
                "media-type",
            )
        try:
            value = json.loads(
                response.body.decode("utf-8"),
                object_pairs_hook=_reject_duplicates,
                parse_constant=_reject_constant,
            )
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise retrieval_error(url, f"it is not valid JSON ({exc})", "not-json") from None
        if not isinstance(value, dict):
            raise retrieval_error(url, "it is not a JSON object", "not-json")
        return FetchedStatusList(
            url=url, document=value, max_age=parse_cache_control(response.cache_control)
        )

    # ----------------------------------------------------------------- network

    def _get(self, url: str) -> _Response:
        if self._ssl_context is None:
            self._ssl_context = httpx.create_ssl_context()
        with httpx.Client(
            verify=self._ssl_context,
            timeout=self._timeout,
            follow_redirects=False,
            trust_env=False,
            headers={"Accept": _ACCEPT, "User-Agent": self._user_agent},
        ) as client:
            current = url
            deadline = time.monotonic() + self._total_timeout
            for _ in range(self._max_redirects + 1):
                result = self._get_once(client, url, current, deadline)
                if isinstance(result, _Response):
                    return result
                current = result
        raise retrieval_error(url, f"more than {self._max_redirects} redirects", "redirects")

    def _addresses(self, original: str, target: httpx.URL) -> list[str]:
        host = target.host
        port = target.port or (443 if target.scheme == "https" else 80)
        try:
            addresses = list(self._resolve_host(host, port))
        except (OSError, UnicodeError) as exc:
            raise retrieval_error(
                original, f"the host {host!r} is unknown ({exc})", "dns"
            ) from None
        if not addresses:
            raise retrieval_error(original, f"the host {host!r} has no address", "dns")
        if not self._allow_private:
            for address in addresses:
                try:
                    public = is_public_address(address)
                except ValueError:
                    public = False
                if not public:
                    raise retrieval_error(
                        original,
                        f"the host {host!r} resolves to the non-public address {address}; "
                        "refusing to connect (private addresses are not allowed)",
                        "forbidden-address",
                    )
        return addresses

    def _get_once(
        self, client: httpx.Client, original: str, url: str, deadline: float
    ) -> _Response | str:
        try:
            target = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise retrieval_error(original, f"invalid URL ({exc})", "invalid-url") from None
        if target.scheme not in self._schemes:
            raise retrieval_error(
                original, f"refusing a {target.scheme or 'relative'!r} URL", "scheme"
            )
        if target.userinfo:
            raise retrieval_error(original, "URLs with user info are refused", "invalid-url")
        if not target.host:
            raise retrieval_error(original, "the URL has no host", "invalid-url")
        host_header = target.host if target.port is None else f"{target.host}:{target.port}"
        extensions: dict[str, Any] = {}
        if target.scheme == "https":
            extensions["sni_hostname"] = target.host
        last_error: Exception | None = None
        for address in self._addresses(original, target):
            pinned = target.copy_with(host=address)
            try:
                with client.stream(
                    "GET", pinned, headers={"Host": host_header}, extensions=extensions
                ) as response:
                    return self._read(response, original, url, deadline)
            except httpx.ConnectError as exc:
                last_error = exc
            except httpx.TimeoutException:
                raise retrieval_error(
                    original, "the server did not answer in time", "timeout"
                ) from None
            except httpx.HTTPError as exc:
                raise retrieval_error(original, f"HTTP error ({exc})", "network") from None
        raise retrieval_error(original, f"cannot connect ({last_error})", "network")

    def _read(
        self, response: httpx.Response, original: str, url: str, deadline: float
    ) -> _Response | str:
        if response.status_code in _REDIRECTS:
            location = str(response.headers.get("location", ""))
            if not location:
                raise retrieval_error(
                    original, f"HTTP {response.status_code} without a Location", "redirects"
                )
            return urljoin(url, location)
        if response.status_code != 200:
            raise retrieval_error(
                original, f"the server answered HTTP {response.status_code}", "http-status"
            )
        declared = response.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self._max_bytes:
            raise retrieval_error(
                original, f"it is larger than {self._max_bytes} bytes", "too-large"
            )
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self._max_bytes:
                raise retrieval_error(
                    original, f"it is larger than {self._max_bytes} bytes", "too-large"
                )
            if time.monotonic() > deadline:
                raise retrieval_error(
                    original,
                    f"the server took longer than {self._total_timeout:g} seconds to send it",
                    "timeout",
                )
            chunks.append(chunk)
        return _Response(
            url=url,
            content_type=response.headers.get("content-type", ""),
            cache_control=response.headers.get("cache-control"),
            body=b"".join(chunks),
        )


# --------------------------------------------------------------------------- cache


def _list_ttl_seconds(document: Mapping[str, Any]) -> float | None:
    subject = document.get("credentialSubject")
    if isinstance(subject, list) and len(subject) == 1:
        subject = subject[0]
    if not isinstance(subject, Mapping):
        return None
    ttl = subject.get("ttl")
    if isinstance(ttl, int) and not isinstance(ttl, bool) and ttl >= 0:
        return ttl / 1000.0
    return None


class CachingStatusListFetcher:
    """Keeps fetched lists in memory (thread-safe, least recently used evicted first).

    A list is kept for ``min(ttl, list ttl, Cache-Control max-age)``: the configured ``ttl``
    bounds how stale a verdict can be; an issuer that asks for less gets less. Failures are not
    cached.
    """

    def __init__(
        self,
        inner: StatusListFetcher,
        clock: Clock,
        *,
        ttl: timedelta = timedelta(minutes=5),
        max_entries: int = 256,
    ) -> None:
        if ttl < timedelta(0) or max_entries <= 0:
            raise ConfigError("the status list cache needs ttl >= 0 and max_entries > 0")
        self._inner = inner
        self._clock = clock
        self._ttl = ttl.total_seconds()
        self._max_entries = max_entries
        self._entries: OrderedDict[str, tuple[datetime, FetchedStatusList]] = OrderedDict()
        self._lock = threading.Lock()

    def lifetime(self, fetched: FetchedStatusList) -> float:
        """Seconds ``fetched`` may be served from the cache."""
        limits = [self._ttl]
        if fetched.max_age is not None:
            limits.append(fetched.max_age)
        list_ttl = _list_ttl_seconds(fetched.document)
        if list_ttl is not None:
            limits.append(list_ttl)
        return max(0.0, min(limits))

    def fetch(self, url: str) -> FetchedStatusList:
        now = self._clock.now()
        with self._lock:
            cached = self._entries.get(url)
            if cached is not None:
                expires, fetched = cached
                if now < expires:
                    self._entries.move_to_end(url)
                    return fetched
                del self._entries[url]
        fetched = self._inner.fetch(url)
        lifetime = self.lifetime(fetched)
        if lifetime > 0:
            with self._lock:
                self._entries[url] = (now + timedelta(seconds=lifetime), fetched)
                self._entries.move_to_end(url)
                while len(self._entries) > self._max_entries:
                    self._entries.popitem(last=False)
        return fetched

    def invalidate(self, url: str | None = None) -> None:
        """Forget one list (or all)."""
        with self._lock:
            if url is None:
                self._entries.clear()
            else:
                self._entries.pop(url, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
