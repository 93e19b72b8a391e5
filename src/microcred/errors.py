"""The one exception tree of microcred.

Every error raised on purpose by microcred derives from :class:`MicrocredError`.
Foreign exceptions (from pyld, cryptography, httpx, ...) are translated into this
tree once, at the adapter edge, so callers never need to know the libraries used.

::

    MicrocredError
    ├── InvalidInput            the caller gave us something malformed
    │   ├── JsonLdError         JSON-LD processing failed
    │   │   ├── UnknownContextError   a context URL that is not bundled
    │   │   └── UndefinedTermError    a term no context defines (safe mode)
    │   ├── DIDError            a DID or DID URL that is malformed / unsupported
    │   └── UnsupportedError    a feature / algorithm we do not implement
    ├── NotFound                something that should exist does not
    │   └── DIDNotFoundError    a DID or verification method that cannot be resolved
    ├── Conflict                the request clashes with current state
    ├── Unauthenticated         no valid credentials (session / API token) were presented
    ├── PermissionDenied        authenticated, but the role or token scope does not allow it
    ├── RateLimited             too many attempts; retry after ``retry_after`` seconds
    ├── ProofError              a proof cannot be created or is malformed
    │   ├── UnknownCryptosuiteError
    │   └── JwtError            a VC-JWT (JWS compact) that cannot be read or is not allowed
    ├── KeyStoreError           key store misuse / corrupt / wrong key-encryption key
    ├── StatusError             status-list problems
    ├── AnchorError             anchoring problems
    │   └── AnchorTemporaryError (retryable)
    └── ConfigError             bad or missing configuration

Each error carries a problem ``type`` URI (RFC 9457) and a human ``detail``. Where
the W3C VC Data Model 2.0 / Data Integrity 1.0 define a processing error, its URI is
used; otherwise a URI under ``https://microcred.dev/problems/``.
"""

from __future__ import annotations

from typing import Any

_OURS = "https://microcred.dev/problems/"
_VC = "https://www.w3.org/TR/vc-data-model#"
_DI = "https://w3id.org/security#"

__all__ = [
    "AnchorError",
    "AnchorTemporaryError",
    "ConfigError",
    "Conflict",
    "DIDError",
    "DIDNotFoundError",
    "InvalidInput",
    "JsonLdError",
    "JwtError",
    "KeyStoreError",
    "MicrocredError",
    "NotFound",
    "PermissionDenied",
    "ProofError",
    "RateLimited",
    "StatusError",
    "Unauthenticated",
    "UndefinedTermError",
    "UnknownContextError",
    "UnknownCryptosuiteError",
    "UnsupportedError",
]


class MicrocredError(Exception):
    """Root of every error microcred raises on purpose."""

    type_uri: str = _OURS + "error"
    title: str = "microcred error"
    status: int = 500

    def __init__(self, detail: str, *, type_uri: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if type_uri is not None:
            self.type_uri = type_uri
        self.extra: dict[str, Any] = extra

    def to_problem(self) -> dict[str, Any]:
        """RFC 9457 problem details for this error."""
        problem: dict[str, Any] = {
            "type": self.type_uri,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        problem.update(self.extra)
        return problem


class InvalidInput(MicrocredError):
    type_uri = _OURS + "invalid-input"
    title = "Invalid input"
    status = 400


class JsonLdError(InvalidInput):
    type_uri = _VC + "PARSING_ERROR"
    title = "JSON-LD processing error"


class UnknownContextError(JsonLdError):
    type_uri = _OURS + "unknown-context"
    title = "Unknown JSON-LD context"


class UndefinedTermError(JsonLdError):
    type_uri = _OURS + "undefined-term"
    title = "Term not defined by any context"


class DIDError(InvalidInput):
    type_uri = _OURS + "invalid-did"
    title = "Invalid DID"


class UnsupportedError(InvalidInput):
    type_uri = _OURS + "unsupported"
    title = "Unsupported feature"


class NotFound(MicrocredError):
    type_uri = _OURS + "not-found"
    title = "Not found"
    status = 404


class DIDNotFoundError(NotFound):
    type_uri = _OURS + "did-not-found"
    title = "DID or verification method not found"


class Conflict(MicrocredError):
    type_uri = _OURS + "conflict"
    title = "Conflict"
    status = 409


class Unauthenticated(MicrocredError):
    type_uri = _OURS + "unauthenticated"
    title = "Authentication required"
    status = 401


class PermissionDenied(MicrocredError):
    type_uri = _OURS + "forbidden"
    title = "Not allowed"
    status = 403


class RateLimited(MicrocredError):
    type_uri = _OURS + "rate-limited"
    title = "Too many requests"
    status = 429

    def __init__(self, detail: str, *, retry_after: int, **extra: Any) -> None:
        super().__init__(detail, retry_after=retry_after, **extra)
        self.retry_after = retry_after


class ProofError(MicrocredError):
    type_uri = _DI + "PROOF_GENERATION_ERROR"
    title = "Proof error"
    status = 400


class UnknownCryptosuiteError(ProofError):
    type_uri = _OURS + "unknown-cryptosuite"
    title = "Unknown cryptosuite"


class JwtError(ProofError):
    """A VC-JWT that is malformed or uses something microcred does not accept (``alg``...)."""

    type_uri = _OURS + "invalid-jwt"
    title = "Invalid VC-JWT"


class KeyStoreError(MicrocredError):
    type_uri = _OURS + "key-store"
    title = "Key store error"
    status = 500


class StatusError(MicrocredError):
    type_uri = _OURS + "status"
    title = "Status list error"
    status = 400


class AnchorError(MicrocredError):
    type_uri = _OURS + "anchor"
    title = "Anchoring error"
    status = 502


class AnchorTemporaryError(AnchorError):
    """A transient ledger failure: the operation may be retried."""

    type_uri = _OURS + "anchor-temporary"
    title = "Temporary anchoring error"
    status = 503


class ConfigError(MicrocredError):
    type_uri = _OURS + "config"
    title = "Configuration error"
    status = 500
