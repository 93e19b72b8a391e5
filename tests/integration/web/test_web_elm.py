"""European Digital Credentials on the web: the wallet's "European format (EDC/ELM)" download
(signed, verifiable, only for the owner) and the public verifier showing the EU elements of
an ELM credential — ours, the official Annex I sample, and a JAdES-sealed envelope."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web_client import Browser, csrf_from
from web_testkit import World

from microcred.services.elm import build_elm_service

STANDARDS = Path(__file__).resolve().parents[3] / ".." / "shared" / "standards"
ANNEX_I = STANDARDS / "eu-elm" / "samples" / "Sample-MC-Annex1-unsigned.jsonld"


@pytest.fixture
def browser(app: Any, portal: Any) -> Iterator[Browser]:
    made = Browser(app, portal)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def stranger(app: Any, portal: Any) -> Iterator[Browser]:
    made = Browser(app, portal)
    try:
        yield made
    finally:
        made.close()


def _open_wallet(browser: Browser, world: World, key: str) -> str:
    token = world.token(key)
    page = browser.get(f"/claim/{token}")
    answer = browser.post(f"/wallet/claim/{token}", data={"csrf_token": csrf_from(page.text)})
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def _check(browser: Browser, text: str) -> Any:
    token = csrf_from(browser.get("/verify").text)
    return browser.post(
        "/verify",
        data={"csrf_token": token, "source": "paste", "credential_json": text},
        files={"file": ("", b"")},
    )


def _verdict(html: str) -> str:
    marker = 'data-verdict="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def _edc(world: World, key: str = "ana") -> dict[str, Any]:
    issued = world.credentials[key]
    return build_elm_service(world.platform).export_document(
        world.issuer.id, issued.document, learner_name="Ana López"
    )


def test_the_wallet_downloads_the_signed_edc_for_its_owner_only(
    browser: Browser, stranger: Browser, world: World
) -> None:
    detail = _open_wallet(browser, world, "ana")
    page = browser.get(detail).text
    assert "European format (EDC/ELM)" in page
    answer = browser.get(f"{detail}/credential-edc.jsonld")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/ld+json")
    assert answer.headers["content-disposition"].endswith('-edc.jsonld"')
    assert answer.headers["cache-control"] == "no-store"
    document = answer.json()
    assert "EuropeanDigitalCredential" in document["type"]
    assert document["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    assert world.platform.engine.verifier.verify_credential(document).verified
    eve = world.credentials["eve"].id
    assert browser.get(f"/wallet/credentials/{eve}/credential-edc.jsonld").status_code == 404
    assert browser.get("/wallet/credentials/nope/credential-edc.jsonld").status_code == 404
    signed_out = stranger.get(f"{detail}/credential-edc.jsonld")
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/wallet"


def test_the_verifier_shows_the_eu_elements_of_our_edc(browser: Browser, world: World) -> None:
    answer = _check(browser, json.dumps(_edc(world)))
    assert answer.status_code == 200, answer.text
    assert _verdict(answer.text) in ("verified", "verified-with-notes")
    assert "European Digital Credential: the EU elements" in answer.text
    assert 'class="facts elm-element-list"' in answer.text and "Ana López" in answer.text
    assert "What the credential says" not in answer.text  # the OB summary would be empty


def test_the_verifier_explains_a_sealed_edc(browser: Browser, world: World) -> None:
    header = {"alg": "ES256", "b64": False, "crit": ["sigT", "b64"], "sigT": "2026-03-10T12:00:00Z"}
    protected = base64.urlsafe_b64encode(json.dumps(header).encode()).decode().rstrip("=")
    signature = base64.urlsafe_b64encode(os.urandom(64)).decode().rstrip("=")
    unsigned = _edc(world)
    unsigned.pop("proof")
    envelope = {
        "payload": json.dumps(unsigned, ensure_ascii=False),
        "signatures": [{"protected": protected, "header": {"etsiU": []}, "signature": signature}],
    }
    answer = _check(browser, json.dumps(envelope))
    assert answer.status_code == 200, answer.text
    html = answer.text
    assert "Sealed with an eIDAS certificate" in html and "seal not checked here" in html
    assert "European Digital Credentials viewer" in html
    assert 'data-family="elm"' in html and "European Digital Credential</h3>" in html
    assert "European Digital Credential: the EU elements" in html


def test_the_official_annex_i_sample_shows_its_eu_elements(browser: Browser) -> None:
    if not ANNEX_I.is_file():
        pytest.skip("../shared/standards is absent: no official ELM sample")
    answer = _check(browser, ANNEX_I.read_text(encoding="utf-8"))
    assert answer.status_code == 200, answer.text
    html = answer.text
    assert "European Digital Credential: the EU elements" in html
    assert html.count("<dt data-element=") >= 5
    assert _verdict(html) != "unreadable"
    start = html.index('data-verdict="')
    assert "Do not rely on this credential. " in html[start : start + 1200]
