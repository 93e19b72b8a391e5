"""Public audit API of the embedded ledger (``/ledger/…``; no authentication).

Anyone may check that the platform's ledger history was never rewritten (docs/anchoring.md,
"Auditing the embedded ledger"):

* ``GET /ledger/checkpoints`` — signed checkpoints (size, head hash, RFC 9162 tree head, time,
  Ed25519 signature by the ledger key), newest first;
* ``GET /ledger/entries/{root}`` — the entry that recorded a batch root, with its audit path
  in the newest checkpoint's tree (so one signed checkpoint vouches for it);
* ``GET /ledger/consistency?first=N&second=M`` — an RFC 9162 §2.1.4 consistency proof that
  checkpoint ``N`` is a prefix of checkpoint ``M``.

Nothing here reveals a credential: a root is a hash over a batch of credential fingerprints,
an entry names the issuer (its DID) and the time.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from microcred.anchoring.backends.embedded import Checkpoint, EmbeddedLedger, EntryRecord
from microcred.api.deps import PlatformDep
from microcred.api.errors import ProblemRoute, problem_responses
from microcred.errors import InvalidInput, NotFound
from microcred.services.platform import Platform

__all__ = [
    "CheckpointListOut",
    "CheckpointOut",
    "ConsistencyOut",
    "EntryOut",
    "EntryProofOut",
    "router",
]

router = APIRouter(prefix="/ledger", tags=["Ledger"], route_class=ProblemRoute)

_HEX32 = "^[0-9a-f]{64}$"
_PUBLIC = {"Access-Control-Allow-Origin": "*"}
#: checkpoints and entries never change once written; the list grows
_IMMUTABLE = "public, max-age=86400, immutable"
_GROWING = "public, max-age=10"

Size = Annotated[int, Query(ge=1, le=2**62, description="A checkpoint's size (its entry count)")]


class CheckpointOut(BaseModel):
    """A signed checkpoint. The signature (Ed25519, multibase base64url) covers
    ``"microcred-ledger-checkpoint/v1\\n" || JCS({ledger, size, head, root, time})``."""

    ledger: str = Field(description="The ledger id: the did:key of the ledger key")
    size: int = Field(description="Number of entries covered")
    head: str = Field(pattern=_HEX32, description="entry_hash of the last covered entry")
    root: str = Field(pattern=_HEX32, description="RFC 9162 tree head over the entry hashes")
    time: str = Field(description="When it was signed (UTC, whole seconds)")
    verificationMethod: str = Field(description="The signing key (did:key …#…)")  # noqa: N815
    signature: str = Field(description="Ed25519 signature, multibase base64url ('u…')")


class CheckpointListOut(BaseModel):
    ledger: str
    verificationMethod: str  # noqa: N815 - JSON casing
    size: int = Field(description="Entries in the ledger now")
    checkpoints: list[CheckpointOut] = Field(description="Newest first")


class EntryOut(BaseModel):
    """One ledger entry; ``hash`` = SHA-256("microcred-ledger-entry/v1\\n" || JCS({index,
    root, batch, account, time, prev}))."""

    index: int
    root: str = Field(pattern=_HEX32, description="The batch's Merkle root")
    batch: str = Field(description="The anchoring batch id")
    account: str = Field(description="Who published it: the issuer's DID")
    time: str = Field(description="The ledger's time for the entry (UTC)")
    prev: str = Field(pattern=_HEX32, description="The previous entry's hash (zeros for 0)")
    hash: str = Field(pattern=_HEX32)


class EntryProofOut(BaseModel):
    ledger: str
    entry: EntryOut
    checkpoint: CheckpointOut | None = Field(
        description="The newest checkpoint covering the entry (none yet: null)"
    )
    inclusion: list[str] | None = Field(
        description="Audit path (RFC 9162 §2.1.3) of the entry hash in that checkpoint's tree"
    )


class ConsistencyOut(BaseModel):
    old: CheckpointOut
    new: CheckpointOut
    proof: list[str] = Field(description="RFC 9162 §2.1.4 consistency proof, hex hashes")


def _ledger(platform: Platform) -> EmbeddedLedger:
    return platform.anchor_setup.embedded


def _json(body: Any, cache: str) -> JSONResponse:
    return JSONResponse(body, headers={**_PUBLIC, "Cache-Control": cache})


@router.get(
    "/checkpoints",
    operation_id="ledgerCheckpoints",
    summary="Signed checkpoints of the embedded ledger, newest first (public)",
    response_model=CheckpointListOut,
    responses=problem_responses(422),
)
def checkpoints(
    platform: PlatformDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before_size: Annotated[
        int | None,
        Query(alias="beforeSize", ge=1, le=2**62, description="Page: sizes below this"),
    ] = None,
) -> JSONResponse:
    ledger = _ledger(platform)
    found = ledger.checkpoints(limit=limit, before_size=before_size)
    body = {
        "ledger": ledger.ledger_id,
        "verificationMethod": ledger.verification_method,
        "size": ledger.size(),
        "checkpoints": [c.to_json() for c in found],
    }
    return _json(body, _GROWING)


@router.get(
    "/entries/{root}",
    operation_id="ledgerEntry",
    summary="The entry that recorded a batch root, with its audit path (public)",
    response_model=EntryProofOut,
    responses=problem_responses(404, 422),
)
def entry(
    root: Annotated[
        str,
        Path(
            pattern="^[0-9a-fA-F]{64}$",
            description="The root, 64 hex digits (as in an anchor proof or a batch)",
        ),
    ],
    platform: PlatformDep,
) -> JSONResponse:
    ledger = _ledger(platform)
    record: EntryRecord | None = ledger.entry_by_root(bytes.fromhex(root))
    if record is None:
        raise NotFound(f"the ledger has no entry for root {root.lower()}")
    latest: Checkpoint | None = ledger.latest_checkpoint()
    checkpoint: dict[str, Any] | None = None
    inclusion: list[str] | None = None
    if latest is not None and latest.size > record.index:
        _, path = ledger.entry_inclusion(record.index, latest.size)
        checkpoint = latest.to_json()
        inclusion = [h.hex() for h in path]
    body = {
        "ledger": ledger.ledger_id,
        "entry": record.to_json(),
        "checkpoint": checkpoint,
        "inclusion": inclusion,
    }
    return _json(body, _GROWING)


@router.get(
    "/consistency",
    operation_id="ledgerConsistency",
    summary="Proof that an older checkpoint is a prefix of a newer one (public)",
    response_model=ConsistencyOut,
    responses=problem_responses(400, 404, 422),
)
def consistency(platform: PlatformDep, first: Size, second: Size) -> JSONResponse:
    if first > second:
        raise InvalidInput("first must not be larger than second (sizes of two checkpoints)")
    proof = _ledger(platform).consistency(first, second)
    return _json(proof.to_json(), _IMMUTABLE)
