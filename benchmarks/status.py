"""Status list benchmarks (they need a database): ``python -m benchmarks.status [--quick]``, or
``python -m benchmarks.run --platform`` / ``--only status_allocate status_revoke_visible``.

Each run builds a throw-away platform on a SQLite file in a temporary directory (the demo
issuer, did:web, real keys) and reports:

``status_allocate``
    * ``status_allocate``: credentials per second getting their two status entries with
      ``StatusService.allocate_entries`` (one random index per purpose, one
      ``INSERT … ON CONFLICT DO NOTHING RETURNING``), each with its credential row, committed
      every ``batch`` credentials (as a bulk import does);
    * ``status_allocate_bulk``: the same with ``allocate_entries_bulk`` (one statement per batch);
    * ``status_issue`` / ``status_issue_without_status``: whole ``IssuanceService.issue`` calls
      (compose, allocate, sign, self-verify, store, mail, audit; one transaction each) with and
      without status lists: what allocation adds to issuing.

``status_revoke_visible``
    * ``status_revoke``: how long ``StatusService.revoke`` takes (state, bit, list re-signed,
      audit; one transaction);
    * ``status_revoke_visible``: the time from ``revoke()`` returning to the platform verifier
      (``platform.engine.verifier``, the one behind ``/credentials/verify``) reporting
      "Revoked by the issuer." with ``MICROCRED_STATUS_TTL_SECONDS=0``: the platform's own lists
      are read in-process, so this is one verification;
    * ``status_revoke_visible_ttl``: a verifier that caches the list as the HTTP headers allow
      (``Cache-Control: max-age`` = the TTL, 300 s by default), on a simulated clock: the
      revocation stays unseen for at most the TTL — the documented bound — and is seen at the
      first verification after it.

Figures are printed as JSON lines and a table; nothing asserts a target.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

NAMES = ("status_allocate", "status_revoke_visible")

_BASE_URL = "https://credentials.example.edu"
_ADMIN = "bench@example.edu"


class _ManualClock:
    """A clock the benchmark moves by hand (the simulated verifier's)."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def now(self) -> datetime:
        return self.at


@contextmanager
def _platform(*, ttl_seconds: int) -> Iterator[Any]:
    """A platform on a SQLite file in a temporary directory (removed afterwards)."""
    with tempfile.TemporaryDirectory(prefix="microcred-bench-") as home:
        yield from _built(Path(home), ttl_seconds)


def _built(home: Path, ttl_seconds: int) -> Iterator[Any]:
    from microcred.services.identity import Argon2Parameters, PasswordHashing
    from microcred.services.platform import build_platform
    from microcred.settings import load_settings

    settings = load_settings(
        home=home,
        base_url=_BASE_URL,
        kek=secrets.token_hex(32),
        status_ttl_seconds=ttl_seconds,
    )
    fast = PasswordHashing(Argon2Parameters(time_cost=1, memory_cost=64, parallelism=1))
    platform = build_platform(settings, allow_network=False, passwords=fast)
    try:
        yield platform
    finally:
        platform.close()


def _demo(platform: Any) -> tuple[Any, Any, Any]:
    """(principal, issuer, published definition) of the demo issuer."""
    from microcred.services.seed import local_principal, seed_demo

    seed = seed_demo(platform, admin_email=_ADMIN)
    return local_principal(platform, _ADMIN), seed.issuer, seed.published


class _TimedAllocator:
    """``StatusService.allocate_entries`` with a stopwatch (its share of issuing)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seconds = 0.0

    def allocate_entries(self, tx: Any, issuer_id: uuid.UUID, credential_id: uuid.UUID) -> Any:
        start = time.perf_counter()
        try:
            return self.inner.allocate_entries(tx, issuer_id, credential_id)
        finally:
            self.seconds += time.perf_counter() - start


def _request(definition: Any, n: int) -> Any:
    from microcred.services.issuance import IssueRequest, LearnerInput

    return IssueRequest(
        definition_id=definition.id,
        learner=LearnerInput(name=f"Learner {n}", email=f"learner{n}@example.org"),
    )


def _row(issuer: Any, row_id: uuid.UUID) -> Any:
    from microcred.storage import Credential

    return Credential(
        id=row_id,
        issuer_id=issuer.id,
        definition_version_id=None,
        learner_id=None,
        credential_uri=f"urn:uuid:{uuid.uuid4()}",
        document={"id": "bench"},
    )


def _row_for(name: str, count: int, seconds: float, note: str, **extra: Any) -> dict[str, Any]:
    return {
        "benchmark": name,
        "ops": count,
        "seconds": round(seconds, 4),
        "ops_per_s": round(count / seconds, 1) if seconds else 0.0,
        "ms_per_op": round(1000 * seconds / count, 4) if count else 0.0,
        "note": note,
        **extra,
    }


def measure_allocation(
    *, credentials: int = 4000, batch: int = 50, issues: int = 40
) -> list[dict[str, Any]]:
    """``status_allocate``, ``status_allocate_bulk``, ``status_issue`` (see the module)."""
    from microcred.issuance import IssuancePipeline
    from microcred.services.issuance import IssuanceService
    from microcred.verification.verifier import Verifier

    rows: list[dict[str, Any]] = []
    with _platform(ttl_seconds=300) as platform:
        principal, issuer, definition = _demo(platform)
        status = platform.status

        for name, bulk in (("status_allocate", False), ("status_allocate_bulk", True)):
            done = 0
            allocating = 0.0
            start = time.perf_counter()
            while done < credentials:
                with platform.uow() as tx:
                    ids = [uuid.uuid4() for _ in range(min(batch, credentials - done))]
                    began = time.perf_counter()
                    if bulk:
                        status.allocate_entries_bulk(tx, issuer.id, ids)
                    else:
                        for row_id in ids:
                            status.allocate_entries(tx, issuer.id, row_id)
                    allocating += time.perf_counter() - began
                    for row_id in ids:
                        tx.credentials.add(_row(issuer, row_id))
                    tx.commit()
                    done += len(ids)
            total = time.perf_counter() - start
            how = (
                f"allocate_entries_bulk per {batch}" if bulk else "allocate_entries per credential"
            )
            rows.append(
                _row_for(
                    name,
                    done,
                    allocating,
                    f"{how} (2 entries each); ops_per_s counts the allocation calls, "
                    f"with_rows_per_s also the credential rows and a commit every {batch}",
                    batch=batch,
                    with_rows_per_s=round(done / total, 1),
                )
            )

        engine = platform.engine
        placeholder = Verifier(engine.registry, engine.loader, engine.vm_resolver, platform.clock)
        pipeline = IssuancePipeline(engine.registry, engine.loader, placeholder)
        timed = _TimedAllocator(status)
        variants = {
            "status_issue": IssuanceService(
                platform.uow,
                platform.issuers,
                pipeline,
                engine.loader,
                base_url=platform.settings.base_url,
                status=timed,
            ),
            "status_issue_without_status": IssuanceService(
                platform.uow, platform.issuers, pipeline, engine.loader, base_url=_BASE_URL
            ),
        }
        for service in variants.values():  # warm-up
            for n in range(3):
                service.issue(principal, issuer.id, _request(definition, n))
        timed.seconds = 0.0
        spent = dict.fromkeys(variants, 0.0)
        rounds = 4  # interleaved, so that a busy moment of the shared machine hits both
        for _ in range(rounds):
            for name, service in variants.items():
                start = time.perf_counter()
                for n in range(issues // rounds):
                    service.issue(principal, issuer.id, _request(definition, n))
                spent[name] += time.perf_counter() - start
        count = rounds * (issues // rounds)
        rows.append(
            _row_for(
                "status_issue",
                count,
                spent["status_issue"],
                "IssuanceService.issue with status entries (one transaction each)",
                allocation_ms_per_op=round(1000 * timed.seconds / count, 3),
            )
        )
        rows.append(
            _row_for(
                "status_issue_without_status",
                count,
                spent["status_issue_without_status"],
                "the same without status lists (noisy: compare allocation_ms_per_op)",
            )
        )
        lists = status.status_lists(principal, issuer.id)
        rows.append(
            {
                "benchmark": "status_lists_used",
                "lists": [(x.purpose, x.number, x.allocated) for x in lists],
            }
        )
    return rows


def _revoked(report: Any) -> bool:
    return any(c.code == "status.revocation" and c.outcome.value == "failed" for c in report.checks)


def measure_revoke_visible(*, samples: int = 20, ttl_seconds: int = 300) -> list[dict[str, Any]]:
    """``status_revoke``, ``status_revoke_visible``, ``status_revoke_visible_ttl``."""
    rows: list[dict[str, Any]] = []
    with _platform(ttl_seconds=0) as platform:
        principal, issuer, definition = _demo(platform)
        verifier = platform.engine.verifier
        issued = [
            platform.issuance.issue(principal, issuer.id, _request(definition, n))
            for n in range(samples)
        ]
        verify_ms: list[float] = []
        revoke_ms: list[float] = []
        visible_ms: list[float] = []
        for credential in issued:
            start = time.perf_counter()
            assert verifier.verify_credential(dict(credential.document)).verified
            verify_ms.append(1000 * (time.perf_counter() - start))
            start = time.perf_counter()
            platform.status.revoke(principal, issuer.id, credential.id, "benchmark")
            returned = time.perf_counter()
            revoke_ms.append(1000 * (returned - start))
            while not _revoked(verifier.verify_credential(dict(credential.document))):
                pass
            visible_ms.append(1000 * (time.perf_counter() - returned))
        rows.append(_stats("status_verify", verify_ms, "one verification, status passed"))
        rows.append(_stats("status_revoke", revoke_ms, "StatusService.revoke (one tx)"))
        rows.append(
            _stats(
                "status_revoke_visible",
                visible_ms,
                "revoke() returned -> platform verifier says revoked (TTL 0, in-process)",
                ttl_s=0,
            )
        )

    rows.append(_cached_verifier(ttl_seconds))
    return rows


def _cached_verifier(ttl_seconds: int) -> dict[str, Any]:
    """A verifier that caches lists as the HTTP headers allow, on a simulated clock."""
    from microcred.services.verifier import build_platform_verifier
    from microcred.status.fetchers import CachingStatusListFetcher, LocalStatusListFetcher

    with _platform(ttl_seconds=ttl_seconds) as platform:
        principal, issuer, definition = _demo(platform)
        credential = platform.issuance.issue(principal, issuer.id, _request(definition, 0))
        clock = _ManualClock(platform.clock.now())
        # what an HTTP fetch of the list says: Cache-Control: public, max-age=<TTL>
        cached = CachingStatusListFetcher(
            LocalStatusListFetcher(platform.status.published_list, max_age=ttl_seconds),
            clock,
            ttl=timedelta(days=1),  # the verifier's own limit: far longer, the issuer's wins
        )
        remote = build_platform_verifier(
            platform.engine, platform.status, clock, allow_network=False, fetcher=cached
        )
        document = dict(credential.document)
        assert remote.verify_credential(document).verified  # fetched and cached at t=0
        platform.status.revoke(principal, issuer.id, credential.id, "benchmark")
        step = max(1, ttl_seconds // 60)
        unseen = 0
        while not _revoked(remote.verify_credential(document)):
            clock.at += timedelta(seconds=step)
            unseen += step
            if unseen > 10 * max(ttl_seconds, 1):
                raise AssertionError("the revocation never became visible")
    return {
        "benchmark": "status_revoke_visible_ttl",
        "ttl_s": ttl_seconds,
        "unseen_for_s": unseen,
        "bound_s": ttl_seconds,
        "within_bound": unseen <= ttl_seconds,
        "note": "a caching verifier (Cache-Control max-age = TTL) that fetched the list just "
        f"before the revocation, simulated clock, verifying every {step} s",
    }


def _stats(name: str, values: list[float], note: str, **extra: Any) -> dict[str, Any]:
    ordered = sorted(values)
    return {
        "benchmark": name,
        "samples": len(values),
        "median_ms": round(statistics.median(ordered), 2),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 2),
        "max_ms": round(ordered[-1], 2),
        "note": note,
        **extra,
    }


def measure_status(names: set[str], *, quick: bool = False) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    if "status_allocate" in names:
        if quick:
            rows += measure_allocation(credentials=400, batch=50, issues=8)
        else:
            rows += measure_allocation()
    if "status_revoke_visible" in names:
        rows += measure_revoke_visible(samples=5 if quick else 20)
    return rows


def print_status_table(rows: list[dict[str, Any]]) -> None:
    out = sys.stdout
    out.write("\nstatus lists (SQLite, one process)\n")
    for row in rows:
        name = row.get("benchmark", "")
        if "ops_per_s" in row:
            share = row.get("allocation_ms_per_op")
            extra = "" if share is None else f"   (allocation {share:.3f} ms/op)"
            if "with_rows_per_s" in row:
                extra = f"   ({row['with_rows_per_s']:,.1f} /s with rows and commits)"
            out.write(
                f"  {name:<30} {row['ops_per_s']:>10,.1f} /s   {row['ms_per_op']:>9.3f} ms/op"
                f"{extra}\n"
            )
        elif "median_ms" in row:
            out.write(
                f"  {name:<30} median {row['median_ms']:>8.2f} ms   p90 {row['p90_ms']:>8.2f} ms"
                f"   max {row['max_ms']:>8.2f} ms\n"
            )
        elif "unseen_for_s" in row:
            out.write(
                f"  {name:<30} unseen for {row['unseen_for_s']} s with TTL {row['ttl_s']} s "
                f"(bound {row['bound_s']} s)\n"
            )
        elif "lists" in row:
            out.write(f"  {name:<30} {row['lists']}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts (smoke run)")
    parser.add_argument("--only", nargs="*", choices=NAMES, help="run only these")
    args = parser.parse_args(argv)
    rows = measure_status(set(args.only or NAMES), quick=args.quick)
    for row in rows:
        print(json.dumps(row))
    print_status_table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
