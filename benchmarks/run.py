"""Benchmark runner: ``python -m benchmarks.run [--quick] [--only NAME ...] [--platform]``.

``--only merkle`` runs the anchoring Merkle tree benchmark (``benchmarks/merkle.py``: one
million leaves, or 100,000 with ``--quick``); it is not part of the default run.

``--only bulk`` runs the bulk issuance benchmark (``benchmarks/bulk.py``: 100,000 CSV rows to
anchored credentials on SQLite and PostgreSQL, or 3,000 with ``--quick``).

``--http`` (or ``--only http_verify http_page``) runs the HTTP load test of
``benchmarks/http_load.py`` (a real server with 2 workers, 500 requests/s open loop, 10 s per
target, 3 s with ``--quick``). ``--all`` runs everything: ``make bench`` is ``--all --quick``.

``--platform`` (or ``--only status_allocate status_revoke_visible``) runs the status list
benchmarks of ``benchmarks/status.py`` on a throw-away SQLite platform: allocation rate and
revocation-to-visible latency. They need a database, so they are not part of the default run.

Prints one JSON object per measurement on stdout (JSON lines), then a table with the
ratios between measurements taken in the same run. Throughput figures on a shared
machine are noisy; the ratios (our path against raw Ed25519 and against plain pyld,
measured minutes apart in one process) are what we compare across runs.

Nothing here asserts a target: targets live in the issues and in docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.fast_canon import RATIOS as FAST_RATIOS

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Measurement:
    name: str
    ops: int
    seconds: float
    note: str = ""
    cpu_seconds: float = 0.0  # process CPU time: on a shared machine, the per-core rate

    @property
    def per_second(self) -> float:
        return self.ops / self.seconds if self.seconds else 0.0

    @property
    def cpu_per_second(self) -> float:
        return self.ops / self.cpu_seconds if self.cpu_seconds else 0.0

    @property
    def ms_per_op(self) -> float:
        return 1000.0 * self.seconds / self.ops if self.ops else 0.0


def measure(name: str, fn: Callable[[int], None], budget: float, note: str = "") -> Measurement:
    """Call ``fn(i)`` repeatedly for about ``budget`` seconds (after a short warm-up)."""
    for i in range(3):
        fn(i)
    ops = 0
    start = time.perf_counter()
    cpu_start = time.process_time()
    deadline = start + budget
    while True:
        for _ in range(8):
            fn(ops)
            ops += 1
        now = time.perf_counter()
        if now >= deadline:
            return Measurement(name, ops, now - start, note, time.process_time() - cpu_start)


def _credential(i: int, template: dict[str, Any]) -> dict[str, Any]:
    """A fresh credential of the benchmark shape with per-credential values.

    Only the objects on the paths to the changed values are new; the rest is shared
    with the template, which nothing modifies (issuing and canonicalizing never change
    their input). A ``copy.deepcopy`` here cost ~50 µs, as much as a whole JCS issue.
    """
    cred = dict(template)
    subject = dict(template["credentialSubject"])
    identifier = dict(subject["identifier"][0])
    identifier["salt"] = f"{i:08x}"
    result = dict(subject["result"][0])
    result["value"] = str(50 + i % 50)
    subject["identifier"] = [identifier]
    subject["result"] = [result]
    cred["credentialSubject"] = subject
    cred["id"] = f"urn:uuid:00000000-0000-4000-8000-{i:012d}"
    return cred


def run(budget: float, only: set[str] | None) -> list[Measurement]:
    from pyld import jsonld  # the plain-pyld baseline

    from microcred.jsonld.static_loader import StaticDocumentLoader
    from microcred.keys.ed25519 import Ed25519KeyPair, verify_ed25519
    from microcred.proof.cryptosuites.eddsa_jcs_2022 import EddsaJcs2022
    from microcred.proof.cryptosuites.eddsa_rdfc_2022 import EddsaRdfc2022
    from microcred.proof.data_integrity import add_proof, verify_proofs
    from microcred.proof.options import ProofOptions
    from microcred.proof.registry import CryptosuiteRegistry

    template = json.loads((DATA / "ob3-credential.json").read_text(encoding="utf-8"))
    loader = StaticDocumentLoader.bundled()
    pair = Ed25519KeyPair.from_seed(bytes(range(32)))
    vm = _did_key_vm(pair.public_key_multibase)
    template["issuer"]["id"] = vm.split("#")[0]
    signer = pair.signer(vm)
    rdfc = EddsaRdfc2022(loader)
    jcs = EddsaJcs2022()
    registry = CryptosuiteRegistry([rdfc, jcs])
    created = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)
    results: list[Measurement] = []

    def want(name: str) -> bool:
        return only is None or name in only

    message = b"x" * 64
    signature = signer.sign(message)
    if want("raw_ed25519_sign"):
        results.append(measure("raw_ed25519_sign", lambda i: signer.sign(message), budget))
    if want("raw_ed25519_verify"):
        results.append(
            measure(
                "raw_ed25519_verify",
                lambda i: verify_ed25519(pair.public_bytes, message, signature),
                budget,
            )
        )

    if want("pyld_canonize"):
        opts = {
            "algorithm": "URDNA2015",
            "format": "application/n-quads",
            "documentLoader": loader,
        }
        results.append(
            measure(
                "pyld_canonize",
                lambda i: jsonld.normalize(_credential(i, template), opts),
                budget,
                "plain pyld expand + URDNA2015 of one OB 3.0 credential",
            )
        )

    if want("rfc8785_canonize"):
        import rfc8785

        results.append(
            measure(
                "rfc8785_canonize",
                lambda i: rfc8785.dumps(_credential(i, template)),
                budget,
                "rfc8785 package, same credential",
            )
        )

    if want("jcs_canonicalize"):
        from microcred.proof.jcs import canonicalize

        results.append(
            measure(
                "jcs_canonicalize",
                lambda i: canonicalize(_credential(i, template)),
                budget,
                "microcred.proof.jcs, same credential (byte-identical to rfc8785)",
            )
        )

    for suite_name, suite in (("rdfc", rdfc), ("jcs", jcs)):
        options = ProofOptions(cryptosuite=suite.name, verification_method=vm, created=created)
        issue_name = f"{suite_name}_issue"
        verify_name = f"{suite_name}_verify"
        if want(issue_name):
            results.append(
                measure(
                    issue_name,
                    lambda i, s=suite, o=options: add_proof(_credential(i, template), s, o, signer),
                    budget,
                    f"{suite.name}: canonicalize + hash + sign one credential",
                )
            )
        if want(verify_name):
            signed = [
                add_proof(_credential(i, template), suite, options, signer) for i in range(64)
            ]
            resolver = _StaticKeys(vm, pair.public_bytes)

            def verify_one(
                i: int, docs: list[dict[str, Any]] = signed, keys: _StaticKeys = resolver
            ) -> None:
                out = verify_proofs(docs[i % len(docs)], registry, keys)
                if not all(r.verified for r in out):
                    raise AssertionError("benchmark credential failed to verify")

            results.append(
                measure(verify_name, verify_one, budget, f"{suite.name}: verify one credential")
            )

    from benchmarks.fast_canon import NAMES as FAST_NAMES
    from benchmarks.fast_canon import run_fast_canon

    if any(want(name) for name in FAST_NAMES):
        results += run_fast_canon(
            budget,
            want,
            template=template,
            loader=loader,
            pair=pair,
            signer=signer,
            vm=vm,
            created=created,
        )
    return results


def _did_key_vm(public_multibase: str) -> str:
    return f"did:key:{public_multibase}#{public_multibase}"


class _StaticKeys:
    """Resolves the single benchmark key without DID resolution overhead."""

    def __init__(self, vm: str, public: bytes) -> None:
        from microcred.did.dereference import VerificationMethod

        self._method = VerificationMethod(
            id=vm, type="Multikey", controller=vm.split("#")[0], public_key=public, revoked=None
        )

    def resolve(self, vm_url: str, purpose: str = "assertionMethod") -> Any:
        return self._method


RATIOS = [
    ("rdfc_issue", "pyld_canonize", "rdfc issue / plain pyld canonize"),
    ("rdfc_verify", "pyld_canonize", "rdfc verify / plain pyld canonize"),
    ("rdfc_issue", "raw_ed25519_sign", "rdfc issue / raw Ed25519 sign"),
    ("jcs_issue", "raw_ed25519_sign", "jcs issue / raw Ed25519 sign"),
    ("jcs_verify", "raw_ed25519_verify", "jcs verify / raw Ed25519 verify"),
    ("jcs_issue", "rfc8785_canonize", "jcs issue / rfc8785 canonize"),
    ("jcs_verify", "rfc8785_canonize", "jcs verify / rfc8785 canonize"),
    ("jcs_canonicalize", "rfc8785_canonize", "jcs canonicalize / rfc8785"),
    *FAST_RATIOS,
]


def print_table(results: list[Measurement]) -> None:
    by_name = {m.name: m for m in results}
    out = sys.stdout
    header = ("benchmark", "ops/s", "ms/op", "ops", "ops/cpu-s")
    out.write("\n{:<22} {:>12} {:>12} {:>9} {:>12}\n".format(*header))
    out.write("-" * 71 + "\n")
    for m in results:
        out.write(
            f"{m.name:<22} {m.per_second:>12,.0f} {m.ms_per_op:>12.4f} {m.ops:>9}"
            f" {m.cpu_per_second:>12,.0f}\n"
        )
    lines = []
    for a, b, label in RATIOS:
        if a in by_name and b in by_name and by_name[b].per_second:
            ratio = by_name[a].per_second / by_name[b].per_second
            lines.append(f"{label:<40} {ratio:>8.3f}x")
            print(json.dumps({"ratio": label, "value": round(ratio, 4)}))
    if lines:
        out.write("\nratios (same run)\n" + "\n".join(lines) + "\n")
    from benchmarks.fast_canon import print_fallbacks

    print_fallbacks(results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="0.2 s per benchmark (smoke run)")
    parser.add_argument("--seconds", type=float, default=2.0, help="time budget per benchmark")
    parser.add_argument("--only", nargs="*", help="run only these benchmarks")
    parser.add_argument(
        "--platform",
        action="store_true",
        help="also run the benchmarks that need a database (status lists)",
    )
    parser.add_argument(
        "--http",
        action="store_true",
        help="also run the HTTP load test (benchmarks/http_load.py: real server, 500 req/s)",
    )
    parser.add_argument(
        "--all", action="store_true", help="everything: --platform, --http and merkle"
    )
    args = parser.parse_args(argv)
    if args.all:
        args.platform = args.http = True
    http_targets = _http_targets(args)
    budget = 0.2 if args.quick else args.seconds
    print(
        json.dumps(
            {
                "run": datetime.now(UTC).isoformat(timespec="seconds"),
                "python": platform.python_version(),
                "machine": platform.machine(),
                "budget_s": budget,
            }
        )
    )
    only = set(args.only) if args.only else None
    if only is not None:
        only -= {"http_verify", "http_page"}
    http_rows: list[dict[str, Any]] = []
    if http_targets:
        from benchmarks.http_load import measure_http

        http_rows = measure_http(
            http_targets, seconds=3.0 if args.quick else 10.0, warmup=1.0 if args.quick else 2.0
        )
        for row in http_rows:
            print(json.dumps(row))
        if only is not None and not only:
            _print_http(http_rows)
            return 0
    from benchmarks.status import NAMES as STATUS_NAMES

    wanted_status = set(STATUS_NAMES) if args.platform else set()
    if only is not None:
        wanted_status |= only & set(STATUS_NAMES)
        only -= set(STATUS_NAMES)
    status_rows: list[dict[str, Any]] = []
    if wanted_status:
        from benchmarks.status import measure_status, print_status_table

        status_rows = measure_status(wanted_status, quick=args.quick)
        for row in status_rows:
            print(json.dumps(row))
        if only is not None and not only:
            print_status_table(status_rows)
            return 0
    if only is not None and "bulk" in only:
        from benchmarks.bulk import measure_bulk, print_bulk_table

        only.discard("bulk")
        bulk_rows = measure_bulk(
            rows=3000 if args.quick else 100_000,
            backends=["sqlite", "postgresql"],
            sample=200 if args.quick else 500,
        )
        for row in bulk_rows:
            print(json.dumps(row))
        print_bulk_table(bulk_rows)
        if not only:
            return 0
    merkle_rows: list[dict[str, Any]] = []
    if args.all or (only is not None and "merkle" in only):
        from benchmarks.merkle import FULL, QUICK, measure_merkle

        if only is not None:
            only.discard("merkle")
        merkle_rows = measure_merkle(QUICK if args.quick else FULL)
        for row in merkle_rows:
            print(json.dumps(row))
        if only is not None and not only:
            from benchmarks.merkle import print_merkle_table

            print_merkle_table(merkle_rows)
            if status_rows:
                print_status_table(status_rows)
            _print_http(http_rows)
            return 0
    results = run(budget, only)
    for m in results:
        print(
            json.dumps(
                {
                    "benchmark": m.name,
                    "ops": m.ops,
                    "seconds": round(m.seconds, 4),
                    "ops_per_s": round(m.per_second, 1),
                    "ms_per_op": round(m.ms_per_op, 4),
                    "cpu_ops_per_s": round(m.cpu_per_second, 1),
                    "note": m.note,
                }
            )
        )
    print_table(results)
    if merkle_rows:
        from benchmarks.merkle import print_merkle_table

        print_merkle_table(merkle_rows)
    if status_rows:
        from benchmarks.status import print_status_table

        print_status_table(status_rows)
    _print_http(http_rows)
    return 0


def _http_targets(args: argparse.Namespace) -> tuple[str, ...]:
    """The HTTP load targets asked for (``--http``, or ``--only http_verify http_page``)."""
    names = set(args.only or ())
    if args.http:
        names |= {"http_verify", "http_page"}
    return tuple(t for t in ("verify", "page") if f"http_{t}" in names)


def _print_http(rows: list[dict[str, Any]]) -> None:
    if rows:
        from benchmarks.http_load import print_http_table

        print_http_table(rows)


if __name__ == "__main__":
    raise SystemExit(main())
