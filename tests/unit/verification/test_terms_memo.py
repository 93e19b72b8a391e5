"""The safe-mode term audit memo: same answers as the audit, per distinct document."""

from __future__ import annotations

from typing import Any

import pytest

from microcred.errors import UnknownContextError
from microcred.jsonld.processing import find_undefined_terms
from microcred.jsonld.static_loader import StaticDocumentLoader
from microcred.verification.checks import terms_memo

LOADER = StaticDocumentLoader.bundled()


def _credential(**extra: Any) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"id": "did:example:learner", **extra},
    }


@pytest.fixture(autouse=True)
def _fresh() -> None:
    terms_memo.clear()


def test_answers_match_the_audit_and_are_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    clean, dirty = _credential(), _credential(notDefinedAnywhere="x")
    calls: list[Any] = []

    def counting(document: Any, loader: Any) -> list[str]:
        calls.append(document)
        return find_undefined_terms(document, loader)

    monkeypatch.setattr(terms_memo, "find_undefined_terms", counting)
    assert terms_memo.undefined_terms(clean, LOADER) == find_undefined_terms(clean, LOADER) == []
    expected = find_undefined_terms(dirty, LOADER)
    assert expected
    first = terms_memo.undefined_terms(dirty, LOADER)
    first.append("changed by the caller")  # a copy: the memo is not affected
    assert terms_memo.undefined_terms(dirty, LOADER) == expected
    # the same JSON value with its members in another order is the same document
    reordered = dict(reversed(list(dirty.items())))
    assert terms_memo.undefined_terms(reordered, LOADER) == expected
    assert terms_memo.undefined_terms(clean, LOADER) == []
    assert len(calls) == 2


def test_other_loaders_and_errors_are_not_shared() -> None:
    dirty = _credential(notDefinedAnywhere="x")
    assert terms_memo.undefined_terms(dirty, LOADER)
    other = StaticDocumentLoader.bundled()
    assert terms_memo.undefined_terms(dirty, other) == find_undefined_terms(dirty, other)
    unknown = {**_credential(), "@context": ["https://unknown.example/context.jsonld"]}
    for _ in range(2):  # errors are raised every time, never remembered
        with pytest.raises(UnknownContextError):
            terms_memo.undefined_terms(unknown, LOADER)


def test_documents_jcs_cannot_write_are_audited_directly() -> None:
    big = _credential(score=2**60)  # beyond what JCS writes: no key, the audit answers
    assert terms_memo.undefined_terms(big, LOADER) == find_undefined_terms(big, LOADER)
    assert not terms_memo._memos


def test_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(terms_memo, "MAX_ENTRIES", 3)
    for n in range(10):
        terms_memo.undefined_terms(_credential(name=f"n{n}"), LOADER)
    assert all(len(memo) <= 3 for _, memo in terms_memo._memos.values())
