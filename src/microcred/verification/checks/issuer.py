"""Issuer key check: the signing key resolves and belongs to the issuer.

Data Integrity 1.0 §4.4 (Verify Proof: retrieve the verification method) and
Controlled Identifiers 1.0 §3.3 (Retrieve Verification Method); VC Data Model 2.0
§4.7 (Issuer) and the ``assertionMethod`` proof purpose (Data Integrity 1.0 §2.2):
the issuer must control the key.

* key controller == issuer -> passed;
* issuer is a DID and the key belongs to another controller -> failed;
* issuer is not a DID (an https URL) and the key is not published under it ->
  failed: nothing links the web address to the key holder, so anyone could sign a
  credential naming any university's web address with a key of their own. (The W3C
  eddsa test vectors are signed this way: their proofs verify, their issuer binding
  does not. Digital Bazaar's ``CredentialIssuancePurpose`` refuses them likewise.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from microcred.errors import DIDNotFoundError, MicrocredError
from microcred.proof.purposes import VerificationMethodLike, VerificationMethodLookup
from microcred.proof.registry import CryptosuiteRegistry
from microcred.verification import codes
from microcred.verification.checks.base import CheckContext, as_list, format_day, issuer_id
from microcred.verification.report import CheckResult

__all__ = ["IssuerKeyCheck", "signature_methods"]


def signature_methods(document: Mapping[str, Any], registry: CryptosuiteRegistry) -> list[str]:
    """Verification method URLs of the proofs this verifier can check, in order."""
    methods: list[str] = []
    for proof in as_list(document.get("proof")):
        if not isinstance(proof, Mapping):
            continue
        proof_type, vm = proof.get("type"), proof.get("verificationMethod")
        if not isinstance(proof_type, str) or not isinstance(vm, str):
            continue
        if proof_type == "DataIntegrityProof":
            suite = proof.get("cryptosuite")
            if not isinstance(suite, str) or suite not in registry:
                continue
        elif not registry.handles_type(proof_type):
            continue
        if vm not in methods:
            methods.append(vm)
    return methods


def _without_fragment(url: str) -> str:
    return url.split("#", 1)[0]


class IssuerKeyCheck:
    """``issuer.key``, one result per distinct signing key."""

    family = codes.FAMILY_ISSUER

    def __init__(
        self,
        registry: CryptosuiteRegistry,
        vm_resolver: VerificationMethodLookup,
    ) -> None:
        self._registry = registry
        self._vm_resolver = vm_resolver

    def run(self, credential: Mapping[str, Any], context: CheckContext) -> Sequence[CheckResult]:
        methods = signature_methods(credential, self._registry)
        if not methods:
            return [CheckResult.skipped(codes.ISSUER_KEY, "There is no signing key to check.")]
        issuer = issuer_id(credential)
        return [self._one(vm, issuer) for vm in methods]

    def _one(self, vm: str, issuer: str | None) -> CheckResult:
        code = codes.ISSUER_KEY
        try:
            method = self._vm_resolver.resolve(vm, "assertionMethod")
        except DIDNotFoundError as error:
            return CheckResult.failed(
                code,
                f"The key that signed this credential could not be found: {error.detail}",
                verificationMethod=vm,
            )
        except MicrocredError as error:
            return CheckResult.failed(
                code,
                f"The key that signed this credential cannot be used: {error.detail}",
                verificationMethod=vm,
                type=error.type_uri,
            )
        details: dict[str, Any] = {
            "verificationMethod": vm,
            "controller": method.controller,
            "issuer": issuer,
        }
        retired = self._retired_note(method, details)
        if issuer is None:
            return CheckResult.skipped(
                code, "The credential names no issuer to compare the key with.", **details
            )
        if method.controller == issuer:
            return CheckResult.passed(
                code, f"The signing key belongs to the issuer ({issuer}).{retired}", **details
            )
        if issuer.startswith("did:"):
            return CheckResult.failed(
                code,
                f"The credential says it was issued by {issuer}, but it was signed with a key "
                f"that belongs to {method.controller}.",
                **details,
            )
        if _without_fragment(vm) == issuer:
            return CheckResult.passed(
                code, f"The signing key is published by the issuer ({issuer}).{retired}", **details
            )
        return CheckResult.failed(
            code,
            f"The credential says it was issued by {issuer}, but it was signed with a key "
            f"that belongs to {method.controller}, and nothing links the two. Anyone can "
            "name an issuer's web address; only the issuer's own key proves it.",
            **details,
        )

    @staticmethod
    def _retired_note(method: VerificationMethodLike, details: dict[str, Any]) -> str:
        if method.revoked is None:
            return ""
        details["revoked"] = method.revoked.isoformat()
        return (
            f" The issuer retired this key on {format_day(method.revoked)}; "
            "the signature is dated before that."
        )
