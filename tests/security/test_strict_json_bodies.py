"""JSON request bodies are read strictly: duplicate member names, ``NaN`` and ``Infinity`` → 400.

A credential sent with ``"id"`` twice means one thing to Python's ``json`` (the last one wins)
and maybe another to the signer that made it; ``NaN`` is not JSON at all. The API refuses both
before any endpoint runs (``api/strict_json.py``), names the reason, stores nothing, and still
lets well-formed bodies, forms and uploads through.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import starlette.requests
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


@pytest.mark.parametrize(
    ("label", "encode"),
    [
        ("a UTF-8 byte order mark", lambda text: b"\xef\xbb\xbf" + text.encode()),
        ("UTF-16 without a byte order mark", lambda text: text.encode("utf-16-le")),
        ("UTF-16 with a byte order mark", lambda text: text.encode("utf-16")),
    ],
)
def test_other_encodings_do_not_slip_a_duplicate_past(api: Api, label: str, encode: Any) -> None:
    # the framework's reader takes all of these: the strict reader must not let them through
    text = '{"verifiableCredential": {"id": "urn:uuid:a", "id": "urn:uuid:evil"}}'
    answer = api.client.post(
        "/credentials/verify", content=encode(text), headers={"content-type": "application/json"}
    )
    assert problem(answer, 400)["title"] == "Malformed JSON", label


def test_a_byte_order_mark_is_still_read(api: Api) -> None:
    text = json.dumps({"verifiableCredential": _signed(api)})
    answer = api.client.post(
        "/credentials/verify",
        content=b"\xef\xbb\xbf" + text.encode(),
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["verified"] is True


def test_utf16_bodies_are_refused_as_not_utf8(api: Api) -> None:
    text = json.dumps({"verifiableCredential": _signed(api)})
    answer = api.client.post(
        "/credentials/verify",
        content=text.encode("utf-16-le"),
        headers={"content-type": "application/json"},
    )
    assert "not UTF-8" in problem(answer, 400)["detail"]


class _CountingJson:
    """Stands in for the ``json`` module of ``starlette.requests``: counts the lax parses."""

    def __init__(self) -> None:
        self.calls = 0

    def loads(self, data: Any) -> Any:
        self.calls += 1
        return json.loads(data)


def test_a_json_body_is_parsed_once(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    # the strict reader's value is the one the endpoints get: the lax reader never runs
    counting = _CountingJson()
    monkeypatch.setattr(starlette.requests, "json", counting)
    json_type = {"content-type": "application/json"}
    verified = api.client.post(
        "/credentials/verify",
        content=json.dumps({"verifiableCredential": _signed(api)}),
        headers=json_type,
    )
    assert verified.status_code == 200, verified.text
    # an admin route: the body reaches the model's validation (422 names the missing field)
    pathways = f"/api/v1/issuers/{api.a.issuer.id}/pathways"
    admin = {**json_type, **api.a.auth(Role.ADMIN)}
    refused = api.client.post(pathways, content='{"slug": "p"}', headers=admin)
    assert "name" in json.dumps(problem(refused, 422))
    assert counting.calls == 0
    # a syntax error still reaches the framework's reader, with its usual answer
    broken = api.client.post(pathways, content="{not json", headers=admin)
    assert problem(broken, 400)["title"] == "Malformed JSON"
    assert counting.calls == 1


# the 413 of a streamed body read by this middleware: tests/integration/api/test_api_errors.py
