"""JSON-LD: bundled contexts, a static document loader, expansion and canonicalization.

Contexts are never fetched from the network; see ``docs/contexts.md``.
"""

from __future__ import annotations

from microcred.jsonld.processing import (
    SafeModeReport,
    audit_document,
    canonize,
    expand,
    find_undefined_terms,
)
from microcred.jsonld.protocols import DocumentLoader, RemoteDocument
from microcred.jsonld.static_loader import ManifestEntry, StaticDocumentLoader, load_manifest

__all__ = [
    "DocumentLoader",
    "ManifestEntry",
    "RemoteDocument",
    "SafeModeReport",
    "StaticDocumentLoader",
    "audit_document",
    "canonize",
    "expand",
    "find_undefined_terms",
    "load_manifest",
]
