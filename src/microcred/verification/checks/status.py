"""The ``status`` check family: revocation and suspension through Bitstring Status Lists.

Implements W3C *Bitstring Status List v1.0* §3.2 "Validate Algorithm" for every
``credentialStatus`` entry of type ``BitstringStatusListEntry`` (and, read only, the legacy
``StatusList2021Entry``):

1. the entry is validated (§2.1): purpose, base-10 index, list URL, ``statusSize`` and
   ``statusMessage`` — a malformed one fails ``status.entry`` (``MALFORMED_VALUE_ERROR``);
2. the list credential is fetched through the injected
   :class:`~microcred.status.protocols.StatusListFetcher` (step 4; failure:
   ``STATUS_RETRIEVAL_ERROR``);
3. the list is validated: it is a ``BitstringStatusListCredential`` (§2.2); its proofs verify and
   its validity period covers now — through the injected ``list_verifier``, normally the same
   :class:`~microcred.verification.verifier.Verifier`; its issuer is the credential's issuer (a
   stricter rule than the specification's, which *allows* another status authority: we do not
   know whom else to trust); its ``statusPurpose`` includes the entry's (step 5); the expanded
   bitstring holds at least 131,072 entries of ``statusSize`` bits (step 9). Any failure:
   ``STATUS_VERIFICATION_ERROR`` / ``STATUS_LIST_LENGTH_ERROR``;
4. the value at ``statusListIndex × statusSize`` is read (step 10; outside the list:
   ``RANGE_ERROR``) and reported in plain words.

Outcomes (codes are stable, see ``docs/status-lists.md``):

====================  =====================================================================
``status``            skipped: no ``credentialStatus``
``status.revocation`` passed "Not revoked (checked against the issuer's list updated …)";
                      failed "Revoked by the issuer."
``status.suspension`` passed "Not suspended (…)"; failed "Suspended by the issuer."
``status.refresh``    passed, or warning when the issuer flags a newer version
``status.message``    passed, giving the issuer's status message for the value
``status.unknown``    failed "Status unknown: the list could not be fetched …" or "…is not
                      valid …" — a verifier that cannot learn the status does not vouch for it
``status.entry``      failed: the entry itself is malformed or points outside its list
``status.unsupported`` warning: a status mechanism or purpose this verifier does not know
====================  =====================================================================

Each result's ``details`` carries ``purpose``, ``statusListCredential``, ``statusListIndex``
and, on errors, ``error`` (the specification's error name) and ``type`` (its URL).
"""

from __future__ import annotations

import contextvars
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol

from microcred.errors import StatusError
from microcred.status.bitstring import (
    DEFAULT_MAX_BYTES,
    LENGTH_ERROR,
    MIN_ENTRIES,
    VERIFICATION_ERROR,
    StatusBitstring,
    check_list_length,
)
from microcred.status.credentials import StatusListCredentialInfo, read_status_list_credential
from microcred.status.lists import BITSTRING_ENTRY, LEGACY_ENTRY, StatusEntryRef, parse_status_entry
from microcred.status.protocols import FetchedStatusList, StatusListFetcher
from microcred.verification.checks.base import CheckContext, as_list, format_day, issuer_id
from microcred.verification.report import CheckResult

__all__ = [
    "STATUS",
    "STATUS_CODES",
    "STATUS_ENTRY",
    "STATUS_MESSAGE",
    "STATUS_REFRESH",
    "STATUS_REVOCATION",
    "STATUS_SUSPENSION",
    "STATUS_UNKNOWN",
    "STATUS_UNSUPPORTED",
    "ListReport",
    "ListVerifier",
    "StatusCheck",
]

STATUS: Final = "status"
STATUS_REVOCATION: Final = "status.revocation"
STATUS_SUSPENSION: Final = "status.suspension"
STATUS_REFRESH: Final = "status.refresh"
STATUS_MESSAGE: Final = "status.message"
STATUS_UNKNOWN: Final = "status.unknown"
STATUS_ENTRY: Final = "status.entry"
STATUS_UNSUPPORTED: Final = "status.unsupported"
#: Every code this family reports.
STATUS_CODES: Final = (
    STATUS,
    STATUS_REVOCATION,
    STATUS_SUSPENSION,
    STATUS_REFRESH,
    STATUS_MESSAGE,
    STATUS_UNKNOWN,
    STATUS_ENTRY,
    STATUS_UNSUPPORTED,
)

_CLOCK_SKEW: Final = timedelta(minutes=5)
# A list credential being verified must not have its own status checked (a list pointing at
# itself would recurse): the nested verification sees this flag and skips the family.
_NESTED: contextvars.ContextVar[bool] = contextvars.ContextVar("status_list_nested", default=False)


class ListReport(Protocol):
    """What the check reads from the list credential's verification report."""

    @property
    def verified(self) -> bool: ...

    @property
    def failures(self) -> Sequence[CheckResult]: ...


#: ``verify(list_credential) -> report``; e.g. ``Verifier.verify_credential``.
ListVerifier = Callable[[Mapping[str, Any]], ListReport]


@dataclass(frozen=True, slots=True)
class _VerifiedList:
    info: StatusListCredentialInfo
    bits: bytes
    updated: datetime | None


class _ListInvalid(Exception):
    def __init__(self, message: str, error: str, type_uri: str) -> None:
        super().__init__(message)
        self.message = message
        self.error = error
        self.type_uri = type_uri


def _when(instant: datetime | None) -> str:
    if instant is None:
        return ""
    utc = instant.astimezone(UTC)
    return f"{format_day(utc)}, {utc:%H:%M} UTC"


def _proof_created(document: Mapping[str, Any]) -> datetime | None:
    latest: datetime | None = None
    for proof in as_list(document.get("proof")):
        created = proof.get("created") if isinstance(proof, Mapping) else None
        if isinstance(created, str):
            try:
                value = datetime.fromisoformat(created.replace("Z", "+00:00"))
            except ValueError:
                continue
            if value.tzinfo is not None and (latest is None or value > latest):
                latest = value.astimezone(UTC)
    return latest


class StatusCheck:
    """The ``status`` family (see the module docstring).

    :param fetcher: dereferences ``statusListCredential`` URLs (in-process, HTTPS, cached...).
    :param list_verifier: verifies the list credential's proofs and validity period; usually
        the platform's own ``Verifier.verify_credential`` (late-bound with a lambda when the
        verifier is built with this check). ``None`` means lists are *not* authenticated: only
        for tests and tools that checked the list some other way.
    :param minimum_entries: §3.2 step 2 (131,072 unless an ecosystem sets another bound).
    :param same_issuer: require the list's issuer to be the credential's issuer.
    :param max_entries: a credential with more ``credentialStatus`` entries fails
        ``status.entry`` without any fetch (each entry may cost a download).
    """

    family = STATUS

    def __init__(
        self,
        fetcher: StatusListFetcher,
        list_verifier: ListVerifier | None,
        *,
        minimum_entries: int = MIN_ENTRIES,
        same_issuer: bool = True,
        max_bytes: int = DEFAULT_MAX_BYTES,
        memo_size: int = 64,
        max_entries: int = 8,
    ) -> None:
        self._fetcher = fetcher
        self._max_entries = max_entries
        self._list_verifier = list_verifier
        self._minimum_entries = minimum_entries
        self._same_issuer = same_issuer
        self._max_bytes = max_bytes
        self._memo_size = memo_size
        # verified lists by content digest: re-verifying a cached list's proof is skipped
        self._memo: OrderedDict[str, _VerifiedList] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"StatusCheck(fetcher={self._fetcher!r}, minimum_entries={self._minimum_entries})"

    # ------------------------------------------------------------------ family

    def run(self, credential: Mapping[str, Any], context: CheckContext) -> list[CheckResult]:
        entries = as_list(credential.get("credentialStatus"))
        if not entries:
            return [
                CheckResult.skipped(
                    STATUS,
                    "The credential has no revocation status to check (no credentialStatus).",
                )
            ]
        if _NESTED.get():
            return [
                CheckResult.skipped(
                    STATUS, "The status of a status list itself is not checked.", nested=True
                )
            ]
        if len(entries) > self._max_entries:
            # each entry may cost a download: a credential must not make us fetch hundreds
            return [
                CheckResult.failed(
                    STATUS_ENTRY,
                    f"The credential has {len(entries)} status entries; this verifier checks "
                    f"at most {self._max_entries}, so its status is not checked.",
                    entries=len(entries),
                )
            ]
        fetched: dict[str, FetchedStatusList | StatusError] = {}
        return [self._one(credential, entry, context, fetched) for entry in entries]

    def _one(
        self,
        credential: Mapping[str, Any],
        raw: object,
        context: CheckContext,
        fetched: dict[str, FetchedStatusList | StatusError],
    ) -> CheckResult:
        types = (
            [t for t in as_list(raw.get("type")) if isinstance(t, str)]
            if isinstance(raw, Mapping)
            else []
        )
        if isinstance(raw, Mapping) and not {BITSTRING_ENTRY, LEGACY_ENTRY} & set(types):
            return CheckResult.warning(
                STATUS_UNSUPPORTED,
                "The credential's status uses a mechanism this verifier does not know "
                f"({', '.join(types) or 'no type'}), so it could not be checked.",
                types=types,
            )
        try:
            entry = parse_status_entry(raw)
        except StatusError as error:
            return CheckResult.failed(
                STATUS_ENTRY,
                f"The credential's status entry is malformed: {error.detail}.",
                error=error.extra.get("code"),
                type=error.type_uri,
            )
        where = {
            "purpose": entry.purpose,
            "statusListCredential": entry.list_url,
            "statusListIndex": str(entry.index),
        }
        if entry.list_url not in fetched:
            try:
                fetched[entry.list_url] = self._fetcher.fetch(entry.list_url)
            except StatusError as error:
                fetched[entry.list_url] = error
        got = fetched[entry.list_url]
        if isinstance(got, StatusError):
            return CheckResult.failed(
                STATUS_UNKNOWN,
                f"Status unknown: the issuer's {entry.purpose} list could not be fetched "
                f"({got.detail}).",
                **where,
                error="STATUS_RETRIEVAL_ERROR",
                type=got.type_uri,
                reason=got.extra.get("reason"),
            )
        try:
            verified = self._verified(credential, got, entry, context)
        except _ListInvalid as invalid:
            return CheckResult.failed(
                STATUS_UNKNOWN,
                f"Status unknown: the issuer's {entry.purpose} list is not valid "
                f"({invalid.message}).",
                **where,
                error=invalid.error,
                type=invalid.type_uri,
            )
        try:
            value = StatusBitstring(status_size=entry.status_size, data=verified.bits).get(
                entry.index
            )
        except StatusError as error:
            return CheckResult.failed(
                STATUS_ENTRY,
                f"The credential's status entry points outside the issuer's list ({error.detail}).",
                **where,
                error=error.extra.get("code"),
                type=error.type_uri,
            )
        return self._verdict(entry, value, verified, where)

    # ------------------------------------------------------------------ verdicts

    @staticmethod
    def _verdict(
        entry: StatusEntryRef, value: int, verified: _VerifiedList, where: dict[str, Any]
    ) -> CheckResult:
        details = dict(where, status=value)
        if verified.updated is not None:
            details["listUpdated"] = verified.updated.strftime("%Y-%m-%dT%H:%M:%SZ")
        checked = (
            f"checked against the issuer's list updated {_when(verified.updated)}"
            if verified.updated is not None
            else "checked against the issuer's list"
        )
        if entry.purpose == "revocation":
            if value:
                return CheckResult.failed(STATUS_REVOCATION, "Revoked by the issuer.", **details)
            return CheckResult.passed(STATUS_REVOCATION, f"Not revoked ({checked}).", **details)
        if entry.purpose == "suspension":
            if value:
                return CheckResult.failed(STATUS_SUSPENSION, "Suspended by the issuer.", **details)
            return CheckResult.passed(STATUS_SUSPENSION, f"Not suspended ({checked}).", **details)
        if entry.purpose == "refresh":
            if value:
                return CheckResult.warning(
                    STATUS_REFRESH,
                    "The issuer has published a newer version of this credential.",
                    **details,
                )
            return CheckResult.passed(
                STATUS_REFRESH, f"No newer version is flagged ({checked}).", **details
            )
        if entry.purpose == "message":
            message = (entry.status_messages or {}).get(value)
            details["message"] = message
            said = f"“{message}”" if message else f"status 0x{value:x}"
            return CheckResult.passed(
                STATUS_MESSAGE, f"The issuer's status list gives {said} ({checked}).", **details
            )
        return CheckResult.warning(
            STATUS_UNSUPPORTED,
            f"The credential has a status of purpose {entry.purpose!r}, which this verifier "
            f"does not interpret (value {value}).",
            **details,
        )

    # ------------------------------------------------------------------ list validation

    def _verified(
        self,
        credential: Mapping[str, Any],
        fetched: FetchedStatusList,
        entry: StatusEntryRef,
        context: CheckContext,
    ) -> _VerifiedList:
        try:
            info = read_status_list_credential(fetched.document)
        except StatusError as error:
            raise _ListInvalid(error.detail, "STATUS_VERIFICATION_ERROR", error.type_uri) from None
        if info.legacy != entry.legacy:
            wanted = "StatusList2021Credential" if entry.legacy else "BitstringStatusListCredential"
            raise _ListInvalid(
                f"a {entry.type} must point at a {wanted}",
                "STATUS_VERIFICATION_ERROR",
                VERIFICATION_ERROR,
            )
        if self._same_issuer:
            ours, theirs = issuer_id(credential), info.issuer
            if theirs is None or ours != theirs:
                raise _ListInvalid(
                    f"it was published by {theirs or 'nobody'}, not by the credential's issuer "
                    f"{ours}",
                    "STATUS_VERIFICATION_ERROR",
                    VERIFICATION_ERROR,
                )
        if entry.purpose not in info.purposes:
            raise _ListInvalid(
                f"it is a list for {', '.join(info.purposes)}, not for {entry.purpose}",
                "STATUS_VERIFICATION_ERROR",
                VERIFICATION_ERROR,
            )
        now = context.now
        if info.valid_from is not None and info.valid_from > now + _CLOCK_SKEW:
            raise _ListInvalid(
                f"it is not valid before {_when(info.valid_from)}",
                "STATUS_VERIFICATION_ERROR",
                VERIFICATION_ERROR,
            )
        if info.valid_until is not None and info.valid_until < now:
            raise _ListInvalid(
                f"it expired on {_when(info.valid_until)}",
                "STATUS_VERIFICATION_ERROR",
                VERIFICATION_ERROR,
            )
        verified = self._memoized(fetched, info)
        try:
            check_list_length(len(verified.bits) * 8, entry.status_size, self._minimum_entries)
        except StatusError as error:
            raise _ListInvalid(error.detail, "STATUS_LIST_LENGTH_ERROR", LENGTH_ERROR) from None
        return verified

    def _memoized(
        self, fetched: FetchedStatusList, info: StatusListCredentialInfo
    ) -> _VerifiedList:
        with self._lock:
            known = self._memo.get(fetched.digest)
            if known is not None:
                self._memo.move_to_end(fetched.digest)
                return known
        self._authenticate(fetched)
        try:
            bits = StatusBitstring.decode(
                info.encoded_list, max_bytes=self._max_bytes, legacy=info.legacy
            ).to_bytes()
        except StatusError as error:
            raise _ListInvalid(
                f"its encodedList cannot be read: {error.detail}",
                "STATUS_VERIFICATION_ERROR",
                error.type_uri,
            ) from None
        updated = info.valid_from or _proof_created(fetched.document)
        verified = _VerifiedList(info=info, bits=bits, updated=updated)
        with self._lock:
            self._memo[fetched.digest] = verified
            self._memo.move_to_end(fetched.digest)
            while len(self._memo) > self._memo_size:
                self._memo.popitem(last=False)
        return verified

    def _authenticate(self, fetched: FetchedStatusList) -> None:
        if self._list_verifier is None:
            return
        if "proof" not in fetched.document:
            raise _ListInvalid("it is not signed", "STATUS_VERIFICATION_ERROR", VERIFICATION_ERROR)
        token = _NESTED.set(True)
        try:
            report = self._list_verifier(fetched.document)
        finally:
            _NESTED.reset(token)
        if not report.verified:
            failures = list(report.failures)
            reason = failures[0].message if failures else "it did not verify"
            raise _ListInvalid(
                f"its signature or validity could not be confirmed: {reason}",
                "STATUS_VERIFICATION_ERROR",
                VERIFICATION_ERROR,
            )
