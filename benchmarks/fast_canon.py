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


def print_fallbacks(results: list[Any] | None = None) -> None:
    """The fast-path ratios by process CPU time (steadier than wall time on a shared
    machine) and the fallback rates of the fast measurements."""
    by_name = {m.name: m for m in results or []}
    out = sys.stdout
    lines = []
    for a, b, label in RATIOS:
        if a in by_name and b in by_name and by_name[b].cpu_per_second:
            ratio = by_name[a].cpu_per_second / by_name[b].cpu_per_second
            lines.append(f"{label:<44} {ratio:>8.3f}x")
            print(json.dumps({"ratio_cpu": label, "value": round(ratio, 4)}))
    if lines:
        out.write("\nratios by process CPU time (same run)\n" + "\n".join(lines) + "\n")
    if not FALLBACKS:
        return
    out.write("\nfast path (compiled shapes): full-path fallbacks / documents\n")
    for name, stats in FALLBACKS.items():
        print(json.dumps({"fast_path": name, **stats}))
        reasons = ", ".join(f"{k} {v}" for k, v in stats["fallbacks"].items()) or "none"
        out.write(
            f"{name:<24} {stats['full']:>6} / {stats['calls']:<8} "
            f"= {100 * stats['fallback_rate']:6.2f}%   ({reasons})\n"
        )


# -- where the time goes ------------------------------------------------------------------

#: (label, module path fragment, function name) of the parts reported by --profile
_PARTS = [
    ("walk: skeleton + leaves", "jsonld/fast/shape.py", "walk"),
    ("render: statements from the leaves", "jsonld/fast/shape.py", "render"),
    ("RDFC-1.0 (native)", "jsonld/fast/rdfc.py", "canonicalize"),
    ("SHA-256 of both canonical forms", "proof/cryptosuites/base.py", "compute_signing_input"),
    ("Ed25519 sign", "proof/cryptosuites/base.py", "sign_ed25519"),
    ("Ed25519 verify", "proof/cryptosuites/base.py", "verify_ed25519_signature"),
    ("proofValue base58 encode", "proof/_encoding.py", "encode_proof_value"),
    ("proofValue base58 decode", "proof/_encoding.py", "decode_proof_value"),
]


def profile(kind: str, count: int) -> None:
    """Profile ``count`` fast issues or verifications; print each part's share."""
    import cProfile
    import pstats
    from datetime import UTC, datetime
    from pathlib import Path

    from benchmarks.run import DATA, _credential, _did_key_vm, _StaticKeys
    from microcred.jsonld.fast import FastCanonizer
    from microcred.jsonld.static_loader import StaticDocumentLoader
    from microcred.keys.ed25519 import Ed25519KeyPair
    from microcred.proof.cryptosuites.eddsa_rdfc_2022 import EddsaRdfc2022
    from microcred.proof.data_integrity import add_proof, verify_proofs
    from microcred.proof.options import ProofOptions
    from microcred.proof.registry import CryptosuiteRegistry

    template = json.loads((Path(DATA) / "ob3-credential.json").read_text(encoding="utf-8"))
    loader = StaticDocumentLoader.bundled()
    pair = Ed25519KeyPair.from_seed(bytes(range(32)))
    vm = _did_key_vm(pair.public_key_multibase)
    template["issuer"]["id"] = vm.split("#")[0]
    signer = pair.signer(vm)
    suite = EddsaRdfc2022(loader, canonizer=FastCanonizer(loader))
    options = ProofOptions(
        cryptosuite="eddsa-rdfc-2022",
        verification_method=vm,
        created=datetime(2026, 6, 30, 9, 0, tzinfo=UTC),
    )
    registry = CryptosuiteRegistry([suite])
    keys = _StaticKeys(vm, pair.public_bytes)
    signed = [add_proof(_credential(i, template), suite, options, signer) for i in range(64)]
    top = "add_proof" if kind == "issue" else "verify_proofs"

    def work() -> None:
        for i in range(count):
            if kind == "issue":
                add_proof(_credential(i, template), suite, options, signer)
            else:
                verify_proofs(signed[i % 64], registry, keys)

    profiler = cProfile.Profile()
    profiler.runcall(work)
    stats: Any = pstats.Stats(profiler).stats
    cumulative: dict[tuple[str, str], float] = {}
    total = 0.0
    for (path, _line, name), (_cc, _nc, _tt, ct, _callers) in stats.items():
        if name == top and path.endswith("proof/data_integrity.py"):
            total = ct
        for _label, fragment, function in _PARTS:
            if name == function and path.endswith(fragment):
                cumulative[(fragment, function)] = cumulative.get((fragment, function), 0) + ct
    out = sys.stdout
    out.write(f"\n{kind}: {count} credentials, {1000 * total / count:.3f} ms each under cProfile\n")
    accounted = 0.0
    for label, fragment, function in _PARTS:
        seconds = cumulative.get((fragment, function), 0.0)
        if seconds:
            accounted += seconds
            out.write(f"  {label:<40} {100 * seconds / total:5.1f}%\n")
    rest = "  {:<40} {:5.1f}%\n".format(
        "the rest (proof options, copies, checks)", 100 * (total - accounted) / total
    )
    out.write(rest)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="where the time of the fast rdfc path goes")
    parser.add_argument("--profile", choices=["issue", "verify"], default="issue")
    parser.add_argument("--count", type=int, default=2000)
    arguments = parser.parse_args()
    profile(arguments.profile, arguments.count)
