"""Where the time of an eddsa-jcs-2022 issue and verify goes: ``python -m benchmarks.jcs_profile``.

Interleaved timing: every step (the raw Ed25519 baselines, rfc8785, our JCS, the whole
issue and verify, and their parts) runs in turn in batches of 10 calls for the time
budget, and each step keeps its fastest batch. On a shared machine, where other
processes come and go, this gives every step the same conditions; the sequential
runner (``benchmarks.run``) gives the figures of record. ``--profile`` adds a cProfile
of issue and verify (sorted by own time).
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import pstats
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from benchmarks.run import DATA, _credential, _did_key_vm, _StaticKeys

BATCH = 10


def _steps() -> tuple[dict[str, Callable[[int], Any]], dict[str, Callable[[int], Any]]]:
    import rfc8785

    from microcred.keys.ed25519 import Ed25519KeyPair, verify_ed25519
    from microcred.proof._encoding import decode_proof_value, encode_proof_value
    from microcred.proof._validation import parse_proof
    from microcred.proof.cryptosuites.eddsa_jcs_2022 import EddsaJcs2022
    from microcred.proof.data_integrity import (
        _snapshot,
        _verified_result,
        add_proof,
        verify_proofs,
    )
    from microcred.proof.jcs import _plain, canonicalize
    from microcred.proof.options import ProofOptions
    from microcred.proof.purposes import AssertionMethodPurpose
    from microcred.proof.registry import CryptosuiteRegistry

    template = json.loads((DATA / "ob3-credential.json").read_text(encoding="utf-8"))
    pair = Ed25519KeyPair.from_seed(bytes(range(32)))
    vm = _did_key_vm(pair.public_key_multibase)
    template["issuer"]["id"] = vm.split("#")[0]
    signer = pair.signer(vm)
    suite = EddsaJcs2022()
    registry = CryptosuiteRegistry([suite])
    options = ProofOptions(
        cryptosuite=suite.name,
        verification_method=vm,
        created=datetime(2026, 6, 30, 9, 0, tzinfo=UTC),
    )
    keys = _StaticKeys(vm, pair.public_bytes)
    signed = [add_proof(_credential(i, template), suite, options, signer) for i in range(64)]
    unsecured = {k: v for k, v in signed[0].items() if k != "proof"}
    proof = signed[0]["proof"]
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    parsed = parse_proof(proof, expected_type=proof["type"], expected_cryptosuite=suite.name)
    hash_data = (
        hashlib.sha256(canonicalize(config)).digest()
        + hashlib.sha256(canonicalize(unsecured)).digest()
    )
    message = b"x" * 64
    signature = signer.sign(message)
    # each credential's own hash data and signature: Ed25519 verification is variable-time
    # (the scalars), so one fixed signature verified again and again is not the average
    own = [
        (
            hashlib.sha256(
                canonicalize({k: v for k, v in d["proof"].items() if k != "proofValue"})
            ).digest()
            + hashlib.sha256(canonicalize({k: v for k, v in d.items() if k != "proof"})).digest(),
            decode_proof_value(d["proof"]["proofValue"]),
        )
        for d in signed
    ]
    purpose = AssertionMethodPurpose()
    method = keys.resolve(vm)

    def verify(i: int) -> None:
        if not all(r.verified for r in verify_proofs(signed[i % 64], registry, keys)):
            raise AssertionError("benchmark credential failed to verify")

    whole: dict[str, Callable[[int], Any]] = {
        "raw_ed25519_sign": lambda i: signer.sign(message),
        "raw_ed25519_verify": lambda i: verify_ed25519(pair.public_bytes, message, signature),
        "rfc8785_canonize": lambda i: rfc8785.dumps(_credential(i, template)),
        "jcs_canonicalize": lambda i: canonicalize(_credential(i, template)),
        "jcs_issue": lambda i: add_proof(_credential(i, template), suite, options, signer),
        "jcs_verify": verify,
    }
    parts: dict[str, Callable[[int], Any]] = {
        "build credential (harness)": lambda i: _credential(i, template),
        "issue: snapshot copy": lambda i: _snapshot(template),
        "issue+verify: JCS document": lambda i: canonicalize(unsecured),
        "issue+verify: JCS proof config": lambda i: canonicalize(config),
        "issue+verify: 2 x SHA-256": lambda i: (
            hashlib.sha256(b"x" * 2000).digest(),
            hashlib.sha256(b"x" * 300).digest(),
        ),
        "issue: options.to_json": lambda i: options.to_json(),
        "issue: base58 encode": lambda i: encode_proof_value(signature),
        "verify: parse_proof (+ base58)": lambda i: parse_proof(
            proof, expected_type=proof["type"], expected_cryptosuite=suite.name
        ),
        "verify: ... of which base58 decode": lambda i: decode_proof_value(proof["proofValue"]),
        "verify: proof-config cache (key+get)": lambda i: suite._configuration(
            proof, validated=True
        ),
        "verify: document copy without proof": lambda i: signed[0].copy().pop("proof"),
        "verify: suite.verify_parsed_proof": lambda i: suite.verify_parsed_proof(
            unsecured, parsed, pair.public_bytes
        ),
        "verify: Ed25519 of hash_data": lambda i: verify_ed25519(
            pair.public_bytes, hash_data, parsed.signature
        ),
        "verify: Ed25519, 64 credentials' own": lambda i: verify_ed25519(
            pair.public_bytes, *own[i % 64]
        ),
        "verify: whole, one warm credential": lambda i: verify_proofs(signed[0], registry, keys),
        "verify: JCS values-only walk": lambda i: _plain(unsecured),
        "verify: purpose, key, result": lambda i: (
            purpose.check_proof(parsed, now=None),
            purpose.check_method(
                purpose.resolve_method(keys, parsed), proof=parsed, document=unsecured
            ),
            _verified_result(0, parsed, suite, method.controller),
        ),
    }
    return whole, parts


def interleaved(steps: dict[str, Callable[[int], Any]], budget: float) -> dict[str, float]:
    """Fastest batch time per call (seconds) of each step, run in turn for ``budget``."""
    best = dict.fromkeys(steps, float("inf"))
    deadline = time.perf_counter() + budget
    while time.perf_counter() < deadline:
        for name, fn in steps.items():
            start = time.perf_counter()
            for i in range(BATCH):
                fn(i)
            best[name] = min(best[name], (time.perf_counter() - start) / BATCH)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="interleaving budget")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile")
    args = parser.parse_args(argv)
    whole, parts = _steps()
    best = interleaved({**whole, **parts}, args.seconds)
    out = sys.stdout
    out.write(f"\n{'step (fastest batch of 10)':<36} {'us/op':>9} {'ops/s':>10}\n")
    out.write("-" * 57 + "\n")
    for name, seconds in best.items():
        out.write(f"{name:<36} {seconds * 1e6:>9.1f} {1 / seconds:>10,.0f}\n")
    ratios = [
        ("jcs_issue", "raw_ed25519_sign"),
        ("jcs_verify", "raw_ed25519_verify"),
        ("jcs_issue", "rfc8785_canonize"),
        ("jcs_verify", "rfc8785_canonize"),
        ("jcs_canonicalize", "rfc8785_canonize"),
    ]
    out.write("\nratios (ops/s, interleaved)\n")
    for a, b in ratios:
        ratio = best[b] / best[a]
        out.write(f"{a + ' / ' + b:<40} {ratio:>7.3f}x\n")
        print(json.dumps({"ratio": f"{a} / {b}", "value": round(ratio, 4), "interleaved": True}))
    if args.profile:
        for name in ("jcs_issue", "jcs_verify"):
            profile = cProfile.Profile()
            profile.enable()
            for i in range(3000):
                whole[name](i)
            profile.disable()
            out.write(f"\n===== cProfile: {name} x 3000 (own time)\n")
            pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(15)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
