"""``POST /credentials/verify``'s ``200`` answer is written directly (orjson), not through
FastAPI's response model: it must stay the model's JSON, byte-compatible for clients."""

from __future__ import annotations

import json

from api_testkit import Api

from microcred.api.vcapi import VerificationResult, _json_answer
from microcred.services.access import Role


def test_a_verified_answer_is_the_response_model_json(api: Api) -> None:
    document = api.platform.issuance.get_credential(
        api.a.principals[Role.VIEWER], api.a.id, api.a.credential_id
    ).document
    answer = api.client.post("/credentials/verify", json={"verifiableCredential": document})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["x-content-type-options"] == "nosniff"  # headers middleware still on
    body = answer.json()
    model = VerificationResult.model_validate(body)
    assert model.verified is True
    assert "credential" not in body and "verifiablePresentation" not in body  # never null
    assert body["checks"] and body["errors"] == [] and body["report"]["verified"] is True


def test_what_orjson_cannot_write_goes_through_the_standard_encoder() -> None:
    big = {"verified": True, "credential": {"n": 2**70, "text": "é"}}
    answer = _json_answer(big)
    assert answer.status_code == 200
    assert json.loads(bytes(answer.body)) == big
    assert json.loads(bytes(_json_answer({"n": 1, "t": "é"}).body)) == {"n": 1, "t": "é"}
