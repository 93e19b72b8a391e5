"""A bounded memo of the safe-mode term audit, for documents verified again and again.

``find_undefined_terms`` expands the whole document with pyld (tens of milliseconds for an
OB 3.0 / EU credential) and its answer depends only on the document and the document
loader, whose contexts are static. A public credential page or a verifier that is sent the
same credential many times asks the same question each time; :func:`undefined_terms`
answers it once per distinct document and loader.

The key is the SHA-256 of the document's RFC 8785 canonical JSON (:mod:`microcred.proof.jcs`),
so two documents share an answer only when they are the same JSON value. Only answers are
kept, never errors (those are recomputed, and raise as before). Bounded (LRU: ``MAX_ENTRIES``
documents for each of the ``MAX_LOADERS`` most recent loaders, which the memo keeps alive so
that a loader's ``id`` cannot be reused while it is a key), thread-safe.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from microcred.jsonld.processing import find_undefined_terms
from microcred.jsonld.protocols import DocumentLoader
from microcred.proof.jcs import JcsError, canonicalize

__all__ = ["MAX_ENTRIES", "MAX_LOADERS", "clear", "undefined_terms"]

MAX_ENTRIES = 512
MAX_LOADERS = 8

_Memo = OrderedDict[bytes, tuple[str, ...]]
_memos: OrderedDict[int, tuple[DocumentLoader, _Memo]] = OrderedDict()
_lock = threading.Lock()


def _key(document: Mapping[str, Any]) -> bytes | None:
    try:
        return hashlib.sha256(canonicalize(document)).digest()
    except JcsError:
        return None


def undefined_terms(document: Mapping[str, Any], loader: DocumentLoader) -> list[str]:
    """``find_undefined_terms(document, loader)``, remembered per distinct document."""
    key = _key(document)
    if key is None:
        return find_undefined_terms(document, loader)
    with _lock:
        entry = _memos.get(id(loader))
        if entry is not None and entry[0] is loader:
            found = entry[1].get(key)
            if found is not None:
                entry[1].move_to_end(key)
                return list(found)
    problems = find_undefined_terms(document, loader)
    with _lock:
        entry = _memos.get(id(loader))
        if entry is None or entry[0] is not loader:
            entry = (loader, OrderedDict())
            _memos[id(loader)] = entry
        _memos.move_to_end(id(loader))
        while len(_memos) > MAX_LOADERS:
            _memos.popitem(last=False)
        memo = entry[1]
        memo[key] = tuple(problems)
        while len(memo) > MAX_ENTRIES:
            memo.popitem(last=False)
    return problems


def clear() -> None:
    """Forget every remembered answer (tests)."""
    with _lock:
        _memos.clear()
