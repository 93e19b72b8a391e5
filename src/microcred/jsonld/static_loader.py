"""A JSON-LD document loader that serves only bundled contexts and never uses the network.

JSON-LD 1.1 Processing Algorithms and API, section 9.4 (LoadDocumentCallback): a loader
maps a URL to a :class:`~microcred.jsonld.protocols.RemoteDocument`. Ours maps the URLs
listed in ``contexts/manifest.json`` to the files next to it, each checked against its
SHA-256 in the manifest when first loaded, and raises
:class:`~microcred.errors.UnknownContextError` for every other URL.

Each file is parsed once per process; every call returns a fresh copy, so a caller (or
pyld, which rewrites relative context URLs in place) cannot change what later calls see.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from microcred.errors import ConfigError, JsonLdError, UnknownContextError
from microcred.jsonld.protocols import RemoteDocument

__all__ = ["ContextCache", "ManifestEntry", "StaticDocumentLoader", "load_manifest"]

_PROJECT_SOURCE = "microcred (this project)"
_REFRESH_HINT = (
    "If you edited a project-owned context, run `python scripts/fetch_contexts.py "
    "--local-only` to refresh its manifest entry; otherwise reinstall microcred."
)


@dataclass(frozen=True)
class ManifestEntry:
    """One bundled context, as listed in ``contexts/manifest.json``."""

    url: str
    file: str
    sha256: str
    #: ``{"registry", "package", "version", "path", ...}`` for third-party contexts, or the
    #: string ``"microcred (this project)"`` for contexts this project writes.
    source: Mapping[str, str] | str
    license: str
    content_license: str

    @property
    def project_owned(self) -> bool:
        return self.source == _PROJECT_SOURCE


class ContextCache:
    """A small thread-safe LRU mapping, used as pyld's resolved-context cache.

    pyld keeps processed contexts in a process-wide cache keyed by URL; a loader keeps its
    own instead (see :mod:`microcred.jsonld.processing`), so two loaders can never see
    each other's documents.
    """

    def __init__(self, maxsize: int = 256) -> None:
        self._data: OrderedDict[str, Any] = OrderedDict()
        self._maxsize = maxsize
        self._lock = threading.Lock()

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            if key not in self._data:
                return default
            self._data.move_to_end(key)
            return self._data[key]

    def __getitem__(self, key: str) -> Any:
        with self._lock:
            value = self._data[key]
            self._data.move_to_end(key)
            return value

    def __setitem__(self, key: str, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._maxsize:
                self._data.popitem(last=False)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._data

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)


def _copy_json(value: Any) -> Any:
    """Deep copy of parsed JSON (faster than :func:`copy.deepcopy` for this shape)."""
    if isinstance(value, dict):
        return {key: _copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy_json(item) for item in value]
    return value


def _contains_import(value: Any) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "@import" in node:
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _contexts_dir() -> Any:
    return resources.files("microcred.jsonld").joinpath("contexts")


def _parse_entry(raw: Any) -> ManifestEntry:
    if not isinstance(raw, dict):
        raise ConfigError("contexts/manifest.json: every entry must be an object.")
    try:
        source = raw["source"]
        entry = ManifestEntry(
            url=str(raw["url"]),
            file=str(raw["file"]),
            sha256=str(raw["sha256"]),
            source=source if isinstance(source, str) else dict(source),
            license=str(raw["license"]),
            content_license=str(raw.get("contentLicense", raw["license"])),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"contexts/manifest.json: malformed entry {raw!r}: {exc}") from exc
    if "/" in entry.file or "\\" in entry.file or entry.file.startswith("."):
        raise ConfigError(f"contexts/manifest.json: bad file name {entry.file!r}.")
    return entry


@cache
def load_manifest() -> tuple[ManifestEntry, ...]:
    """The entries of the bundled ``contexts/manifest.json``, in file order."""
    try:
        raw = json.loads(_contexts_dir().joinpath("manifest.json").read_bytes())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"Cannot read the bundled contexts/manifest.json: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("contexts"), list):
        raise ConfigError("contexts/manifest.json must be an object with a 'contexts' list.")
    entries = tuple(_parse_entry(item) for item in raw["contexts"])
    urls = [entry.url for entry in entries]
    if len(set(urls)) != len(urls):
        raise ConfigError("contexts/manifest.json lists one URL twice.")
    return entries


@cache
def _bundled_documents() -> Mapping[str, Any]:
    """Read, verify (SHA-256) and parse every bundled context, once per process."""
    base = _contexts_dir()
    documents: dict[str, Any] = {}
    for entry in load_manifest():
        try:
            data = base.joinpath(entry.file).read_bytes()
        except OSError as exc:
            raise ConfigError(
                f"The bundled context {entry.file} for {entry.url} is missing: {exc}."
            ) from exc
        digest = hashlib.sha256(data).hexdigest()
        if digest != entry.sha256:
            raise ConfigError(
                f"The bundled context {entry.file} for {entry.url} does not match its "
                f"manifest digest (SHA-256 {digest}, manifest says {entry.sha256}). "
                + _REFRESH_HINT
            )
        try:
            document = json.loads(data)
        except ValueError as exc:
            raise ConfigError(f"The bundled context {entry.file} is not JSON: {exc}") from exc
        if not isinstance(document, dict) or "@context" not in document:
            raise ConfigError(f"The bundled context {entry.file} has no @context.")
        if _contains_import(document):
            raise ConfigError(f"The bundled context {entry.file} uses @import (unsupported).")
        documents[entry.url] = document
    return documents


class StaticDocumentLoader:
    """Serves JSON-LD contexts from memory; an unknown URL is an error, never a fetch.

    Build one with :meth:`bundled` (every context in ``contexts/manifest.json``) and add
    more with :meth:`with_documents`. A loader is immutable and thread-safe; pass the same
    instance everywhere so its context cache is shared.
    """

    __slots__ = ("_cache", "_documents", "_extra", "_has_import", "_lock", "_static")

    def __init__(
        self,
        documents: Mapping[str, Any],
        *,
        static_urls: frozenset[str] = frozenset(),
    ) -> None:
        """Internal: use :meth:`bundled` or :meth:`with_documents`."""
        self._documents: Mapping[str, Any] = dict(documents)
        self._static = static_urls
        self._extra = frozenset(self._documents) - static_urls
        self._has_import = any(_contains_import(self._documents[url]) for url in self._extra)
        self._cache = ContextCache()
        self._lock = threading.RLock()

    # -- construction -------------------------------------------------------------------
    @classmethod
    def bundled(cls) -> StaticDocumentLoader:
        """The loader over every context shipped with microcred (one per process)."""
        return _bundled_loader()

    @classmethod
    def empty(cls) -> StaticDocumentLoader:
        """A loader that knows no context at all (tests, or a fully custom set)."""
        return cls({})

    def with_documents(self, documents: Mapping[str, Any]) -> StaticDocumentLoader:
        """A new loader serving this loader's documents plus ``documents`` (URL -> JSON).

        The documents are copied. A bundled URL may be given again only with identical
        content: one URL never stands for two documents.
        """
        merged = dict(self._documents)
        for url, document in documents.items():
            if not isinstance(url, str) or ":" not in url:
                raise ConfigError(f"A context URL must be an absolute URL, got {url!r}.")
            try:
                copied = json.loads(json.dumps(document, allow_nan=False))
            except (TypeError, ValueError) as exc:
                raise JsonLdError(f"The context document for {url} is not JSON: {exc}") from exc
            if not isinstance(copied, dict):
                raise JsonLdError(f"The context document for {url} must be a JSON object.")
            if url in merged and merged[url] != copied:
                raise ConfigError(
                    f"{url} is already served with different content; one URL cannot "
                    "stand for two documents."
                )
            merged[url] = copied
        return StaticDocumentLoader(merged, static_urls=self._static)

    # -- the loader protocol ---------------------------------------------------------------
    def __call__(self, url: str, options: dict[str, Any] | None = None) -> RemoteDocument:
        """Return the document for ``url``; :class:`UnknownContextError` if there is none."""
        document = self._documents.get(url) if isinstance(url, str) else None
        if document is None:
            raise UnknownContextError(
                f"The JSON-LD context {url!r} is not bundled with microcred, and contexts "
                "are never fetched from the network.",
                url=url,
            )
        remote: RemoteDocument = {
            "contextUrl": None,
            "documentUrl": url,
            "document": _copy_json(document),
        }
        if url in self._static:
            remote["tag"] = "static"
        return remote

    # -- introspection ---------------------------------------------------------------------
    def __contains__(self, url: object) -> bool:
        return url in self._documents

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._documents))

    def __len__(self) -> int:
        return len(self._documents)

    @property
    def urls(self) -> frozenset[str]:
        """Every URL this loader serves."""
        return frozenset(self._documents)

    def document(self, url: str) -> Any:
        """A copy of the parsed document for ``url``."""
        return self(url)["document"]

    # -- for microcred.jsonld.processing ---------------------------------------------------
    @property
    def context_cache(self) -> ContextCache:
        """This loader's resolved-context cache (used by :mod:`microcred.jsonld.processing`)."""
        return self._cache

    @property
    def processing_lock(self) -> threading.RLock:
        """Held while pyld works with :attr:`context_cache` (its inner caches are not
        thread-safe)."""
        return self._lock

    @property
    def has_import(self) -> bool:
        """Whether a document added with :meth:`with_documents` uses ``@import``."""
        return self._has_import

    def __repr__(self) -> str:
        return (
            f"StaticDocumentLoader({len(self._static)} bundled, "
            f"{len(self._documents) - len(self._static)} extra)"
        )


@cache
def _bundled_loader() -> StaticDocumentLoader:
    documents = _bundled_documents()
    return StaticDocumentLoader(documents, static_urls=frozenset(documents))
