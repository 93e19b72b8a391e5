"""The verifier's ``status`` family against real signed credentials and signed status lists."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from status_testkit import LISTS, NOW, DictFetcher, build_world, entry

from microcred.verification.checks.status import STATUS_CODES
from microcred.verification.report import Outcome, VerificationReport

REVOCATION = f"{LISTS}/revocation/1"
SUSPENSION = f"{LISTS}/suspension/1"


def _status_results(report: VerificationReport) -> list[tuple[str, Outcome, str]]:
    return [
        (c.code, c.outcome, c.message)
        for c in report.checks
        if c.code == "status" or c.code.startswith("status.")
    ]


@pytest.fixture
def world():
    return build_world()


def test_not_revoked_and_not_suspended_passes_with_the_list_date(world) -> None:
    issuer = world.issuer
    world.fetcher.documents[REVOCATION] = issuer.status_list(REVOCATION, set_indexes=(5,))
    world.fetcher.documents[SUSPENSION] = issuer.status_list(SUSPENSION, "suspension")
    credential = issuer.credential(entry("revocation", 94567), entry("suspension", 23452))

    report = world.verifier.verify_credential(credential)

    assert report.verified, report.failures
    assert _status_results(report) == [
        (
            "status.revocation",
            Outcome.PASSED,
            "Not revoked (checked against the issuer's list updated 9 March 2026, 08:15 UTC).",
        ),
        (
            "status.suspension",
            Outcome.PASSED,
            "Not suspended (checked against the issuer's list updated 9 March 2026, 08:15 UTC).",
        ),
    ]
    revocation = next(c for c in report.checks if c.code == "status.revocation")
    assert revocation.details == {
        "purpose": "revocation",
        "statusListCredential": REVOCATION,
        "statusListIndex": "94567",
        "status": 0,
        "listUpdated": "2026-03-09T08:15:00Z",
    }


def test_revoked_and_suspended_fail_in_plain_words(world) -> None:
    issuer = world.issuer
    world.fetcher.documents[REVOCATION] = issuer.status_list(REVOCATION, set_indexes=(94567,))
    world.fetcher.documents[SUSPENSION] = issuer.status_list(
        SUSPENSION, "suspension", set_indexes=(23452,)
    )
    report = world.verifier.verify_credential(
        issuer.credential(entry("revocation", 94567), entry("suspension", 23452))
    )
    assert not report.verified
    assert [(code, outcome, message) for code, outcome, message in _status_results(report)] == [
        ("status.revocation", Outcome.FAILED, "Revoked by the issuer."),
        ("status.suspension", Outcome.FAILED, "Suspended by the issuer."),
    ]
    # every other check still passes: the verdict is the status alone
    assert [c.code for c in report.failures] == ["status.revocation", "status.suspension"]


def test_no_credential_status_is_skipped(world) -> None:
    report = world.verifier.verify_credential(world.issuer.credential())
    assert report.verified
    assert _status_results(report) == [
        (
            "status",
            Outcome.SKIPPED,
            "The credential has no revocation status to check (no credentialStatus).",
        )
    ]


def test_an_unreachable_list_means_status_unknown_and_fails(world) -> None:
    report = world.verifier.verify_credential(world.issuer.credential(entry("revocation", 1)))
    ((code, outcome, message),) = _status_results(report)
    assert (code, outcome) == ("status.unknown", Outcome.FAILED)
    assert message.startswith("Status unknown: the issuer's revocation list could not be fetched")
    assert "HTTP 404" in message
    assert not report.verified


def test_a_list_signed_by_someone_else_is_not_trusted(world) -> None:
    forged = world.other.status_list(REVOCATION)  # another key, another DID
    world.fetcher.documents[REVOCATION] = forged
    report = world.verifier.verify_credential(world.issuer.credential(entry("revocation", 1)))
    ((code, outcome, message),) = _status_results(report)
    assert (code, outcome) == ("status.unknown", Outcome.FAILED)
    assert f"published by {world.other.did}, not by the credential's issuer" in message


def test_a_tampered_list_fails_its_proof(world) -> None:
    signed = world.issuer.status_list(REVOCATION, set_indexes=(1,))
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["encodedList"] = world.issuer.status_list(
        REVOCATION, signed=False
    )["credentialSubject"]["encodedList"]  # "un-revoke" index 1 without re-signing
    world.fetcher.documents[REVOCATION] = tampered
    report = world.verifier.verify_credential(world.issuer.credential(entry("revocation", 1)))
    ((code, outcome, message),) = _status_results(report)
    assert (code, outcome) == ("status.unknown", Outcome.FAILED)
    assert "signature or validity could not be confirmed" in message


def test_an_unsigned_list_is_not_accepted(world) -> None:
    world.fetcher.documents[REVOCATION] = world.issuer.status_list(REVOCATION, signed=False)
    report = world.verifier.verify_credential(world.issuer.credential(entry("revocation", 1)))
    ((code, _, message),) = _status_results(report)
    assert code == "status.unknown" and "it is not signed" in message


def test_purpose_mismatch_expiry_and_short_lists_are_reported(world) -> None:
    issuer = world.issuer
    world.fetcher.documents[REVOCATION] = issuer.status_list(REVOCATION, "suspension")
    report = world.verifier.verify_credential(issuer.credential(entry("revocation", 1)))
    assert "a list for suspension, not for revocation" in _status_results(report)[0][2]

    world.fetcher.documents[REVOCATION] = issuer.status_list(
        REVOCATION, valid_from=NOW - timedelta(days=30), valid_until=NOW - timedelta(days=1)
    )
    report = world.verifier.verify_credential(issuer.credential(entry("revocation", 1)))
    ((code, _, message),) = _status_results(report)
    assert code == "status.unknown" and "expired on 9 March 2026" in message

    world.fetcher.documents[REVOCATION] = issuer.status_list(REVOCATION, entries=65_536)
    report = world.verifier.verify_credential(issuer.credential(entry("revocation", 1)))
    result = next(c for c in report.checks if c.code == "status.unknown")
    assert result.details["error"] == "STATUS_LIST_LENGTH_ERROR"
    assert "65536 entries" in result.message


def test_an_index_outside_the_list_is_a_range_error(world) -> None:
    world.fetcher.documents[REVOCATION] = world.issuer.status_list(REVOCATION)
    report = world.verifier.verify_credential(world.issuer.credential(entry("revocation", 131_072)))
    result = next(c for c in report.checks if c.code.startswith("status"))
    assert (result.code, result.outcome) == ("status.entry", Outcome.FAILED)
    assert result.details["error"] == "RANGE_ERROR"


def test_malformed_and_unknown_entries(world) -> None:
    bad = entry("revocation", 1)
    bad["statusListIndex"] = 1  # a number, not base-10 text
    unknown = {"id": "https://example.org/x", "type": "1EdTechRevocationList"}
    credential = copy.deepcopy(world.issuer.credential())
    credential["credentialStatus"] = [bad, unknown]
    results = world.check.run(credential, world.verifier._now_context())
    assert [(r.code, r.outcome) for r in results] == [
        ("status.entry", Outcome.FAILED),
        ("status.unsupported", Outcome.WARNING),
    ]
    assert "statusListIndex must be a non-negative integer" in results[0].message
    assert results[0].details["error"] == "MALFORMED_VALUE_ERROR"


def test_too_many_entries_are_refused_without_fetching(world) -> None:
    credential = world.issuer.credential(*[entry("revocation", i) for i in range(9)])
    results = world.check.run(credential, world.verifier._now_context())
    assert [(r.code, r.outcome) for r in results] == [("status.entry", Outcome.FAILED)]
    assert "9 status entries" in results[0].message
    assert world.fetcher.calls == []


def test_verified_lists_are_memoised_by_content(world) -> None:
    calls = []
    inner = world.check._list_verifier

    def counting(document):
        calls.append(document["id"])
        return inner(document)

    world.check._list_verifier = counting
    world.fetcher.documents[REVOCATION] = world.issuer.status_list(REVOCATION)
    credential = world.issuer.credential(entry("revocation", 3))
    assert world.verifier.verify_credential(credential).verified
    assert world.verifier.verify_credential(credential).verified
    assert calls == [REVOCATION]  # the proof of an unchanged list is checked once
    world.fetcher.documents[REVOCATION] = world.issuer.status_list(REVOCATION, set_indexes=(3,))
    assert not world.verifier.verify_credential(credential).verified
    assert calls == [REVOCATION, REVOCATION]


def test_a_list_that_points_at_itself_does_not_recurse(world) -> None:
    issuer = world.issuer
    unsigned = issuer.status_list(REVOCATION, signed=False)
    unsigned["credentialStatus"] = entry("revocation", 0)  # the list's own status
    world.fetcher.documents[REVOCATION] = issuer.sign(unsigned)
    report = world.verifier.verify_credential(issuer.credential(entry("revocation", 7)))
    assert [c.code for c in report.checks if c.code.startswith("status")] == ["status.revocation"]
    assert report.verified


def test_one_fetch_serves_several_entries_of_the_same_list(world) -> None:
    world.fetcher.documents[REVOCATION] = world.issuer.status_list(REVOCATION, set_indexes=(2,))
    credential = world.issuer.credential(entry("revocation", 1), entry("revocation", 2))
    report = world.verifier.verify_credential(credential)
    assert [c.outcome for c in report.checks if c.code == "status.revocation"] == [
        Outcome.PASSED,
        Outcome.FAILED,
    ]
    assert world.fetcher.calls == [REVOCATION]


def test_other_issuers_lists_are_allowed_when_configured() -> None:
    lenient = build_world(fetcher=DictFetcher(), same_issuer=False)
    lenient.check._fetcher.documents[REVOCATION] = lenient.other.status_list(REVOCATION)
    report = lenient.verifier.verify_credential(lenient.issuer.credential(entry("revocation", 1)))
    assert report.verified


def test_every_status_code_is_documented() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[3] / "docs" / "status-lists.md").read_text(
        encoding="utf-8"
    )
    assert [code for code in STATUS_CODES if f"`{code}`" not in text] == []


def test_the_bitstring_example_in_the_docs_runs() -> None:
    import ast
    import io
    import re
    import tokenize
    from pathlib import Path

    text = (Path(__file__).resolve().parents[3] / "docs" / "status-lists.md").read_text(
        encoding="utf-8"
    )
    block = next(b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "two_bits" in b)
    comments = {
        t.start[0]: t.string[1:].strip()
        for t in tokenize.generate_tokens(io.StringIO(block).readline)
        if t.type == tokenize.COMMENT
    }
    namespace: dict = {}
    checked = 0
    for statement in ast.parse(block).body:
        comment = comments.get(statement.end_lineno or 0, "")
        if isinstance(statement, ast.Expr) and comment:
            value = eval(compile(ast.Expression(statement.value), "doc", "eval"), namespace)
            assert value == ast.literal_eval(comment)
            checked += 1
        else:
            exec(compile(ast.Module([statement], []), "doc", "exec"), namespace)
    assert checked == 4


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_ENTRY_KEYS = [
    "type",
    "statusPurpose",
    "statusListIndex",
    "statusListCredential",
    "statusSize",
    "statusMessage",
    "id",
]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    status=st.one_of(
        _JSON,
        st.fixed_dictionaries({}, optional={k: _JSON for k in _ENTRY_KEYS}),
        st.fixed_dictionaries(
            {"type": st.just("BitstringStatusListEntry")},
            optional={k: _JSON for k in _ENTRY_KEYS if k != "type"},
        ),
    )
)
def test_hostile_status_entries_yield_results_not_exceptions(world, status) -> None:
    credential = {"issuer": world.issuer.did, "credentialStatus": status}
    results = world.check.run(credential, world.verifier._now_context())
    assert results and all(r.code in STATUS_CODES for r in results)
