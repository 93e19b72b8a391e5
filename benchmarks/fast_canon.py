"""eddsa-rdfc-2022 through the compiled-shape canonicaliser (issue 6, targets 1 and 2).

Measurements (all on the benchmark OB 3.0 credential, same run as the baselines):

* ``rdfc_issue_fast``: issue fresh credentials of one shape with ``EddsaRdfc2022`` and a
  :class:`~microcred.jsonld.fast.FastCanonizer` (the engine default);
* ``rdfc_verify_fast``: verify such credentials (shape seen before);
* ``rdfc_verify_first_seen``: verify credentials each of a shape the verifier has never
  seen (an extra issuer-dependent property with a new name each time), by a verifier
  that has seen other credentials before (it knows the proof configuration's shape);
* ``pyld_verify``: the plain-pyld baseline for verification: pyld expansion +
  URDNA2015 of the document and of the proof configuration, both hashes, Ed25519 check.

Each fast measurement also reports its canonicaliser's fallback rate (documents that
took the full path / documents canonicalised, warm-up included).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from typing import Any

NAMES = ("rdfc_issue_fast", "rdfc_verify_fast", "rdfc_verify_first_seen", "pyld_verify")

RATIOS = [
    ("rdfc_issue_fast", "pyld_canonize", "rdfc fast issue / plain pyld"),
    ("rdfc_issue_fast", "rdfc_issue", "rdfc fast issue / full-path issue"),
    ("rdfc_verify_fast", "pyld_canonize", "rdfc fast verify / plain pyld"),
    ("rdfc_verify_fast", "pyld_verify", "rdfc fast verify / plain pyld verify"),
    ("rdfc_verify_first_seen", "pyld_verify", "rdfc first-seen verify / plain pyld verify"),
]

#: fallback statistics of the last run, by measurement name
FALLBACKS: dict[str, dict[str, Any]] = {}


def run_fast_canon(
    budget: float,
    want: Callable[[str], bool],
    *,
    template: dict[str, Any],
    loader: Any,
    pair: Any,
    signer: Any,
    vm: str,
    created: Any,
) -> list[Any]:
    from benchmarks.run import _credential, _StaticKeys, measure
    from microcred.jsonld.fast import FastCanonizer
    from microcred.proof.cryptosuites.eddsa_rdfc_2022 import EddsaRdfc2022
    from microcred.proof.data_integrity import add_proof, verify_proofs
    from microcred.proof.options import ProofOptions
    from microcred.proof.registry import CryptosuiteRegistry

    options = ProofOptions(cryptosuite="eddsa-rdfc-2022", verification_method=vm, created=created)
    keys = _StaticKeys(vm, pair.public_bytes)
    results: list[Any] = []

    def fast_suite() -> tuple[EddsaRdfc2022, FastCanonizer]:
        canonizer = FastCanonizer(loader)
        return EddsaRdfc2022(loader, canonizer=canonizer), canonizer

    if want("rdfc_issue_fast"):
        suite, canonizer = fast_suite()
        results.append(
            measure(
                "rdfc_issue_fast",
                lambda i: add_proof(_credential(i, template), suite, options, signer),
                budget,
                "eddsa-rdfc-2022 through the compiled shape: canonicalize + hash + sign",
            )
        )
        FALLBACKS["rdfc_issue_fast"] = canonizer.stats.to_json()

    if want("rdfc_verify_fast"):
        suite, canonizer = fast_suite()
        registry = CryptosuiteRegistry([suite])
        signed = [add_proof(_credential(i, template), suite, options, signer) for i in range(64)]

        def verify_one(i: int) -> None:
            out = verify_proofs(signed[i % len(signed)], registry, keys)
            if not all(r.verified for r in out):
                raise AssertionError("benchmark credential failed to verify")

        results.append(
            measure(
                "rdfc_verify_fast",
                verify_one,
                budget,
                "eddsa-rdfc-2022 verify, shape seen before",
            )
        )
        FALLBACKS["rdfc_verify_fast"] = canonizer.stats.to_json()

    if want("rdfc_verify_first_seen"):
        suite, canonizer = fast_suite()
        registry = CryptosuiteRegistry([suite])
        # One credential of the usual shape first: a running verifier knows the shape of
        # the proof configuration; every document below has a shape of its own.
        for i in range(2):
            verify_proofs(
                add_proof(_credential(i, template), suite, options, signer), registry, keys
            )
        count = max(48, int(budget * 160))
        unique = []
        signing_suite = EddsaRdfc2022(loader)
        for i in range(count):
            credential = _credential(i, template)
            credential[f"https://uni.example.eu/ns#note{i}"] = "a shape never seen before"
            unique.append(add_proof(credential, signing_suite, options, signer))

        def verify_new(i: int) -> None:
            out = verify_proofs(unique[i % len(unique)], registry, keys)
            if not all(r.verified for r in out):
                raise AssertionError("benchmark credential failed to verify")

        results.append(
            measure(
                "rdfc_verify_first_seen",
                verify_new,
                budget,
                "eddsa-rdfc-2022 verify, document shape never seen (proof config shape known)",
            )
        )
        FALLBACKS["rdfc_verify_first_seen"] = canonizer.stats.to_json()

    if want("pyld_verify"):
        results.append(
            measure(
                "pyld_verify",
                _pyld_verifier(template, loader, pair, signer, options),
                budget,
                "plain pyld: expand + URDNA2015 of document and proof config, Ed25519 check",
            )
        )
    return results


def _pyld_verifier(
    template: dict[str, Any], loader: Any, pair: Any, signer: Any, options: Any
) -> Callable[[int], None]:
    from pyld import jsonld

    from benchmarks.run import _credential
    from microcred.keys.ed25519 import verify_ed25519
    from microcred.proof._encoding import decode_proof_value
    from microcred.proof.cryptosuites.eddsa_rdfc_2022 import EddsaRdfc2022
    from microcred.proof.data_integrity import add_proof

    opts = {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": loader}
    suite = EddsaRdfc2022(loader)
    signed = [add_proof(_credential(i, template), suite, options, signer) for i in range(16)]

    def verify(i: int) -> None:
        document = signed[i % len(signed)]
        proof = document["proof"]
        unsecured = {k: v for k, v in document.items() if k != "proof"}
        config = {k: v for k, v in proof.items() if k != "proofValue"}
        config["@context"] = document["@context"]
        doc_hash = hashlib.sha256(jsonld.normalize(unsecured, opts).encode()).digest()
        proof_hash = hashlib.sha256(jsonld.normalize(config, opts).encode()).digest()
        signature = decode_proof_value(proof["proofValue"])
        if not verify_ed25519(pair.public_bytes, proof_hash + doc_hash, signature):
            raise AssertionError("plain pyld verification failed")

    return verify


def print_fallbacks() -> None:
    """The fallback rates of the fast measurements (JSON lines and a short table)."""
    if not FALLBACKS:
        return
    out = sys.stdout
    out.write("\nfast path (compiled shapes): full-path fallbacks / documents\n")
    for name, stats in FALLBACKS.items():
        print(json.dumps({"fast_path": name, **stats}))
        reasons = ", ".join(f"{k} {v}" for k, v in stats["fallbacks"].items()) or "none"
        out.write(
            f"{name:<24} {stats['full']:>6} / {stats['calls']:<8} "
            f"= {100 * stats['fallback_rate']:6.2f}%   ({reasons})\n"
        )
