"""JSON-LD checks: every context is known, every term is defined (safe mode).

VC Data Model 2.0 §4.3 (Contexts) and §6.3 (Type-Specific Credential Processing);
Data Integrity 1.0 §2.4 / §4.4 (a verifier must not sign or verify data whose
terms silently drop out of the canonical form). Contexts are never fetched: an
unknown context URL fails ``jsonld.contexts`` with the URL in the message.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

from microcred.errors import JsonLdError, UnknownContextError
from microcred.jsonld.protocols import DocumentLoader
from microcred.jsonld.static_loader import StaticDocumentLoader
from microcred.verification import codes
from microcred.verification.checks.base import CheckContext, as_list
from microcred.verification.checks.terms_memo import undefined_terms
from microcred.verification.report import CheckResult

__all__ = ["JsonLdCheck", "context_urls"]


def context_urls(document: Mapping[str, Any]) -> list[str]:
    """Every context URL referenced anywhere in ``document`` (in order, no duplicates)."""
    found: list[str] = []
    seen: set[str] = set()
    stack: deque[Any] = deque([document])  # breadth first; popleft is O(1), pop(0) was O(n)
    while stack:
        node = stack.popleft()
        if isinstance(node, Mapping):
            for key, value in node.items():
                if key == "@context":
                    for entry in as_list(value):
                        if isinstance(entry, str) and entry not in seen:
                            seen.add(entry)
                            found.append(entry)
                else:
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return found


class JsonLdCheck:
    """``jsonld.contexts`` and ``jsonld.terms``."""

    family = codes.FAMILY_JSONLD

    def __init__(self, loader: DocumentLoader) -> None:
        self._loader = loader

    def run(self, credential: Mapping[str, Any], context: CheckContext) -> Sequence[CheckResult]:
        urls = context_urls(credential)
        unknown: list[str] = []
        for url in urls:
            if isinstance(self._loader, StaticDocumentLoader):
                if url not in self._loader:  # a lookup, without copying the context
                    unknown.append(url)
                continue
            try:
                self._loader(url)
            except UnknownContextError:
                unknown.append(url)
        if unknown:
            listed = ", ".join(unknown)
            noun = "vocabulary (JSON-LD context)" if len(unknown) == 1 else "vocabularies"
            return [
                CheckResult.failed(
                    codes.JSONLD_CONTEXTS,
                    f"The document uses a {noun} this verifier does not know: {listed}. "
                    "Its content cannot be interpreted safely, so it cannot be checked.",
                    unknown=unknown,
                    contexts=urls,
                ),
                CheckResult.skipped(
                    codes.JSONLD_TERMS,
                    "Not checked: the document's vocabularies are not all known.",
                ),
            ]
        results = [
            CheckResult.passed(
                codes.JSONLD_CONTEXTS,
                f"The document uses only known vocabularies ({len(urls)} JSON-LD contexts).",
                contexts=urls,
            )
        ]
        try:
            undefined = undefined_terms(dict(credential), self._loader)
        except JsonLdError as error:
            results.append(
                CheckResult.failed(
                    codes.JSONLD_TERMS,
                    f"The document's linked data could not be processed: {error.detail}",
                    type=error.type_uri,
                )
            )
            return results
        if undefined:
            shown = ", ".join(undefined[:5]) + (" ..." if len(undefined) > 5 else "")
            results.append(
                CheckResult.failed(
                    codes.JSONLD_TERMS,
                    "Some fields are not defined by the document's vocabularies, so a "
                    f"signature would not protect them: {shown}.",
                    terms=list(undefined),
                )
            )
        else:
            results.append(
                CheckResult.passed(
                    codes.JSONLD_TERMS,
                    "Every field is defined by the document's vocabularies.",
                )
            )
        return results
