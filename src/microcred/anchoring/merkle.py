"""SHA-256 Merkle trees with RFC 9162 hashing, inclusion and consistency proofs.

The tree is the one of RFC 9162 (Certificate Transparency 2.0) §2.1 "Merkle Trees", itself
RFC 6962 §2.1 unchanged:

* §2.1.1 "Definition of the Merkle Tree": ``MTH({}) = SHA-256()``; a leaf is hashed as
  ``SHA-256(0x00 || d)`` and an interior node as ``SHA-256(0x01 || left || right)``. The
  different one-byte prefixes (domain separation) make a leaf hash and a node hash never
  collide, so nobody can present an interior node as a leaf (second-preimage attack).
* Uneven sizes: for ``n > 1`` leaves the RFC splits at ``k``, the largest power of two smaller
  than ``n``: ``MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))``. Built bottom-up,
  level by level, that is exactly: pair the nodes of a level from the left; a last node left
  without a partner is carried up to the next level unchanged (it is *not* hashed with itself
  or duplicated, which would let two different leaf lists share a root).
* §2.1.3 "Merkle Inclusion Proofs": the audit path of leaf ``m`` lists the sibling hashes from
  the leaf up to the root (at most ``ceil(log2 n)`` hashes: 20 for 1,000,000 leaves);
  :func:`verify_inclusion` is §2.1.3.2 step by step.
* §2.1.4 "Merkle Consistency Proofs": proof that the tree of size ``m`` is a prefix of the tree
  of size ``n`` (an append-only log never rewrote history); generation is §2.1.4.1
  ``SUBPROOF``, verification §2.1.4.2.

Speed: the tree is built with :mod:`hashlib` in list comprehensions, one level at a time
(about two million SHA-256 calls for a million leaves); all levels are kept so proofs are
simple lookups. ``benchmarks/merkle.py`` measures time, peak memory and proof length.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from microcred.errors import InvalidInput

__all__ = [
    "HASH_SIZE",
    "LEAF_PREFIX",
    "NODE_PREFIX",
    "MerkleAccumulator",
    "MerkleTree",
    "empty_root",
    "leaf_hash",
    "merkle_root",
    "node_hash",
    "root_from_inclusion_proof",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"

_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)`` (RFC 9162 §2.1.1)."""
    return _sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)`` (RFC 9162 §2.1.1)."""
    return _sha256(NODE_PREFIX + left + right).digest()


def empty_root() -> bytes:
    """The root of the empty tree, ``SHA-256()`` of no input."""
    return _sha256(b"").digest()


def _check_hash(value: object, what: str) -> bytes:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise InvalidInput(f"{what} must be a {HASH_SIZE}-byte SHA-256 hash")
    return value


def _parent_level(level: list[bytes]) -> list[bytes]:
    sha, prefix = _sha256, NODE_PREFIX
    parents = [sha(prefix + a + b).digest() for a, b in zip(level[0::2], level[1::2], strict=False)]
    if len(level) & 1:
        parents.append(level[-1])  # carried up unchanged (RFC 9162 split, see module doc)
    return parents


class MerkleTree:
    """An immutable Merkle tree over a list of leaves, with every level kept.

    Build it with :meth:`from_leaves` (raw leaf data, hashed with the 0x00 prefix) or
    :meth:`from_leaf_hashes` (already hashed leaves). Level 0 holds the leaf hashes; level
    ``L`` node ``i`` covers leaves ``[i * 2**L, min((i + 1) * 2**L, size))``.
    """

    __slots__ = ("_levels",)

    def __init__(self, levels: list[list[bytes]]) -> None:
        self._levels = levels

    @classmethod
    def from_leaves(cls, leaves: Iterable[bytes]) -> MerkleTree:
        """A tree whose leaf ``i`` is ``leaf_hash(leaves[i])``."""
        sha, prefix = _sha256, LEAF_PREFIX
        try:
            hashed = [sha(prefix + data).digest() for data in leaves]
        except TypeError:
            raise InvalidInput("Merkle leaves must be bytes") from None
        return cls._build(hashed)

    @classmethod
    def from_leaf_hashes(cls, hashes: Iterable[bytes]) -> MerkleTree:
        """A tree over leaf hashes computed elsewhere (each 32 bytes)."""
        hashed = list(hashes)
        for value in hashed:
            _check_hash(value, "a leaf hash")
        return cls._build(hashed)

    @classmethod
    def _build(cls, leaf_hashes: list[bytes]) -> MerkleTree:
        levels = [leaf_hashes]
        level = leaf_hashes
        while len(level) > 1:
            level = _parent_level(level)
            levels.append(level)
        return cls(levels)

    @property
    def size(self) -> int:
        """The number of leaves."""
        return len(self._levels[0])

    @property
    def root(self) -> bytes:
        """``MTH(D[n])``; for an empty tree ``SHA-256()``."""
        if not self._levels[0]:
            return empty_root()
        return self._levels[-1][0]

    @property
    def height(self) -> int:
        """The number of levels above the leaves (``ceil(log2 size)``)."""
        return len(self._levels) - 1

    def leaf_hash(self, index: int) -> bytes:
        """The hash of leaf ``index``."""
        self._check_index(index)
        return self._levels[0][index]

    def _check_index(self, index: int) -> None:
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < self.size:
            raise InvalidInput(f"leaf index {index!r} is outside a tree of {self.size} leaves")

    def inclusion_proof(self, index: int) -> list[bytes]:
        """The audit path of leaf ``index``, leaf level first (RFC 9162 §2.1.3.1 PATH)."""
        self._check_index(index)
        path: list[bytes] = []
        position = index
        for level in self._levels[:-1]:
            if position & 1:
                path.append(level[position - 1])
            elif position + 1 < len(level):
                path.append(level[position + 1])
            position >>= 1
        return path

    def _subtree_root(self, start: int, end: int) -> bytes:
        """``MTH(D[start:end])`` for a subtree the RFC recursion visits (aligned ranges)."""
        count = end - start
        if count == 1:
            return self._levels[0][start]
        level = (count - 1).bit_length()
        return self._levels[level][start >> level]

    def consistency_proof(self, old_size: int) -> list[bytes]:
        """Proof that the first ``old_size`` leaves form a prefix of this tree.

        RFC 9162 §2.1.4.1: ``PROOF(m, D[n]) = SUBPROOF(m, D[n], true)``; empty when
        ``old_size`` is 0 or equals the size.
        """
        size = self.size
        if not isinstance(old_size, int) or isinstance(old_size, bool) or not 0 <= old_size <= size:
            raise InvalidInput(f"cannot prove consistency from size {old_size!r} to {size}")
        if old_size in (0, size):
            return []
        proof: list[bytes] = []
        self._subproof(old_size, 0, size, True, proof)
        return proof

    def _subproof(self, m: int, start: int, end: int, complete: bool, out: list[bytes]) -> None:
        n = end - start
        if m == n:
            if not complete:
                out.append(self._subtree_root(start, end))
            return
        k = 1 << ((n - 1).bit_length() - 1)  # largest power of two smaller than n
        if m <= k:
            self._subproof(m, start, start + k, complete, out)
            out.append(self._subtree_root(start + k, end))
        else:
            self._subproof(m - k, start + k, end, False, out)
            out.append(self._subtree_root(start, start + k))


class MerkleAccumulator:
    """The root of a growing list of leaves in O(log n) memory (an append-only log).

    Keeps the roots of the perfect subtrees the leaves so far form (sizes: the binary digits
    of the leaf count, largest first). With RFC 9162's split at the largest power of two,
    ``MTH`` of the whole list is those roots folded from the right:
    ``H(s0, H(s1, ... H(s_{k-2}, s_{k-1})))``.
    """

    __slots__ = ("_size", "_stack")

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []  # (height, root), heights decreasing
        self._size = 0

    @property
    def size(self) -> int:
        return self._size

    def append_hash(self, leaf: bytes) -> None:
        """Add a leaf given by its leaf hash (``leaf_hash(data)``)."""
        _check_hash(leaf, "a leaf hash")
        height, value = 0, leaf
        stack = self._stack
        while stack and stack[-1][0] == height:
            _, left = stack.pop()
            value = node_hash(left, value)
            height += 1
        stack.append((height, value))
        self._size += 1

    def append(self, data: bytes) -> None:
        """Add a leaf given by its data (hashed with the 0x00 prefix)."""
        self.append_hash(leaf_hash(data))

    @property
    def root(self) -> bytes:
        """``MTH`` of every leaf appended so far."""
        if not self._stack:
            return empty_root()
        value = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            value = node_hash(left, value)
        return value


def merkle_root(leaves: Iterable[bytes]) -> bytes:
    """``MTH`` of raw leaves without keeping the tree (less memory than :class:`MerkleTree`)."""
    sha, prefix = _sha256, LEAF_PREFIX
    level = [sha(prefix + data).digest() for data in leaves]
    if not level:
        return empty_root()
    while len(level) > 1:
        level = _parent_level(level)
    return level[0]


def root_from_inclusion_proof(
    leaf: bytes, index: int, size: int, path: Sequence[bytes]
) -> bytes | None:
    """The root that ``path`` leads to from leaf hash ``leaf`` at ``index`` in a tree of
    ``size`` leaves, or ``None`` when the path cannot belong to such a tree (wrong length,
    index out of range). RFC 9162 §2.1.3.2 steps 1-5 without the final comparison."""
    _check_hash(leaf, "the leaf hash")
    if index < 0 or size < 1 or index >= size:
        return None
    fn, sn = index, size - 1
    result = leaf
    sha, prefix = _sha256, NODE_PREFIX
    for sibling in path:
        _check_hash(sibling, "an audit path hash")
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            result = sha(prefix + sibling + result).digest()
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            result = sha(prefix + result + sibling).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return None
    return result


def verify_inclusion(
    leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes
) -> bool:
    """True when ``path`` proves leaf hash ``leaf`` is leaf ``index`` of the tree of ``size``
    leaves with root ``root`` (RFC 9162 §2.1.3.2)."""
    _check_hash(root, "the root")
    computed = root_from_inclusion_proof(leaf, index, size, path)
    return computed is not None and computed == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True when ``proof`` shows the tree (``old_size``, ``old_root``) is a prefix of the tree
    (``new_size``, ``new_root``) — RFC 9162 §2.1.4.2."""
    _check_hash(old_root, "the old root")
    _check_hash(new_root, "the new root")
    for value in proof:
        _check_hash(value, "a consistency proof hash")
    if old_size < 0 or new_size < old_size:
        return False
    if old_size == 0:
        return not proof  # every tree extends the empty one
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is a node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    sha, prefix = _sha256, NODE_PREFIX
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = sha(prefix + c + fr).digest()
            sr = sha(prefix + c + sr).digest()
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = sha(prefix + sr + c).digest()
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
