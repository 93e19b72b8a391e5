"""RFC 9162 Merkle trees: known vectors, every proof verifies, any tampering fails."""

from __future__ import annotations

import hashlib
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microcred.anchoring.merkle import (
    MerkleAccumulator,
    MerkleTree,
    empty_root,
    leaf_hash,
    merkle_root,
    node_hash,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from microcred.errors import InvalidInput

# The eight leaves of the Certificate Transparency reference test data (RFC 6962 trees) and the
# tree heads it lists for the first 1..8 of them.
CT_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def reference_root(leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 MTH, recursively, exactly as the RFC writes it."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    left, right = reference_root(leaves[:k]), reference_root(leaves[k:])
    return hashlib.sha256(b"\x01" + left + right).digest()


def flip(value: bytes, bit: int = 0) -> bytes:
    changed = bytearray(value)
    changed[bit // 8 % len(changed)] ^= 1 << (bit % 8)
    return bytes(changed)


# --------------------------------------------------------------------------- vectors


def test_empty_tree_root_is_sha256_of_nothing() -> None:
    assert MerkleTree.from_leaves([]).root.hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert merkle_root([]) == empty_root()


@pytest.mark.parametrize("size", range(1, 9))
def test_certificate_transparency_tree_heads(size: int) -> None:
    leaves = CT_LEAVES[:size]
    assert MerkleTree.from_leaves(leaves).root.hex() == CT_ROOTS[size - 1]
    assert merkle_root(leaves).hex() == CT_ROOTS[size - 1]


def test_certificate_transparency_audit_paths_and_consistency() -> None:
    tree = MerkleTree.from_leaves(CT_LEAVES)
    assert [h.hex()[:16] for h in tree.inclusion_proof(0)] == [
        "96a296d224f285c6",
        "5f083f0a1a33ca07",
        "6b47aaf29ee3c2af",
    ]
    assert [h.hex()[:16] for h in tree.inclusion_proof(5)] == [
        "bc1a0643b12e4d2d",
        "ca854ea128ed050b",
        "d37ee418976dd957",
    ]
    assert [h.hex()[:16] for h in tree.consistency_proof(6)] == [
        "0ebc5d3437fbe2db",
        "ca854ea128ed050b",
        "d37ee418976dd957",
    ]
    assert [h.hex()[:16] for h in tree.consistency_proof(4)] == ["6b47aaf29ee3c2af"]
    assert [h.hex()[:16] for h in tree.consistency_proof(1)] == [
        "96a296d224f285c6",
        "5f083f0a1a33ca07",
        "6b47aaf29ee3c2af",
    ]


def test_domain_separation_and_odd_levels() -> None:
    a, b, c = b"a", b"b", b"c"
    assert leaf_hash(a) == hashlib.sha256(b"\x00a").digest()
    assert node_hash(a, b) == hashlib.sha256(b"\x01ab").digest()
    # Three leaves: the third is carried up unchanged, never paired with itself.
    expected = node_hash(node_hash(leaf_hash(a), leaf_hash(b)), leaf_hash(c))
    assert MerkleTree.from_leaves([a, b, c]).root == expected
    assert MerkleTree.from_leaves([a, b, c, c]).root != expected
    # A leaf can never pose as an interior node (second preimage).
    two = MerkleTree.from_leaves([a, b])
    assert MerkleTree.from_leaves([leaf_hash(a) + leaf_hash(b)]).root != two.root


def test_a_million_leaves_need_twenty_hashes() -> None:
    assert math.ceil(math.log2(1_000_000)) == 20
    tree = MerkleTree.from_leaves(i.to_bytes(4, "big") for i in range(5000))
    assert tree.height == 13
    assert max(len(tree.inclusion_proof(i)) for i in (0, 4095, 4096, 4999)) <= 13


# --------------------------------------------------------------------------- properties

leaf_lists = st.lists(st.binary(min_size=0, max_size=40), min_size=1, max_size=80)


@settings(max_examples=60, deadline=None)
@given(leaves=leaf_lists)
def test_every_leaf_proof_verifies_and_any_tampering_fails(leaves: list[bytes]) -> None:
    tree = MerkleTree.from_leaves(leaves)
    assert tree.root == reference_root(leaves)
    size = len(leaves)
    for index in range(size):
        path = tree.inclusion_proof(index)
        leaf = leaf_hash(leaves[index])
        assert len(path) <= max(1, math.ceil(math.log2(size))) or size == 1
        assert verify_inclusion(leaf, index, size, path, tree.root)
        assert not verify_inclusion(flip(leaf), index, size, path, tree.root)
        assert not verify_inclusion(leaf, index, size, path, flip(tree.root))
        for position in range(len(path)):
            tampered = list(path)
            tampered[position] = flip(tampered[position], position * 7)
            assert not verify_inclusion(leaf, index, size, tampered, tree.root)
        if path:
            assert not verify_inclusion(leaf, index, size, path[:-1], tree.root)
            assert not verify_inclusion(leaf, index, size, [*path, path[0]], tree.root)
        if size > 1:
            other = (index + 1) % size
            assert not verify_inclusion(leaf, other, size, path, tree.root) or (
                leaves[other] == leaves[index]
                and tree.inclusion_proof(other) == path  # only equal leaves can share a path
            )


@settings(max_examples=40, deadline=None)
@given(leaves=leaf_lists, data=st.data())
def test_consistency_proofs_verify_and_tampering_fails(leaves: list[bytes], data) -> None:
    new = MerkleTree.from_leaves(leaves)
    old_size = data.draw(st.integers(min_value=0, max_value=len(leaves)))
    old_root = reference_root(leaves[:old_size])
    proof = new.consistency_proof(old_size)
    assert verify_consistency(old_size, len(leaves), old_root, new.root, proof)
    if 0 < old_size < len(leaves):
        assert proof
        assert not verify_consistency(old_size, len(leaves), flip(old_root), new.root, proof)
        assert not verify_consistency(old_size, len(leaves), old_root, flip(new.root), proof)
        for position in range(len(proof)):
            tampered = list(proof)
            tampered[position] = flip(tampered[position], 3)
            assert not verify_consistency(old_size, len(leaves), old_root, new.root, tampered)
        # A rewritten history (one old leaf changed) is not consistent with the new tree.
        rewritten = [*leaves[: old_size - 1], leaves[old_size - 1] + b"!"]
        assert not verify_consistency(
            old_size, len(leaves), reference_root(rewritten), new.root, proof
        )


@settings(max_examples=40, deadline=None)
@given(leaves=st.lists(st.binary(max_size=8), max_size=70))
def test_accumulator_matches_the_tree(leaves: list[bytes]) -> None:
    accumulator = MerkleAccumulator()
    for leaf in leaves:
        accumulator.append(leaf)
    assert accumulator.size == len(leaves)
    assert accumulator.root == reference_root(leaves)


# --------------------------------------------------------------------------- misuse


def test_bad_inputs_are_refused() -> None:
    tree = MerkleTree.from_leaves([b"x", b"y"])
    with pytest.raises(InvalidInput):
        tree.inclusion_proof(2)
    with pytest.raises(InvalidInput):
        tree.inclusion_proof(-1)
    with pytest.raises(InvalidInput):
        tree.consistency_proof(3)
    with pytest.raises(InvalidInput):
        MerkleTree.from_leaf_hashes([b"short"])
    with pytest.raises(InvalidInput):
        MerkleTree.from_leaves(["text"])  # type: ignore[list-item]
    with pytest.raises(InvalidInput):
        verify_inclusion(b"short", 0, 1, [], tree.root)
    assert root_from_inclusion_proof(leaf_hash(b"x"), 2, 2, []) is None
    assert not verify_consistency(2, 1, tree.root, tree.root, [])
    assert not verify_consistency(1, 2, leaf_hash(b"x"), tree.root, [])
    assert verify_consistency(2, 2, tree.root, tree.root, [])
    assert not verify_consistency(2, 2, tree.root, tree.root, [tree.root])
    assert MerkleTree.from_leaf_hashes([leaf_hash(b"x"), leaf_hash(b"y")]).root == tree.root
