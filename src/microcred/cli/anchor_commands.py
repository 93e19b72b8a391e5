"""Anchoring commands: ``anchor run``, ``anchor status``, ``ledger verify``,
``issuer compromise-key``, and the background anchoring loop of ``microcred serve``.

Like the other platform commands they act on the platform the ``MICROCRED_*`` environment
configures, as a staff account (``--as``; default: the first platform operator). Errors become
one line on stderr and an exit code (:mod:`microcred.cli.errors`); ``ledger verify`` exits 1
when the ledger was tampered with.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from microcred.cli.errors import printable
from microcred.cli.platform import (
    AsOption,
    JsonOption,
    _echo,
    _json,
    issuer_app,
)
from microcred.cli.session import session
from microcred.errors import InvalidInput, NotFound, PermissionDenied

if TYPE_CHECKING:
    from microcred.services.anchoring import AnchoringRun, AnchorStatus
    from microcred.settings import Settings

__all__ = ["anchor_app", "background_anchoring", "ledger_app", "register"]

EXIT_TAMPERED = 1

anchor_app = typer.Typer(
    help="Anchoring: publish batch roots to the ledger, see how far it is.", no_args_is_help=True
)
ledger_app = typer.Typer(help="The embedded ledger: audit it.", no_args_is_help=True)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _run_json(run: AnchoringRun) -> dict[str, Any]:
    return {
        "ok": run.ok,
        "sealed": run.sealed,
        "published": run.published,
        "completed": run.completed,
        "proofsWritten": run.proofs_written,
        "problems": run.problems,
        "errors": list(run.errors),
        "checkpoint": None if run.checkpoint is None else run.checkpoint.to_json(),
    }


def _status_json(slug: str, did: str, status: AnchorStatus) -> dict[str, Any]:
    return {
        "issuer": slug,
        "issuerId": str(status.issuer_id),
        "did": did,
        "ledger": status.ledger_id,
        "pending": status.pending,
        "oldestPendingIssuedAt": _iso(status.oldest_pending_issued_at),
        "batchDue": status.batch_due,
        "batches": dict(status.batches),
        "problems": status.problems,
        "lastAnchoredAt": _iso(status.last_anchored_at),
        "recent": [
            {
                "id": str(b.id),
                "state": b.state,
                "size": b.size,
                "root": b.root,
                "locator": b.locator,
                "anchoredAt": _iso(b.anchored_at),
                "attempts": b.attempts,
                "lastError": b.last_error,
            }
            for b in status.recent
        ],
    }


# --------------------------------------------------------------------------- anchor


@anchor_app.command("run")
def anchor_run(
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Seal a batch of whatever waits, even if the size/age policy would wait.",
        ),
    ] = False,
    issuer: Annotated[
        str | None, typer.Option("--issuer", metavar="SLUG", help="Only this issuer.")
    ] = None,
    wait: Annotated[
        float,
        typer.Option(min=0, max=3600, help="Seconds to wait for a run in progress elsewhere."),
    ] = 60.0,
    as_user: AsOption = None,
    json_output: JsonOption = False,
) -> None:
    """Seal the batches that are due, publish their roots, write the anchor proofs.

    Exit status 0 when every ledger write succeeded, 1 when one failed (it is retried next
    run), 2 for an error before anything ran.
    """
    with session(as_user, issuer) as cmd:
        issuer_id = None if issuer is None else cmd.issuer.id
        run = cmd.platform.anchor_setup.runner.run(issuer_id=issuer_id, force=force, wait=wait)
        if json_output:
            _json(_run_json(run))
        else:
            _echo(
                f"{run.sealed} batch(es) sealed, {run.published} published, "
                f"{run.proofs_written} anchor proof(s) written"
                + (f", {run.problems} problem(s)" if run.problems else "")
            )
            if run.checkpoint is not None:
                cp = run.checkpoint.to_json()
                _echo(f"ledger checkpoint {cp['size']} root {cp['root']} at {cp['time']}")
            for error in run.errors:
                _echo(f"failed: {error}")
        if not run.ok:
            raise typer.Exit(1)


@anchor_app.command("reconcile")
def anchor_reconcile(
    batch: Annotated[
        str | None, typer.Option("--batch", metavar="ID", help="Only this batch (its id).")
    ] = None,
    issuer: Annotated[
        str | None, typer.Option("--issuer", metavar="SLUG", help="Only this issuer.")
    ] = None,
    wait: Annotated[
        float,
        typer.Option(min=0, max=3600, help="Seconds to wait for a run in progress elsewhere."),
    ] = 60.0,
    as_user: AsOption = None,
    json_output: JsonOption = False,
) -> None:
    """Re-check anchored batches against the ledger; anchor again the roots it lost.

    After a chain reset or a reorganisation deeper than the confirmation depth, a batch root
    the chain no longer has is anchored again (once) and its credentials' anchor proofs are
    rewritten to the new transaction. Platform operators only. Exit status 0 when every batch
    checked out, 1 when a ledger call failed (run it again), 2 for an error before anything ran.
    """
    with session(as_user, issuer) as cmd:
        batch_id: uuid.UUID | None = None
        if batch is not None:
            try:
                batch_id = uuid.UUID(batch)
            except ValueError:
                shown = printable(batch[:64], one_line=True)
                raise InvalidInput(f"--batch: {shown!r} is not a batch id") from None
        if not cmd.principal.is_operator:
            raise PermissionDenied("reconciling anchors needs a platform operator (--as)")
        issuer_id = None if issuer is None else cmd.issuer.id
        result = cmd.platform.anchor_setup.runner.reconcile(
            issuer_id=issuer_id, batch_id=batch_id, wait=wait
        )
        if json_output:
            _json(
                {
                    "ok": result.ok,
                    "checked": result.checked,
                    "reanchored": result.reanchored,
                    "proofsWritten": result.proofs_written,
                    "problems": result.problems,
                    "errors": list(result.errors),
                }
            )
        else:
            _echo(
                f"{_count(result.checked, 'batch', 'batches')} checked, "
                f"{result.reanchored} anchored again, "
                f"{_count(result.proofs_written, 'anchor proof')} rewritten"
                + (f", {result.problems} problem(s)" if result.problems else "")
            )
            for error in result.errors:
                _echo(f"failed: {error}")
        if not result.ok:
            raise typer.Exit(1)


@anchor_app.command("status")
def anchor_status(
    issuer: Annotated[
        str | None, typer.Option("--issuer", metavar="SLUG", help="Only this issuer.")
    ] = None,
    as_user: AsOption = None,
    json_output: JsonOption = False,
) -> None:
    """Per issuer: credentials waiting, batches by state, the last anchor."""
    with session(as_user) as cmd:
        rows = cmd.platform.anchor_setup.runner.overview(cmd.principal, issuer)
        if json_output:
            _json({"issuers": [_status_json(r.slug, r.did, r.status) for r in rows]})
            return
        if not rows:
            _echo("no issuers")
        for row in rows:
            s = row.status
            states = ", ".join(f"{n} {state}" for state, n in sorted(s.batches.items()) if n)
            _echo(row.slug)
            _echo(f"  ledger       {s.ledger_id}")
            waiting = _count(s.pending, "credential")
            if s.oldest_pending_issued_at is not None:
                waiting += f", the oldest issued {_moment(s.oldest_pending_issued_at)}"
            if s.batch_due:
                waiting += " (a batch is due)"
            _echo(f"  waiting      {waiting}")
            _echo(f"  batches      {states or 'none'}")
            last = s.last_anchored_at
            _echo(f"  last anchor  {'never' if last is None else _moment(last)}")
            if s.problems:
                _echo(f"  problems     {_count(s.problems, 'credential')} changed after batching")
            for batch in s.recent:
                if batch.last_error:
                    _echo(f"  batch {batch.id} {batch.state}: {batch.last_error}")


def _count(number: int, noun: str, plural: str | None = None) -> str:
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def _moment(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- ledger


@ledger_app.command("verify")
def ledger_verify(json_output: JsonOption = False) -> None:
    """Re-check the whole embedded ledger: every entry's hash and link, every checkpoint's
    signature, head and Merkle root. Exit 0 when intact, 1 when tampered with."""
    with session() as cmd:
        audit = cmd.platform.anchor_setup.embedded.verify_ledger()
    if json_output:
        _json(audit.to_json())
    elif audit.ok:
        _echo(
            f"ledger {audit.ledger_id} is intact: {_count(audit.entries, 'entry', 'entries')}, "
            f"{_count(audit.checkpoints, 'checkpoint')}"
        )
    else:
        more = f" (and {len(audit.problems) - 1} more)" if len(audit.problems) > 1 else ""
        sys.stderr.write(
            printable(f"ledger tampered: {audit.problems[0]}{more}", one_line=True) + "\n"
        )
        sys.stderr.flush()
    if not audit.ok:
        raise typer.Exit(EXIT_TAMPERED)


# --------------------------------------------------------------------------- key compromise


def _parse_time(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"--at {text!r} is not a date-time like 2026-03-01T12:00:00Z") from None
    if value.tzinfo is None:
        raise InvalidInput(f"--at {text!r} needs a timezone (e.g. a trailing Z for UTC)")
    return value


def issuer_compromise_key(
    slug: Annotated[str, typer.Argument(metavar="SLUG")],
    key_id: Annotated[
        str,
        typer.Argument(
            metavar="KEY_ID",
            help="The key: its id, its verification method, or its fragment (key-1).",
        ),
    ],
    at: Annotated[
        str,
        typer.Option(
            "--at", help="Earliest moment the key may have been exposed (RFC 3339, with zone)."
        ),
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")],
    as_user: AsOption = None,
    json_output: JsonOption = False,
) -> None:
    """Report a signing key compromised since --at: it is rotated out if active, and only
    credentials anchored before that time keep verifying."""
    with session(as_user, slug) as cmd:
        issuer = cmd.issuer
        when = _parse_time(at)
        keys = cmd.platform.issuers.list_keys(cmd.principal, issuer.id)
        chosen = [
            k
            for k in keys
            if key_id in (str(k.id), k.verification_method)
            or k.verification_method.endswith("#" + key_id)
        ]
        if len(chosen) != 1:
            known = ", ".join(k.verification_method.rpartition("#")[2] for k in keys)
            raise NotFound(f"issuer {issuer.slug} has no key {key_id!r} (its keys: {known})")
        info = cmd.platform.issuers.mark_key_compromised(
            cmd.principal, issuer.id, chosen[0].id, when, reason
        )
        # status lists signed with that key would no longer be trusted: sign them again
        resigned = cmd.platform.status.resign_lists(cmd.principal, issuer.id)
        if json_output:
            _json(
                {
                    "id": str(info.id),
                    "verificationMethod": info.verification_method,
                    "status": info.status,
                    "compromisedAt": _iso(info.compromised_at),
                    "statusListsResigned": resigned,
                }
            )
            return
        _echo(
            f"key {info.verification_method} marked compromised since {_iso(info.compromised_at)}"
        )
        _echo("credentials it signed verify only if they were anchored before that time")
        _echo(f"{resigned} status list(s) signed again with the current key")


# --------------------------------------------------------------------------- serve


@contextmanager
def background_anchoring(settings: Settings) -> Iterator[None]:
    """Run anchoring every ``MICROCRED_ANCHOR_INTERVAL_SECONDS`` in this process while the
    block runs (``microcred serve``); nothing when the interval is 0."""
    if settings.anchor_interval_seconds <= 0:
        yield
        return
    from microcred.services.anchoring_runner import AnchoringLoop
    from microcred.services.platform import build_platform

    # the same logging the server process sets up (a no-op when it is already configured)
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    platform = build_platform(settings, migrate_database=False)
    loop = AnchoringLoop(
        platform.anchor_setup.runner,
        settings.anchor_interval_seconds,
        reconcile_every=settings.anchor_reconcile_seconds or None,
    )
    loop.start()
    try:
        yield
    finally:
        loop.stop()
        platform.close()


# --------------------------------------------------------------------------- registration


def register(app: typer.Typer) -> None:
    """Add ``anchor``, ``ledger`` and ``issuer compromise-key`` to the command line."""
    app.add_typer(anchor_app, name="anchor")
    app.add_typer(ledger_app, name="ledger")
    issuer_app.command("compromise-key")(issuer_compromise_key)
