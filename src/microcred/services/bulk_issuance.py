"""Bulk issuance: a chunk of import rows -> signed, stored, status-allocated credentials.

What :meth:`IssuanceService.issue_in` does for one credential, done for a whole chunk (hundreds
of rows) inside the caller's transaction, with one statement per table instead of several per
credential:

1. credentials already stored under the rows' idempotency keys are *replayed* (no new one);
2. the learners are read in one query (by external id), merged with the row's fields in memory
   (fields left out keep the stored value, as ``issue_in`` does), and every credential is
   composed from the chunk's :class:`~microcred.definition.template.CredentialTemplate` (the
   output of :func:`~microcred.definition.compose_credential`, which validates the OB 3.0
   model, with the row's values filled in and checked). A row that cannot be composed is
   refused alone, with the reason;
3. new learners are inserted and changed ones updated (``executemany``);
4. status entries for the whole chunk come from ``StatusService.allocate_entries_bulk`` (one
   ``INSERT … ON CONFLICT DO NOTHING RETURNING`` per round; the primary key
   ``(list, index)`` still guarantees that no index is handed out twice);
5. every credential is signed with the issuer's key through the pipeline's cryptosuite —
   ``eddsa-rdfc-2022`` canonicalises with the compiled-shape fast path (one shape per
   definition, compiled once per process; JSON-LD safe mode is part of compiling a shape);
6. self-verification (see below), then credentials, claim e-mails (outbox) and audit entries
   (one per credential) are inserted with one ``COPY`` each on PostgreSQL
   (:func:`~microcred.storage.bulk_insert.insert_many`; ``executemany`` on SQLite).

Self-verification in bulk: the first credential of every chunk goes through the full
self-verification of the issuance pipeline (the platform verifier: DID resolution, every
check) and its proof is verified again from the stored form (canonicalisation, hash, Ed25519);
*every* credential's signature is verified with the issuer's public key over the exact bytes
it signs, as it is made. What is skipped for the other credentials (DID resolution, the
document checks, recomputing the canonical form) depends only on the shape, the issuer and
deterministic code — identical for every credential of the chunk, and checked on the first
(ADR 0010).

Nothing here commits: the caller's unit of work does (with the import rows' marks), so a chunk
is stored completely or not at all.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Table, bindparam, insert, select, update

from microcred.anchoring.proof import credential_digest
from microcred.definition.template import CredentialTemplate
from microcred.did.dereference import VerificationMethod
from microcred.errors import Conflict, InvalidInput, ProofError
from microcred.issuance import IssuancePipeline
from microcred.keys.ed25519 import verify_ed25519
from microcred.keys.multikey import decode_public_multikey
from microcred.keys.protocols import Signer
from microcred.model import Achievement, IdentityObject, hash_email
from microcred.proof.data_integrity import verify_proofs
from microcred.proof.registry import CryptosuiteRegistry
from microcred.services._support import issuer_profile, request_digest
from microcred.services.access import Principal
from microcred.services.mail import claim_message
from microcred.storage import (
    AuditEntry,
    Credential,
    CredentialState,
    DefinitionVersion,
    Learner,
    OutboxMessage,
    UnitOfWork,
)
from microcred.storage.bulk_insert import insert_many
from microcred.storage.translate import translated_errors

__all__ = ["BulkIssuance", "BulkOutcome", "BulkRow", "StatusBulkAllocator"]

_LEARNERS: Table = Learner.__table__  # type: ignore[assignment]
_CREDENTIALS: Table = Credential.__table__  # type: ignore[assignment]
_OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]
_AUDIT: Table = AuditEntry.__table__  # type: ignore[assignment]
_LEARNER_FIELDS = ("name", "email", "did", "external_id")
_CLAIM_PATH = "/claim/"


class StatusBulkAllocator(Protocol):
    """``StatusService.allocate_entries_bulk``."""

    def allocate_entries_bulk(
        self, tx: UnitOfWork, issuer_id: uuid.UUID, credential_ids: Sequence[uuid.UUID]
    ) -> list[list[dict[str, Any]]]: ...


class _Signers(Protocol):
    def signer_for_issuer(self, issuer_id: uuid.UUID) -> AbstractContextManager[Signer]: ...


@dataclass(frozen=True)
class BulkRow:
    """One row to issue: its number and its validated issue request (``IssueRequest``)."""

    row_number: int
    request: Any


@dataclass(frozen=True)
class BulkOutcome:
    """What became of a row: a credential id (new or replayed), or the reason it failed."""

    row_number: int
    credential_id: uuid.UUID | None
    error: str | None = None
    replayed: bool = False


@dataclass
class _Pending:
    row: BulkRow
    digest: str
    learner_id: uuid.UUID
    learner: dict[str, Any]
    learner_new: bool
    learner_changes: dict[str, Any]
    credential_id: uuid.UUID
    credential_uri: str
    unsigned: dict[str, Any]


class _KeyOnly:
    """Resolves exactly the signing key's verification method (proof re-check after signing)."""

    def __init__(self, signer: Signer) -> None:
        controller = signer.verification_method.split("#", 1)[0]
        self._method = VerificationMethod(
            id=signer.verification_method,
            type="Multikey",
            controller=controller,
            public_key=decode_public_multikey(signer.public_key_multibase),
        )

    def resolve(self, vm_url: str, purpose: str = "assertionMethod") -> VerificationMethod:
        if vm_url != self._method.id:
            raise ProofError(f"unexpected verification method {vm_url}")
        return self._method


class _CheckedSigner:
    """The issuer's signer, each signature verified with its public key as it is made.

    Every credential's signature is checked against the signing key over the very bytes it
    signs (the canonical hashes); that those bytes are what a verifier recomputes from the
    stored document is checked on the first credential of every chunk (same shape, same
    deterministic canonicalisation for the rest).
    """

    def __init__(self, signer: Signer) -> None:
        self._signer = signer
        self._public = decode_public_multikey(signer.public_key_multibase)

    @property
    def algorithm(self) -> str:
        return self._signer.algorithm

    @property
    def verification_method(self) -> str:
        return self._signer.verification_method

    @property
    def public_key_multibase(self) -> str:
        return self._signer.public_key_multibase

    def sign(self, data: bytes) -> bytes:
        signature = self._signer.sign(data)
        if not verify_ed25519(self._public, data, signature):
            raise ProofError(
                "a signature did not verify with the issuer's public key, so the chunk was "
                "not issued"
            )
        return signature


#: ``sign_many(issuer_id, documents, suite, now) -> signed documents`` (same order); the
#: default signs in this process, a pool of processes may do it instead.
SignMany = Callable[[uuid.UUID, list[dict[str, Any]], str, datetime], list[dict[str, Any]]]


class BulkIssuance:
    """Issue chunks of import rows (see the module docstring).

    Built by :meth:`IssuanceService.bulk` from the issuance service's own collaborators, so a
    bulk credential is signed, allocated and announced exactly like a single one.
    """

    def __init__(
        self,
        signers: _Signers,
        pipeline: IssuancePipeline,
        registry: CryptosuiteRegistry,
        status: StatusBulkAllocator | None,
        *,
        base_url: str,
        suite: str,
    ) -> None:
        self._signers = signers
        self._pipeline = pipeline
        self._registry = registry
        self._status = status
        self._base_url = base_url.rstrip("/")
        self._suite = suite
        self._achievements: dict[tuple[uuid.UUID, int], Achievement] = {}

    # ------------------------------------------------------------------ signing

    def sign_many(
        self, issuer_id: uuid.UUID, documents: list[dict[str, Any]], suite: str, now: datetime
    ) -> list[dict[str, Any]]:
        """Sign ``documents`` with the issuer's key; verify every proof against that key.

        Raises :class:`ProofError` if any proof does not verify (nothing is then stored).
        """
        if not documents:
            return []
        with self._signers.signer_for_issuer(issuer_id) as signer:
            checked = _CheckedSigner(signer)
            signed = [self._pipeline.sign(doc, checked, suite, now=now) for doc in documents]
            keys = _KeyOnly(signer)
        # the first proof again from the document as stored (canonicalisation included)
        results = verify_proofs(signed[0], self._registry, keys)
        if not results or not all(result.verified for result in results):
            raise ProofError(
                "a credential did not verify right after signing, so the chunk was not issued"
            )
        return signed

    # ------------------------------------------------------------------ one chunk

    def issue_chunk(
        self,
        tx: UnitOfWork,
        principal: Principal,
        issuer_id: uuid.UUID,
        version: DefinitionVersion,
        rows: Sequence[BulkRow],
        *,
        now: datetime,
        sign_many: SignMany | None = None,
    ) -> list[BulkOutcome]:
        """Issue ``rows`` (requests of one definition version) in ``tx``; one outcome per row.

        Access is the caller's business (``credential:issue`` and ``learner:write`` checked
        once per job). Raises :class:`Conflict` with ``retryable`` when a concurrent writer
        inserted one of the chunk's learners first (run the transaction again), and
        :class:`ProofError` when a signature does not verify.
        """
        outcomes: dict[int, BulkOutcome] = {}
        issuer = tx.issuers.get(issuer_id)
        profile = issuer_profile(issuer)
        achievement = self._achievement(version)
        template = CredentialTemplate(achievement, profile)
        digests = {
            row.row_number: request_digest(
                "issue", row.request.to_json() | {"idempotencyKey": None}
            )
            for row in rows
        }
        todo = self._replay(tx, issuer_id, rows, digests, outcomes)
        learners = self._learners(tx, issuer_id, todo)
        pending: list[_Pending] = []
        for row in todo:
            learner_id, stored, changes = learners[row.row_number]
            merged = dict(stored or {}) | changes
            try:
                pending.append(
                    self._compose(
                        row,
                        digests[row.row_number],
                        learner_id,
                        stored,
                        merged,
                        changes,
                        template,
                        now,
                    )
                )
            except InvalidInput as exc:
                outcomes[row.row_number] = BulkOutcome(row.row_number, None, exc.detail[:2000])
        if pending:
            self._write_learners(tx, issuer_id, pending, now)
            if self._status is not None:
                entries = self._status.allocate_entries_bulk(
                    tx, issuer_id, [p.credential_id for p in pending]
                )
                for item, status in zip(pending, entries, strict=True):
                    item.unsigned["credentialStatus"] = status
            with self._signers.signer_for_issuer(issuer_id) as signer:
                # the full pipeline once per chunk: model, expiry, issuer = key's DID, safe mode
                self._pipeline.validate(pending[0].unsigned, now=now, signer=signer)
            signer_fn = sign_many or self.sign_many
            signed = signer_fn(issuer_id, [p.unsigned for p in pending], self._suite, now)
            self._pipeline.self_verify(signed[0])
            self._store(tx, principal, issuer, version, achievement, pending, signed, now)
            for item in pending:
                outcomes[item.row.row_number] = BulkOutcome(item.row.row_number, item.credential_id)
        return [outcomes[row.row_number] for row in rows]

    # ------------------------------------------------------------------ steps

    def _achievement(self, version: DefinitionVersion) -> Achievement:
        key = (version.id, version.version)
        found = self._achievements.get(key)
        if found is None:
            found = Achievement.from_json(version.achievement)
            if len(self._achievements) > 64:
                self._achievements.clear()
            self._achievements[key] = found
        return found

    @staticmethod
    def _replay(
        tx: UnitOfWork,
        issuer_id: uuid.UUID,
        rows: Sequence[BulkRow],
        digests: Mapping[int, str],
        outcomes: dict[int, BulkOutcome],
    ) -> list[BulkRow]:
        """Rows whose idempotency key already has a credential get it back; the rest."""
        keys = {row.request.idempotency_key: row for row in rows if row.request.idempotency_key}
        if not keys:
            return list(rows)
        query = select(
            _CREDENTIALS.c.idempotency_key, _CREDENTIALS.c.id, _CREDENTIALS.c.request_digest
        ).where(
            _CREDENTIALS.c.issuer_id == issuer_id,
            _CREDENTIALS.c.idempotency_key.in_(list(keys)),
        )
        for key, credential_id, digest in tx.session.execute(query).all():
            row = keys[key]
            if digest != digests[row.row_number]:
                outcomes[row.row_number] = BulkOutcome(
                    row.row_number,
                    None,
                    "this idempotency key was already used for a different request",
                )
            else:
                outcomes[row.row_number] = BulkOutcome(row.row_number, credential_id, replayed=True)
        return [row for row in rows if row.row_number not in outcomes]

    @staticmethod
    def _learners(
        tx: UnitOfWork, issuer_id: uuid.UUID, rows: Sequence[BulkRow]
    ) -> dict[int, tuple[uuid.UUID, dict[str, Any] | None, dict[str, Any]]]:
        """Per row: the learner id, the stored learner's fields (None: new) and the changes."""
        external = [
            row.request.learner.external_id
            for row in rows
            if row.request.learner is not None and row.request.learner.external_id
        ]
        stored: dict[str, dict[str, Any]] = {}
        if external:
            query = select(_LEARNERS.c.id, *(_LEARNERS.c[name] for name in _LEARNER_FIELDS)).where(
                _LEARNERS.c.issuer_id == issuer_id, _LEARNERS.c.external_id.in_(external)
            )
            for found in tx.session.execute(query).mappings():
                stored[found["external_id"]] = dict(found)
        result: dict[int, tuple[uuid.UUID, dict[str, Any] | None, dict[str, Any]]] = {}
        seen: dict[str, uuid.UUID] = {}
        for row in rows:
            data = row.request.learner
            if data is None:
                raise InvalidInput("bulk issuance needs the learner inline")
            given = {name: getattr(data, name) for name in data.model_fields_set}
            given["name"] = data.name
            existing = stored.get(data.external_id) if data.external_id else None
            if existing is not None:
                changes = {k: v for k, v in given.items() if existing.get(k) != v}
                result[row.row_number] = (existing["id"], existing, changes)
                continue
            if data.external_id and data.external_id in seen:
                raise Conflict("the same student id appears twice in one chunk")
            learner_id = uuid.uuid4()
            if data.external_id:
                seen[data.external_id] = learner_id
            fields = {name: getattr(data, name) for name in _LEARNER_FIELDS}
            result[row.row_number] = (learner_id, None, fields)
        return result

    def _compose(
        self,
        row: BulkRow,
        digest: str,
        learner_id: uuid.UUID,
        stored: dict[str, Any] | None,
        merged: dict[str, Any],
        changes: dict[str, Any],
        template: CredentialTemplate,
        now: datetime,
    ) -> _Pending:
        request = row.request
        subject: str | IdentityObject
        if merged.get("did"):
            subject = str(merged["did"])
        elif merged.get("email"):
            subject = hash_email(str(merged["email"]))
        else:
            raise InvalidInput(
                "the learner has neither a DID nor an e-mail address, so the credential could "
                "not name them; add one of the two to the learner"
            )
        if request.valid_until is not None and request.valid_until <= now:
            raise InvalidInput(
                f"the credential expires ({request.valid_until.isoformat()}) before it is "
                f"issued ({now.isoformat()})"
            )
        credential_uri = f"urn:uuid:{uuid.uuid4()}"
        unsigned = template.compose(
            subject,
            credential_id=credential_uri,
            valid_from=now,
            valid_until=request.valid_until,
            result=request.result or None,
            evidence=request.evidence or None,
        )
        return _Pending(
            row=row,
            digest=digest,
            learner_id=learner_id,
            learner=merged,
            learner_new=stored is None,
            learner_changes=changes if stored is not None else {},
            credential_id=uuid.uuid4(),
            credential_uri=credential_uri,
            unsigned=unsigned,
        )

    @staticmethod
    def _write_learners(
        tx: UnitOfWork, issuer_id: uuid.UUID, pending: Sequence[_Pending], now: datetime
    ) -> None:
        new = [
            {
                "id": p.learner_id,
                "issuer_id": issuer_id,
                **{name: p.learner.get(name) for name in _LEARNER_FIELDS},
                "created_at": now,
                "updated_at": None,
            }
            for p in pending
            if p.learner_new
        ]
        if new:
            try:
                with translated_errors("learner"), tx.session.begin_nested():
                    tx.session.execute(insert(_LEARNERS), new)
            except Conflict as exc:
                # another worker stored one of these learners meanwhile: run the chunk again
                raise Conflict(exc.detail, retryable=True) from None
        changed: dict[uuid.UUID, dict[str, Any]] = {}
        for p in pending:
            if p.learner_changes:
                changed[p.learner_id] = p.learner  # later rows win, as sequential issuing would
        if changed:
            statement = (
                update(_LEARNERS)
                .where(_LEARNERS.c.id == bindparam("learner_id"))
                .values(
                    name=bindparam("new_name"),
                    email=bindparam("new_email"),
                    did=bindparam("new_did"),
                    updated_at=bindparam("new_updated_at"),
                )
            )
            with translated_errors("learner"):
                tx.session.connection().execute(
                    statement,
                    [
                        {
                            "learner_id": learner_id,
                            "new_name": fields.get("name"),
                            "new_email": fields.get("email"),
                            "new_did": fields.get("did"),
                            "new_updated_at": now,
                        }
                        for learner_id, fields in changed.items()
                    ],
                )

    def _store(
        self,
        tx: UnitOfWork,
        principal: Principal,
        issuer: Any,
        version: DefinitionVersion,
        achievement: Achievement,
        pending: Sequence[_Pending],
        signed: Sequence[dict[str, Any]],
        now: datetime,
    ) -> None:
        credentials: list[dict[str, Any]] = []
        mails: list[dict[str, Any]] = []
        audits: list[dict[str, Any]] = []
        for item, document in zip(pending, signed, strict=True):
            token = secrets.token_urlsafe(32)
            credentials.append(
                {
                    "id": item.credential_id,
                    "issuer_id": issuer.id,
                    "definition_version_id": version.id,
                    "learner_id": item.learner_id,
                    "credential_uri": item.credential_uri,
                    "document": document,
                    "state": CredentialState.ISSUED,
                    "issued_at": now,
                    "idempotency_key": item.row.request.idempotency_key,
                    "request_digest": item.digest,
                    "claim_token_hash": _token_hash(token),
                    # the anchoring leaf digest, so sealing a batch never reads the document
                    "anchor_digest": credential_digest(document),
                }
            )
            email = item.learner.get("email")
            if email:
                message = claim_message(
                    issuer_id=issuer.id,
                    to_address=str(email),
                    learner_name=str(item.learner.get("name") or ""),
                    issuer_name=issuer.name,
                    credential_name=achievement.name,
                    claim_url=f"{self._base_url}{_CLAIM_PATH}{token}",
                )
                mails.append(
                    {
                        "id": message.id,
                        "to_address": message.to_address,
                        "subject": message.subject,
                        "body_text": message.body_text,
                        "body_html": message.body_html,
                        "issuer_id": message.issuer_id,
                        "created_at": now,
                        "attempts": 0,
                    }
                )
            audits.append(
                {
                    "action": "credential.issue",
                    "issuer_id": issuer.id,
                    "actor_user_id": principal.user_id,
                    "actor_token_id": principal.token_id,
                    "target_type": "credential",
                    "target_id": str(item.credential_id),
                    "ip": principal.ip[:45] if principal.ip else None,
                    "details": {
                        "credential": item.credential_uri,
                        "definition": str(version.definition_id),
                        "version": version.version,
                        "learner": str(item.learner_id),
                    },
                    "at": now,
                }
            )
        connection = tx.session.connection()
        try:
            with translated_errors("credential"):
                insert_many(connection, _CREDENTIALS, credentials)
                insert_many(connection, _OUTBOX, mails)
                insert_many(connection, _AUDIT, audits)
        except Conflict as exc:
            extra = dict(exc.extra) | {"retryable": True}
            raise Conflict(exc.detail, **extra) from None


def _token_hash(token: str) -> str:
    from microcred.services.issuance import claim_token_hash

    return claim_token_hash(token)
