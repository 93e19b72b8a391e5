"""The ``anchor`` family: a credential's blockchain anchor, and what it says about key compromise.

For each anchor proof in the proof set (format: ``anchoring/proof.py``, ADR 0004):

1. ``anchor.inclusion`` — the proof decodes, and its audit path leads from the credential's
   Merkle leaf (RFC 9162 §2.1.3.2, leaf = ``SHA-256(0x00 || SHA-256(JCS(credential without
   anchor proofs)))``) to the root it names. A credential changed after anchoring, or a proof
   copied from another credential, fails here.
2. ``anchor.ledger`` — the ledger the proof names (``verificationMethod``) has that root, at the
   time the proof states (``created``). The ledger is read through an injected
   :class:`~microcred.anchoring.ledger.LedgerReader` (embedded: in-process; EVM: the chain
   backend). A ledger this verifier cannot read is a warning, not a failure.
3. ``anchor.account`` — the account that published the root belongs to the issuer: for the
   embedded ledger the issuer's DID itself; otherwise an account the issuer lists in its DID
   document (``blockchainAccountId``, CAIP-10), through the injected ``issuer_accounts`` hook.

Then ``anchor.key`` — only when a key that signed the credential was revoked (its controller
set ``revoked`` = C, e.g. after a compromise): the signature's own ``created`` time is asserted
by the signer and proves nothing once the key may be in someone else's hands; only the anchor
gives an independent time. Anchored (and checked) before C -> warning saying why the credential
is still trusted; anchored at or after C, or not anchored at all -> failed. (A proof whose own
``created`` is after C already fails the proof family with ``proof.key_revoked_before_signing``.)

A credential without anchor proofs and without a revoked key is reported as ``anchor``
skipped, as before this family existed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from microcred.anchoring.ledger import LedgerEntry, LedgerReader
from microcred.anchoring.proof import AnchorProof, anchor_proofs, format_anchor_time
from microcred.errors import AnchorError, AnchorTemporaryError, InvalidInput, MicrocredError
from microcred.proof.purposes import VerificationMethodLookup
from microcred.proof.registry import CryptosuiteRegistry
from microcred.verification import codes
from microcred.verification.checks.base import CheckContext, as_list, format_day, issuer_id
from microcred.verification.checks.issuer import signature_methods
from microcred.verification.report import CheckResult

__all__ = [
    "AnchorCheck",
    "accounts_from_did_document",
    "format_anchor_moment",
    "same_account",
]

#: ``issuer_accounts(issuer_id) -> accounts`` (CAIP-10 ids or DIDs) that may anchor for it.
IssuerAccounts = Callable[[str], Collection[str]]


def format_anchor_moment(instant: datetime) -> str:
    """``"3 March 2026 at 10:00 UTC"``."""
    utc = instant.astimezone(UTC)
    return f"{format_day(utc)} at {utc:%H:%M} UTC"


def accounts_from_did_document(document: Mapping[str, Any]) -> set[str]:
    """Every ``blockchainAccountId`` (CAIP-10) listed in a DID document's verification methods
    (top level or embedded in a relationship)."""
    found: set[str] = set()
    candidates: list[Any] = list(as_list(document.get("verificationMethod")))
    for relationship in ("assertionMethod", "authentication", "capabilityInvocation"):
        candidates += [m for m in as_list(document.get(relationship)) if isinstance(m, Mapping)]
    for method in candidates:
        if isinstance(method, Mapping):
            account = method.get("blockchainAccountId")
            if isinstance(account, str) and account:
                found.add(account)
    return found


def same_account(a: str, b: str) -> bool:
    """Account ids compare exactly, except EVM (``eip155``) addresses, which are
    case-insensitive (EIP-55 capitals are only a checksum)."""
    if a == b:
        return True
    pa, pb = a.split(":"), b.split(":")
    return (
        len(pa) == len(pb) == 3
        and pa[0] == pb[0] == "eip155"
        and pa[1] == pb[1]
        and (pa[2].lower() == pb[2].lower())
    )


class AnchorCheck:
    """The real ``anchor`` family (replaces the placeholder through ``extra_checks``).

    ``ledgers``: the readers this verifier can consult (matched by ``ledger_id``).
    ``vm_resolver`` + ``registry`` (optional): to find the signing keys and whether their
    controller revoked them; without them ``anchor.key`` is not evaluated.
    ``issuer_accounts``: extra accounts allowed to anchor for an issuer (EVM: from its DID
    document); the issuer's own identifier always is one (the embedded ledger records it).
    """

    family = codes.ANCHOR

    def __init__(
        self,
        ledgers: Iterable[LedgerReader],
        *,
        vm_resolver: VerificationMethodLookup | None = None,
        registry: CryptosuiteRegistry | None = None,
        issuer_accounts: IssuerAccounts | None = None,
    ) -> None:
        self._ledgers: dict[str, LedgerReader] = {}
        for reader in ledgers:
            self._ledgers[reader.ledger_id] = reader
        self._vm_resolver = vm_resolver
        self._registry = registry
        self._issuer_accounts = issuer_accounts

    # ------------------------------------------------------------------ run

    def run(self, credential: Mapping[str, Any], context: CheckContext) -> Sequence[CheckResult]:
        results: list[CheckResult] = []
        anchored_times: list[datetime] = []
        issuer = issuer_id(credential)
        proofs = anchor_proofs(credential)
        for position, raw in enumerate(proofs):
            label = "" if len(proofs) == 1 else f" (anchor {position + 1})"
            checked, when = self._one(credential, raw, issuer, label)
            results += checked
            if when is not None:
                anchored_times.append(when)
        revoked = self._revoked_keys(credential)
        if revoked:
            results.append(self._key_result(revoked, anchored_times, bool(proofs)))
        if not results:
            return [
                CheckResult.skipped(
                    codes.ANCHOR,
                    "The credential has no blockchain anchor to check (no anchor proof).",
                )
            ]
        return results

    def _one(
        self, credential: Mapping[str, Any], raw: Mapping[str, Any], issuer: str | None, label: str
    ) -> tuple[list[CheckResult], datetime | None]:
        """Results for one anchor proof, and its anchor time when fully verified."""
        try:
            anchor = AnchorProof.from_json(raw)
        except InvalidInput as exc:
            return [
                CheckResult.failed(
                    codes.ANCHOR_INCLUSION,
                    f"The blockchain anchor proof{label} is malformed and cannot be checked: "
                    f"{exc.detail}.",
                )
            ], None
        details: dict[str, Any] = {
            "ledger": anchor.ledger_id,
            "root": anchor.root.hex(),
            "leafIndex": anchor.leaf_index,
            "treeSize": anchor.tree_size,
            "locator": anchor.locator,
        }
        try:
            computed = anchor.computed_root(credential)
        except InvalidInput as exc:
            return [
                CheckResult.failed(
                    codes.ANCHOR_INCLUSION,
                    f"The credential cannot be hashed to check its anchor{label}: {exc.detail}.",
                    **details,
                )
            ], None
        if computed != anchor.root:
            return [
                CheckResult.failed(
                    codes.ANCHOR_INCLUSION,
                    f"The credential does not match its blockchain anchor{label}: it was changed "
                    "after it was anchored, or the anchor belongs to another credential.",
                    computedRoot=None if computed is None else computed.hex(),
                    **details,
                )
            ], None
        results = [
            CheckResult.passed(
                codes.ANCHOR_INCLUSION,
                f"The credential is exactly the one that was anchored{label}: it is one of "
                f"{anchor.tree_size} credentials whose fingerprints were combined into one "
                "published value.",
                **details,
            )
        ]
        entry_result, entry = self._ledger_result(anchor, label, details)
        results.append(entry_result)
        if entry is None:
            return results, None
        account = self._account_result(entry, issuer, label, details)
        results.append(account)
        if account.outcome.value != "passed":
            return results, None
        return results, entry.anchored_at

    def _ledger_result(
        self, anchor: AnchorProof, label: str, details: dict[str, Any]
    ) -> tuple[CheckResult, LedgerEntry | None]:
        code = codes.ANCHOR_LEDGER
        reader = self._ledgers.get(anchor.ledger_id)
        if reader is None:
            return CheckResult.warning(
                code,
                f"The credential is anchored{label} on a ledger this verifier cannot read "
                f"({anchor.ledger_id}), so the anchor and its time were not checked.",
                **details,
            ), None
        try:
            entry = reader.lookup(anchor.root)
        except AnchorTemporaryError as exc:
            return CheckResult.warning(
                code,
                f"The ledger could not be read right now ({exc.detail}), so the anchor{label} "
                "was not checked; try again later.",
                **details,
            ), None
        except AnchorError as exc:
            return CheckResult.failed(
                code, f"The anchor{label} could not be looked up: {exc.detail}", **details
            ), None
        if entry is None:
            return CheckResult.failed(
                code,
                f"The anchor proof{label} names a value that the ledger does not have: the "
                "credential was never anchored there, or the proof was forged.",
                **details,
            ), None
        details = {
            **details,
            "anchoredAt": format_anchor_time(entry.anchored_at),
            "account": entry.account,
        }
        if entry.anchored_at != anchor.anchored_at:
            return CheckResult.failed(
                code,
                f"The anchor proof{label} claims the time {format_anchor_time(anchor.anchored_at)}"
                f", but the ledger recorded {format_anchor_time(entry.anchored_at)}: the proof "
                "was altered.",
                **details,
            ), None
        return CheckResult.passed(
            code,
            f"Anchored on the public ledger on {format_anchor_moment(entry.anchored_at)}{label}: "
            "the credential existed, unchanged, at that time.",
            **details,
        ), entry

    def _account_result(
        self, entry: LedgerEntry, issuer: str | None, label: str, details: dict[str, Any]
    ) -> CheckResult:
        code = codes.ANCHOR_ACCOUNT
        info = {**details, "account": entry.account, "issuer": issuer}
        if issuer is None:
            return CheckResult.failed(
                code,
                f"The credential names no issuer, so who anchored it{label} cannot be checked.",
                **info,
            )
        allowed: set[str] = {issuer}
        if self._issuer_accounts is not None:
            try:
                allowed |= set(self._issuer_accounts(issuer))
            except MicrocredError as exc:
                return CheckResult.warning(
                    code,
                    f"The issuer's ledger accounts could not be found ({exc.detail}), so who "
                    f"anchored the credential{label} was not confirmed.",
                    **info,
                )
        if any(same_account(entry.account, account) for account in allowed):
            return CheckResult.passed(
                code,
                f"The anchor{label} was published by the issuer ({entry.account}).",
                **info,
            )
        return CheckResult.failed(
            code,
            f"The anchor{label} was published by {entry.account}, which is not an account of "
            f"the issuer {issuer}: someone else anchored this credential.",
            **info,
        )

    # ------------------------------------------------------------------ revoked keys

    def _revoked_keys(self, credential: Mapping[str, Any]) -> list[tuple[str, datetime]]:
        if self._vm_resolver is None or self._registry is None:
            return []
        revoked: list[tuple[str, datetime]] = []
        for url in signature_methods(credential, self._registry):
            try:
                method = self._vm_resolver.resolve(url, "assertionMethod")
            except MicrocredError:
                continue  # reported by the proof and issuer.key checks
            if method.revoked is not None:
                revoked.append((url, method.revoked))
        return revoked

    @staticmethod
    def _key_result(
        revoked: list[tuple[str, datetime]], anchored: list[datetime], has_anchor: bool
    ) -> CheckResult:
        code = codes.ANCHOR_KEY
        method, when = min(revoked, key=lambda pair: pair[1])
        details: dict[str, Any] = {
            "verificationMethod": method,
            "revoked": format_anchor_time(when),
        }
        revoked_text = (
            f"The issuer revoked the key that signed this credential on "
            f"{format_anchor_moment(when)} (for example because it may have been compromised)."
        )
        if not anchored:
            why = (
                "its anchor could not be confirmed"
                if has_anchor
                else "it carries no blockchain anchor"
            )
            return CheckResult.failed(
                code,
                f"{revoked_text} Nothing independent of the signer shows the credential was "
                f"signed before that ({why}), and anyone holding the key could have dated a "
                "signature in the past.",
                **details,
            )
        first = min(anchored)
        details["anchoredAt"] = format_anchor_time(first)
        if first < when:
            return CheckResult.warning(
                code,
                f"{revoked_text} The credential is still trusted: it was anchored on the public "
                f"ledger on {format_anchor_moment(first)}, before the key was revoked, so it "
                "was signed while the key was still valid.",
                **details,
            )
        return CheckResult.failed(
            code,
            f"{revoked_text} The credential was only anchored on "
            f"{format_anchor_moment(first)}, after that, so its signature may have been made "
            "with the revoked key.",
            **details,
        )
