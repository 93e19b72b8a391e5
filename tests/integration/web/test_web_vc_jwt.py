"""VC-JWT on the web: the wallet's "download as VC-JWT", and the public verifier reading a
pasted or uploaded token (the same report as for the JSON form)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from web_client import Browser, csrf_from
from web_testkit import World


@pytest.fixture
def browser(app: Any, portal: Any) -> Iterator[Browser]:
    made = Browser(app, portal)
    try:
        yield made
    finally:
        made.close()


def open_wallet(browser: Browser, world: World, key: str = "ana") -> str:
    token = world.token(key)
    page = browser.get(f"/claim/{token}")
    answer = browser.post(f"/wallet/claim/{token}", data={"csrf_token": csrf_from(page.text)})
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def check(browser: Browser, *, files: Any = None, **fields: str) -> Any:
    token = csrf_from(browser.get("/verify").text)
    return browser.post(
        "/verify", data={"csrf_token": token, **fields}, files=files or {"file": ("", b"")}
    )


def verdict(html: str) -> str:
    marker = 'data-verdict="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def test_wallet_download_as_vc_jwt_then_verify_it(browser: Browser, world: World) -> None:
    detail = open_wallet(browser, world)
    page = browser.get(detail)
    assert f'href="{detail}/credential.jwt"' in page.text
    answer = browser.get(f"{detail}/credential.jwt")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/vc+jwt")
    assert ".jwt" in answer.headers["content-disposition"]
    token = answer.text
    payload_part = token.split(".")[1]
    payload = json.loads(base64.urlsafe_b64decode(payload_part + "=" * (-len(payload_part) % 4)))
    assert payload["jti"] == world.credentials["ana"].credential_uri
    # the same download twice gives the same token (deterministic signature, no iat)
    assert browser.get(f"{detail}/credential.jwt").text == token

    pasted = check(browser, source="paste", credential_json=token)
    assert pasted.status_code == 200
    assert verdict(pasted.text) == "verified", pasted.text
    assert "proof.jws" in pasted.text or "JSON Web Signature" in pasted.text

    uploaded = check(
        browser, source="file", files={"file": ("badge.jwt", token.encode(), "application/jwt")}
    )
    assert verdict(uploaded.text) == "verified", uploaded.text


def test_the_download_needs_the_wallet(browser: Browser, world: World) -> None:
    credential_id = world.credentials["ana"].id
    answer = browser.get(f"/wallet/credentials/{credential_id}/credential.jwt")
    assert answer.status_code in (303, 401, 403, 404)
    assert "eyJ" not in answer.text


def test_a_tampered_token_does_not_verify(browser: Browser, world: World) -> None:
    detail = open_wallet(browser, world)
    token = browser.get(f"{detail}/credential.jwt").text
    head, body, sig = token.split(".")
    flipped = ("B" if sig[0] == "A" else "A") + sig[1:]
    page = check(browser, source="paste", credential_json=f"{head}.{body}.{flipped}")
    assert verdict(page.text) == "not-verified", page.text


def test_an_unreadable_token_cannot_be_checked(browser: Browser) -> None:
    page = check(browser, source="paste", credential_json="eyJhbGciOiJFZERTQSJ9.eyJ4IjoxfQ.c2ln")
    assert verdict(page.text) == "unreadable"
    assert "not a readable VC-JWT" in page.text
