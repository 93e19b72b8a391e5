"""Admin API: an issuer's anchoring (status, anchor now) and reporting a compromised key.

* ``GET /api/v1/issuers/{issuer_id}/anchoring`` — credentials waiting for an anchor, batches
  by state, the last anchor, recent batches (``credential:read``);
* ``POST /api/v1/issuers/{issuer_id}/anchoring/run`` — anchor the waiting credentials now
  (``issuer:manage``: the issuer's admins and platform operators); ``409`` while another run
  (the background loop, another server) holds the run lock;
* ``POST /api/v1/issuers/{issuer_id}/keys/{key_id}/compromise`` — report a signing key as
  compromised since a time (``keys:manage``): from then on only credentials anchored before
  that time keep verifying (docs/anchoring.md, "Key compromise"); the issuer's status lists
  are re-signed with its current key.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from microcred.api.deps import PlatformDep, PrincipalDep
from microcred.api.errors import ProblemRoute, problem_responses
from microcred.api.schemas import In, JsonDateTime, KeyOut, Out, key_out
from microcred.services.anchoring import AnchoringRun, AnchorStatus, BatchInfo

__all__ = [
    "AnchorStatusOut",
    "AnchoringRunOut",
    "BatchOut",
    "CompromisedKeyOut",
    "KeyCompromise",
    "router",
]

router = APIRouter(prefix="/api/v1", tags=["Anchoring"], route_class=ProblemRoute)


class BatchOut(Out):
    id: uuid.UUID
    state: str = Field(description="sealed -> published -> completed")
    size: int
    root: str = Field(description="The Merkle root, hex")
    ledger_id: str
    sealed_at: datetime
    locator: str | None = Field(description="Where on the ledger (entry index / tx hash)")
    account: str | None
    anchored_at: datetime | None
    completed_at: datetime | None
    attempts: int
    last_error: str | None


class AnchorStatusOut(Out):
    issuer_id: uuid.UUID
    ledger_id: str = Field(description="The ledger this issuer anchors on")
    pending: int = Field(description="Credentials not yet in a batch")
    oldest_pending_issued_at: datetime | None
    batch_due: bool = Field(description="Whether the next run seals a batch")
    batches: dict[str, int] = Field(description="Batches by state")
    problems: int = Field(description="Credentials that changed after being batched")
    last_anchored_at: datetime | None
    recent: list[BatchOut] = Field(description="The newest batches")


class CheckpointRef(Out):
    size: int
    root: str
    time: str


class AnchoringRunOut(Out):
    ok: bool = Field(description="False when a ledger failed (see errors; retried next run)")
    sealed: int
    published: int
    completed: int
    proofs_written: int
    problems: int
    errors: list[str]
    checkpoint: CheckpointRef | None = Field(
        description="The embedded ledger checkpoint signed after publishing"
    )


class KeyCompromise(In):
    reason: str = Field(
        min_length=1, max_length=1000, description="Why (kept in the audit log, never published)"
    )
    compromised_at: JsonDateTime | None = Field(
        default=None,
        description="The earliest moment the key may have been exposed (RFC 3339 with a "
        "timezone); default: now. Not in the future, not before the key was created.",
    )


class CompromisedKeyOut(KeyOut):
    compromised_at: datetime | None
    status_lists_resigned: int = Field(
        description="Status lists re-signed with the issuer's current key (the old signature "
        "would no longer be trusted)"
    )


def _batch_out(info: BatchInfo) -> BatchOut:
    return BatchOut(
        id=info.id,
        state=info.state,
        size=info.size,
        root=info.root,
        ledger_id=info.ledger_id,
        sealed_at=info.sealed_at,
        locator=info.locator,
        account=info.account,
        anchored_at=info.anchored_at,
        completed_at=info.completed_at,
        attempts=info.attempts,
        last_error=info.last_error,
    )


def status_out(status: AnchorStatus) -> AnchorStatusOut:
    return AnchorStatusOut(
        issuer_id=status.issuer_id,
        ledger_id=status.ledger_id,
        pending=status.pending,
        oldest_pending_issued_at=status.oldest_pending_issued_at,
        batch_due=status.batch_due,
        batches=dict(status.batches),
        problems=status.problems,
        last_anchored_at=status.last_anchored_at,
        recent=[_batch_out(b) for b in status.recent],
    )


def run_out(run: AnchoringRun) -> AnchoringRunOut:
    checkpoint = None
    if run.checkpoint is not None:
        checkpoint = CheckpointRef(
            size=run.checkpoint.size,
            root=run.checkpoint.tree_root.hex(),
            time=run.checkpoint.to_json()["time"],
        )
    return AnchoringRunOut(
        ok=run.ok,
        sealed=run.sealed,
        published=run.published,
        completed=run.completed,
        proofs_written=run.proofs_written,
        problems=run.problems,
        errors=list(run.errors),
        checkpoint=checkpoint,
    )


@router.get(
    "/issuers/{issuer_id}/anchoring",
    operation_id="issuerAnchoringStatus",
    summary="How far anchoring is: waiting credentials, batches, the last anchor",
    response_model=AnchorStatusOut,
    responses=problem_responses(401, 403, 404, 422),
)
def anchoring_status(
    issuer_id: uuid.UUID, principal: PrincipalDep, platform: PlatformDep
) -> AnchorStatusOut:
    return status_out(platform.anchor_setup.runner.status(principal, issuer_id))


@router.post(
    "/issuers/{issuer_id}/anchoring/run",
    operation_id="runIssuerAnchoring",
    summary="Anchor the issuer's waiting credentials now (admins, operators)",
    response_model=AnchoringRunOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def anchoring_run(
    issuer_id: uuid.UUID,
    principal: PrincipalDep,
    platform: PlatformDep,
    force: Annotated[
        bool,
        Query(description="Seal a batch even if the size/age policy would still wait"),
    ] = True,
) -> AnchoringRunOut:
    return run_out(platform.anchor_setup.runner.run_for(principal, issuer_id, force=force))


@router.post(
    "/issuers/{issuer_id}/keys/{key_id}/compromise",
    tags=["Issuers"],
    operation_id="compromiseIssuerKey",
    summary="Report a signing key compromised since a time (rotates it out if active)",
    response_model=CompromisedKeyOut,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
)
def compromise_key(
    issuer_id: uuid.UUID,
    key_id: uuid.UUID,
    body: KeyCompromise,
    principal: PrincipalDep,
    platform: PlatformDep,
) -> CompromisedKeyOut:
    info = platform.issuers.mark_key_compromised(
        principal, issuer_id, key_id, body.compromised_at, body.reason
    )
    # The status lists were signed with that key and are not anchored: without a new
    # signature verifiers would stop trusting them (idempotent, like the call above).
    resigned = platform.status.resign_lists(principal, issuer_id)
    base = key_out(info)
    return CompromisedKeyOut(
        **base.model_dump(), compromised_at=info.compromised_at, status_lists_resigned=resigned
    )
