"""Batches: when to close one, its Merkle tree, and each credential's anchor proof.

Pure functions; the anchoring service (``services/anchoring.py``) does the I/O. The life of a
batch, designed so that a crash at any point neither loses nor double-publishes it:

1. **seal** — pick the issuer's pending credentials (oldest first, at most
   :attr:`BatchPolicy.max_size`) when the batch is *due* (enough of them, or the oldest has
   waited :attr:`BatchPolicy.max_age`); compute each credential's digest
   (:func:`~microcred.anchoring.proof.credential_digest`) and the Merkle root; store batch,
   root and leaves in one transaction *before* anything is published.
2. **publish** — look the root up on the ledger first; only if it is not there, publish it.
   A crash after publishing but before recording the receipt is healed by that lookup.
3. **apply** — rebuild the tree from the stored digests, append each credential's anchor proof
   (:func:`anchor_credential`) to its stored document, a chunk per transaction, marking each
   leaf done. Appending is idempotent, so a repeated chunk changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from microcred.anchoring.ledger import LedgerEntry
from microcred.anchoring.merkle import MerkleTree, leaf_hash
from microcred.anchoring.proof import AnchorProof, attach_anchor_proof, credential_digest
from microcred.errors import InvalidInput

__all__ = [
    "BatchPolicy",
    "anchor_credential",
    "anchor_proof_for",
    "batch_tree",
]


@dataclass(frozen=True, slots=True)
class BatchPolicy:
    """When a batch closes: ``max_size`` credentials, or the oldest waited ``max_age``.

    One ledger write per batch whatever its size, so larger batches are cheaper on a chain;
    ``max_age`` bounds how long a new credential waits for its anchor.
    """

    max_size: int = 10_000
    max_age: timedelta = timedelta(minutes=10)

    def __post_init__(self) -> None:
        if not 1 <= self.max_size <= 1_000_000:
            raise InvalidInput("a batch holds between 1 and 1,000,000 credentials")
        if self.max_age < timedelta(0):
            raise InvalidInput("the batch age limit cannot be negative")

    def is_due(self, pending: int, oldest: datetime | None, now: datetime) -> bool:
        """Whether a batch should be sealed now for ``pending`` waiting credentials."""
        if pending <= 0:
            return False
        if pending >= self.max_size:
            return True
        return oldest is not None and now - oldest >= self.max_age


def batch_tree(digests: Sequence[bytes]) -> MerkleTree:
    """The Merkle tree of a batch: leaf ``i`` is ``SHA-256(0x00 || digests[i])``."""
    if not digests:
        raise InvalidInput("a batch needs at least one credential")
    return MerkleTree.from_leaves(digests)


def anchor_proof_for(tree: MerkleTree, index: int, entry: LedgerEntry) -> AnchorProof:
    """The anchor proof of leaf ``index`` once the tree's root is on the ledger."""
    if entry.root != tree.root:
        raise InvalidInput("the ledger entry is for another root than this batch's")
    return AnchorProof.build(
        ledger_id=entry.ledger_id,
        anchored_at=entry.anchored_at,
        leaf_index=index,
        tree_size=tree.size,
        path=tree.inclusion_proof(index),
        root=tree.root,
        locator=entry.locator,
    )


def anchor_credential(
    document: Mapping[str, Any], tree: MerkleTree, index: int, entry: LedgerEntry
) -> dict[str, Any]:
    """``document`` with its anchor proof appended (the signatures untouched).

    :class:`InvalidInput` when the document is not the one that was batched as leaf
    ``index`` (it changed since), or cannot carry the proof.
    """
    leaf = leaf_hash(credential_digest(document))
    if tree.leaf_hash(index) != leaf:
        raise InvalidInput(
            "the stored credential changed after it was batched; it no longer matches its leaf"
        )
    return attach_anchor_proof(document, anchor_proof_for(tree, index, entry), leaf=leaf)
