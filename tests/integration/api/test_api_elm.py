"""ELM v3 export and show through the API (real platform, SQLite and PostgreSQL)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from api_testkit import Api, problem

from microcred.services.access import Role

SAMPLES = Path(__file__).resolve().parents[3] / ".." / "shared" / "standards" / "eu-elm" / "samples"


def _url(api: Api) -> str:
    return f"/api/v1/issuers/{api.a.id}/credentials/{api.a.credential_id}/elm"


def test_export_is_a_signed_edc_that_verifies(api: Api) -> None:
    answer = api.client.get(_url(api), headers=api.a.auth(Role.ADMIN))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/ld+json")
    doc = answer.json()
    assert "EuropeanDigitalCredential" in doc["type"]
    assert doc["issuer"]["id"] == api.a.issuer.did
    assert doc["credentialSubject"]["fullName"] == {"en": "Lee Learner"}
    assert doc["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    shown = api.client.post("/api/v1/elm/show", json=doc)
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["report"]["verified"], body["report"]
    assert body["elm"]["title"]
    assert body["elm"]["missing"] == []
    tampered = copy.deepcopy(doc)
    tampered["credentialSubject"]["fullName"] = {"en": "Mallory"}
    assert not api.client.post("/api/v1/elm/show", json=tampered).json()["report"]["verified"]


def test_export_needs_access(api: Api) -> None:
    problem(api.client.get(_url(api)), 401)
    problem(api.client.get(_url(api), headers=api.b.auth(Role.ADMIN)), 404)  # not a member
    other = f"/api/v1/issuers/{api.a.id}/credentials/{api.b.credential_id}/elm"
    problem(api.client.get(other, headers=api.a.auth(Role.ADMIN)), 404)


def test_show_refuses_what_is_not_an_elm_document(api: Api) -> None:
    body = problem(
        api.client.post("/api/v1/elm/show", json={"type": ["VerifiableCredential"]}), 400
    )
    assert "EuropeanDigitalCredential" in body["detail"]


def test_show_an_official_sample(api: Api) -> None:
    path = SAMPLES / "Sample-MC-Annex1-unsigned.jsonld"
    if not path.exists():
        import pytest

        pytest.skip("../shared/standards is absent")
    answer = api.client.post("/api/v1/elm/show", json=json.loads(path.read_text()))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["elm"]["learner"] == "Ana Andromeda"
    assert not body["report"]["verified"]  # unsigned sample
