"""Fast RDFC-1.0 canonicalisation for documents of a repeated shape.

Credentials issued from one definition share their JSON shape and contexts. The shape is
compiled once, from a full JSON-LD expansion of one of them, into a program that writes
the RDF statements of any document of that shape directly from its values; a native
RDFC-1.0 (:mod:`.rdfc`) then labels the few blank nodes. Output is byte-identical to the
full path (:func:`microcred.jsonld.processing.canonize`); whatever the fast path cannot
vouch for goes to the full path. See ``docs/performance.md``.
"""

from __future__ import annotations

from microcred.jsonld.fast.canonizer import CanonStats, FallbackReason, FastCanonizer

__all__ = ["CanonStats", "FallbackReason", "FastCanonizer"]
