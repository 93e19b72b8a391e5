"""In-process read caches for verification, kept true by the database's epoch token.

Verifying one of the platform's own credentials used to read the issuer's own data through
an ORM session several times per request: its did:web DID document (for the proof, each
status list's proof and the anchor check's key-revocation question) and each stored status
list credential. Those change rarely (a key rotation or compromise, a revocation) but must
show at once, in every server process. So:

* :class:`Epoch` reads the epoch token (``cache_epochs``, changed by database triggers on
  every such write: :mod:`microcred.storage.epoch`) **once per verification** — the first
  cache that asks pins it for the rest of that verification (a context variable) — and
  every cached value is used only under the token it was made under;
* :class:`EpochMemo` is the bounded, thread-safe store those values live in;
* :class:`CachedDIDResolver` keeps resolved documents of the DIDs the platform hosts
  (and "not hosted here" answers), returning a copy each time.

The status list credentials are kept by :class:`~microcred.status.fetchers.LocalStatusListFetcher`
under the same token, and whole verification reports by
:class:`~microcred.services.verifier.PlatformVerifier` (token + a short time bound). When the
triggers are missing (a database migrated by hand, a rebuilt SQLite table) the epoch reports
``None`` and nothing is cached.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Any, Generic, TypeVar

from microcred.did.protocols import DIDDocument, DIDResolver
from microcred.errors import DIDNotFoundError, MicrocredError
from microcred.services.sharing import SharedCredential, SharingService
from microcred.status.fetchers import LocalStatusListFetcher
from microcred.status.protocols import FetchedStatusList, StatusListFetcher
from microcred.storage.epoch import EPOCH_ID, PAGES_ID, EpochReader

__all__ = [
    "CachedDIDResolver",
    "Epoch",
    "EpochMemo",
    "EpochSharing",
    "EpochStatusLists",
    "copy_json",
]

_log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_UNSET: Any = object()


def copy_json(value: Any) -> Any:
    """A deep copy of a JSON tree (dicts, lists, scalars): several times faster than
    ``copy.deepcopy`` for the documents cached here."""
    if isinstance(value, dict):
        return {key: copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_json(item) for item in value]
    return value


class Epoch:
    """The epoch token, read at most once per verification.

    ``reader=None`` (or a database without the triggers) disables every cache built on it:
    :meth:`current` then returns ``None``.
    """

    def __init__(self, reader: EpochReader | None) -> None:
        self._reader = reader
        self._pinned: contextvars.ContextVar[dict[int, str] | None] = contextvars.ContextVar(
            f"epoch_{id(self)}", default=_UNSET
        )
        self.enabled = reader is not None and self._check(reader)
        self.reads = 0  # how many times the token was read (tests, metrics)

    @staticmethod
    def _check(reader: EpochReader) -> bool:
        try:
            present = reader.triggers_present()
        except Exception:  # noqa: BLE001 - no cache is always safe
            _log.warning("read caches off: the epoch triggers could not be checked")
            return False
        if not present:
            _log.warning("read caches off: the database lacks the epoch triggers (migrate)")
        return present

    def _read(self) -> dict[int, str] | None:
        assert self._reader is not None
        self.reads += 1
        try:
            return self._reader.read_all()
        except MicrocredError:
            return None

    def _tokens(self) -> dict[int, str] | None:
        if not self.enabled:
            return None
        pinned = self._pinned.get()
        if pinned is not _UNSET:
            return pinned
        return self._read()

    def current(self) -> str | None:
        """The verification data's token pinned for this verification, else a fresh read;
        ``None``: do not cache."""
        tokens = self._tokens()
        return None if tokens is None else tokens.get(EPOCH_ID)

    def current_pages(self) -> str | None:
        """A token for a public credential page: both rows (its verification and its data)."""
        tokens = self._tokens()
        if tokens is None or EPOCH_ID not in tokens or PAGES_ID not in tokens:
            return None
        return f"{tokens[EPOCH_ID]}.{tokens[PAGES_ID]}"

    @contextlib.contextmanager
    def pinned(self) -> Iterator[None]:
        """Read the tokens once for everything inside (nested scopes keep the outer one)."""
        if not self.enabled or self._pinned.get() is not _UNSET:
            yield
            return
        token = self._pinned.set(self._read())
        try:
            yield
        finally:
            self._pinned.reset(token)


class EpochMemo(Generic[K, V]):
    """A bounded LRU of values, each valid only under the epoch token it was stored with."""

    def __init__(self, max_entries: int = 256) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._max = max_entries
        self._entries: OrderedDict[K, tuple[str, V]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: K, token: str) -> V | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None or found[0] != token:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found[1]

    def put(self, key: K, token: str, value: V) -> None:
        with self._lock:
            self._entries[key] = (token, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class CachedDIDResolver:
    """Resolves the platform's hosted DIDs through ``inner``, kept under the epoch token.

    Hosted documents change only with the watched tables (issuers, issuer keys); the chain
    account a document may list comes from the static configuration. "Not hosted here"
    (``DIDNotFoundError``) is kept too, so the fallback to the network resolver stays as cheap.
    Other errors are never kept.
    """

    def __init__(self, inner: DIDResolver, epoch: Epoch, *, max_entries: int = 256) -> None:
        self._inner = inner
        self._epoch = epoch
        self._memo: EpochMemo[str, DIDDocument | DIDNotFoundError] = EpochMemo(max_entries)

    @property
    def memo(self) -> EpochMemo[str, DIDDocument | DIDNotFoundError]:
        return self._memo

    def resolve(self, did: str) -> DIDDocument:
        token = self._epoch.current()
        if token is None:
            return self._inner.resolve(did)
        found = self._memo.get(did, token)
        if found is None:
            try:
                found = self._inner.resolve(did)
            except DIDNotFoundError as error:
                found = error
            self._memo.put(did, token, found)
        if isinstance(found, DIDNotFoundError):
            raise found
        copied: DIDDocument = copy_json(found)
        return copied


class EpochStatusLists:
    """The platform's own status list credentials (``lookup(url)``, e.g.
    ``StatusService.published_list``), kept under the epoch token.

    A list is signed again whenever a bit changes (``status_lists.credential``, watched), so a
    revocation changes the token and the next verification reads the new list. The fetched
    list (with its digest, which the status check's memo of verified lists is keyed by) is
    shared, read-only. URLs that are not the platform's go to ``fallback`` as in
    :class:`~microcred.status.fetchers.LocalStatusListFetcher`, uncached here.
    """

    def __init__(
        self,
        lookup: Callable[[str], Any],
        epoch: Epoch,
        *,
        fallback: StatusListFetcher | None = None,
        max_entries: int = 64,
    ) -> None:
        self._lookup = lookup
        self._epoch = epoch
        self._plain = LocalStatusListFetcher(lookup, fallback=fallback)
        self._not_ours = LocalStatusListFetcher(lambda _url: None, fallback=fallback)
        self._memo: EpochMemo[str, tuple[FetchedStatusList | None]] = EpochMemo(max_entries)

    @property
    def memo(self) -> EpochMemo[str, tuple[FetchedStatusList | None]]:
        return self._memo

    def fetch(self, url: str) -> FetchedStatusList:
        token = self._epoch.current()
        if token is None:
            return self._plain.fetch(url)
        found = self._memo.get(url, token)
        if found is None:
            document = self._lookup(url)
            found = (None if document is None else FetchedStatusList(url, document, max_age=0.0),)
            self._memo.put(url, token, found)
        if found[0] is not None:
            return found[0]
        return self._not_ours.fetch(url)


class EpochSharing(SharingService):
    """:class:`SharingService` whose public page lookups (:meth:`shared_credential`) are kept
    under the pages token (row 2: shares, credentials, learners' names, issuers — and row 1):
    a learner who stops sharing, a revocation, a renamed issuer show on the next request, in
    every process. Everything else is the plain service."""

    def __init__(self, *args: Any, epoch: Epoch, max_entries: int = 512, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._epoch = epoch
        self._pages: EpochMemo[str, SharedCredential] = EpochMemo(max_entries)

    @property
    def pages(self) -> EpochMemo[str, SharedCredential]:
        return self._pages

    def shared_credential(self, share_id: str) -> SharedCredential:
        token = self._epoch.current_pages()
        if token is None or not isinstance(share_id, str):
            return super().shared_credential(share_id)
        found = self._pages.get(share_id, token)
        if found is None:
            found = super().shared_credential(share_id)  # NotFound is never kept
            self._pages.put(share_id, token, found)
        return found
