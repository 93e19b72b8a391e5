"""Anchoring: Merkle batches of credential hashes, published to a ledger.

* :mod:`~microcred.anchoring.merkle` — RFC 9162 Merkle trees, inclusion and consistency proofs;
* :mod:`~microcred.anchoring.proof` — the anchor proof carried in the credential's proof set;
* :mod:`~microcred.anchoring.ledger` — the ``Ledger`` / ``LedgerReader`` protocols;
* :mod:`~microcred.anchoring.batch` — closing batches and building their proofs;
* :mod:`~microcred.anchoring.backends` — ``embedded`` (default), ``null``, ``evm``.

No database or chain client is imported here: I/O goes through the protocols.
See ``docs/anchoring.md`` and ``docs/adr/0004-anchor-proof-format.md``.
"""

from __future__ import annotations

from microcred.anchoring.ledger import Ledger, LedgerEntry, LedgerReader, Receipt
from microcred.anchoring.merkle import (
    MerkleTree,
    leaf_hash,
    merkle_root,
    node_hash,
    verify_consistency,
    verify_inclusion,
)
from microcred.anchoring.proof import (
    ANCHOR_CRYPTOSUITE,
    AnchorProof,
    attach_anchor_proof,
    credential_digest,
    credential_leaf,
    is_anchor_proof,
    strip_anchor_proofs,
)

__all__ = [
    "ANCHOR_CRYPTOSUITE",
    "AnchorProof",
    "Ledger",
    "LedgerEntry",
    "LedgerReader",
    "MerkleTree",
    "Receipt",
    "attach_anchor_proof",
    "credential_digest",
    "credential_leaf",
    "is_anchor_proof",
    "leaf_hash",
    "merkle_root",
    "node_hash",
    "strip_anchor_proofs",
    "verify_consistency",
    "verify_inclusion",
]
