"""JSON request bodies are read strictly: duplicate member names, ``NaN`` and ``Infinity`` → 400.

A credential sent with ``"id"`` twice means one thing to Python's ``json`` (the last one wins)
and maybe another to the signer that made it; ``NaN`` is not JSON at all. The API refuses both
before any endpoint runs (``api/strict_json.py``), names the reason, stores nothing, and still
lets well-formed bodies, forms and uploads through.
"""

from __future__ import annotations

import json

import pytest
from api_testkit import Api, problem

from microcred.api.strict_json import is_json_media_type
from microcred.services.access import Role


def _signed(api: Api) -> dict[str, object]:
    with api.platform.uow(read_only=True) as tx:
        rows = tx.credentials.list_for_issuer(api.a.issuer.id)
    return dict(rows[0].document)


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ("application/ld+json", True),
        ("application/vc+ld+json", True),
        ("Application/JSON", True),
        ("text/plain", False),
        ("multipart/form-data; boundary=x", False),
        ("application/x-www-form-urlencoded", False),
        ("+json", False),
    ],
)
def test_json_media_types(content_type: str, expected: bool) -> None:
    assert is_json_media_type(content_type) is expected


def test_a_duplicate_member_name_is_refused_with_the_reason(api: Api) -> None:
    signed = _signed(api)
    text = json.dumps({"verifiableCredential": signed})
    # the same credential with a second "id" member: last-wins parsers would see another id
    duplicated = text.replace('"id": ', '"id": "urn:uuid:evil", "id": ', 1)
    assert duplicated != text
    answer = api.client.post(
        "/credentials/verify", content=duplicated, headers={"content-type": "application/json"}
    )
    body = problem(answer, 400)
    assert "duplicate key 'id'" in body["detail"]
    # the same body without the duplicate is verified
    fine = api.client.post(
        "/credentials/verify", content=text, headers={"content-type": "application/json"}
    )
    assert fine.status_code == 200, fine.text
    assert fine.json()["verified"] is True


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_json_numbers_are_refused(api: Api, constant: str) -> None:
    answer = api.client.post(
        "/credentials/verify",
        content='{"verifiableCredential": {"x": ' + constant + "}}",
        headers={"content-type": "application/json"},
    )
    body = problem(answer, 400)
    assert constant.lstrip("-") in body["detail"]


def test_an_issue_request_with_a_duplicate_is_refused_and_nothing_is_stored(api: Api) -> None:
    with api.platform.uow(read_only=True) as tx:
        before = len(tx.credentials.list_for_issuer(api.a.issuer.id))
    body = (
        '{"credential": {"@context": ["https://www.w3.org/ns/credentials/v2"],'
        ' "type": ["VerifiableCredential"], "type": ["VerifiableCredential"]}, "options": {}}'
    )
    answer = api.client.post(
        "/credentials/issue",
        content=body,
        headers={"content-type": "application/json", **api.a.auth(Role.REGISTRAR)},
    )
    assert "duplicate key 'type'" in problem(answer, 400)["detail"]
    with api.platform.uow(read_only=True) as tx:
        assert len(tx.credentials.list_for_issuer(api.a.issuer.id)) == before


def test_deep_nesting_is_refused_without_a_crash(api: Api) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    answer = api.client.post(
        "/credentials/verify", content=deep, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400, answer.text


def test_syntax_errors_keep_the_usual_answer(api: Api) -> None:
    answer = api.client.post(
        "/credentials/verify", content="{not json", headers={"content-type": "application/json"}
    )
    assert problem(answer, 400)["title"] == "Malformed JSON"


# the 413 of a streamed body read by this middleware: tests/integration/api/test_api_errors.py
