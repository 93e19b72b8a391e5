"""Merkle tree benchmark: ``python -m benchmarks.merkle [--leaves N]`` or
``python -m benchmarks.run --only merkle``.

Builds the anchoring Merkle tree (RFC 9162 hashing, ``microcred.anchoring.merkle``) over
1,000,000 leaves of 32 bytes (credential digests), on one core, and reports:

* ``merkle_build``: seconds to hash the leaves and every level (target ≤ 3 s);
* ``merkle_root_only``: the same without keeping the levels (``merkle_root``);
* peak memory of a build, measured in a separate run under :mod:`tracemalloc` (which slows
  Python down several times, so that run is not timed);
* the longest audit path (target ≤ 20 hashes) and the time to make and to verify one proof.

Nothing here asserts a target; the numbers are printed as JSON lines and a table.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import sys
import time
import tracemalloc
from typing import Any

from microcred.anchoring.merkle import MerkleTree, leaf_hash, merkle_root, verify_inclusion

FULL = 1_000_000
QUICK = 100_000


def _digests(count: int) -> list[bytes]:
    return [hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(count)]


def measure_merkle(leaves: int = FULL) -> list[dict[str, Any]]:
    """Run every Merkle measurement over ``leaves`` leaves; one dict per measurement."""
    digests = _digests(leaves)
    results: list[dict[str, Any]] = []

    gc.collect()
    start = time.perf_counter()
    tree = MerkleTree.from_leaves(digests)
    build = time.perf_counter() - start
    results.append(
        {
            "benchmark": "merkle_build",
            "leaves": leaves,
            "seconds": round(build, 3),
            "note": "hash leaves (0x00) and all levels (0x01), levels kept for proofs",
        }
    )

    start = time.perf_counter()
    root = merkle_root(digests)
    results.append(
        {
            "benchmark": "merkle_root_only",
            "leaves": leaves,
            "seconds": round(time.perf_counter() - start, 3),
            "note": "root without keeping the levels",
        }
    )
    if root != tree.root:
        raise AssertionError("merkle_root and MerkleTree disagree")

    samples = sorted({0, 1, leaves // 3, leaves // 2, leaves - 2, leaves - 1} & set(range(leaves)))
    start = time.perf_counter()
    paths = {i: tree.inclusion_proof(i) for i in samples}
    make = (time.perf_counter() - start) / len(samples)
    start = time.perf_counter()
    for i, path in paths.items():
        if not verify_inclusion(leaf_hash(digests[i]), i, leaves, path, tree.root):
            raise AssertionError(f"proof of leaf {i} does not verify")
    check = (time.perf_counter() - start) / len(samples)
    results.append(
        {
            "benchmark": "merkle_proof",
            "leaves": leaves,
            "max_path_hashes": max(len(p) for p in paths.values()),
            "tree_height": tree.height,
            "make_us": round(make * 1e6, 1),
            "verify_us": round(check * 1e6, 1),
        }
    )
    del tree, paths
    gc.collect()

    tracemalloc.start()
    traced = MerkleTree.from_leaves(digests)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del traced
    results.append(
        {
            "benchmark": "merkle_peak_memory",
            "leaves": leaves,
            "peak_mib": round(peak / 2**20, 1),
            "note": "tracemalloc peak of one build (input digests excluded)",
        }
    )
    return results


def print_merkle_table(results: list[dict[str, Any]]) -> None:
    out = sys.stdout
    out.write("\nMerkle tree\n" + "-" * 58 + "\n")
    for row in results:
        name = row["benchmark"]
        if "seconds" in row:
            out.write(f"{name:<22} {row['leaves']:>9,} leaves {row['seconds']:>10.3f} s\n")
        elif name == "merkle_proof":
            out.write(
                f"{name:<22} {row['max_path_hashes']:>3} hashes max, make "
                f"{row['make_us']} µs, verify {row['verify_us']} µs\n"
            )
        else:
            out.write(f"{name:<22} {row['peak_mib']:>10.1f} MiB peak\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaves", type=int, default=FULL)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK:,} leaves")
    args = parser.parse_args(argv)
    results = measure_merkle(QUICK if args.quick else args.leaves)
    for row in results:
        print(json.dumps(row))
    print_merkle_table(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
