"""Stored XSS: hostile strings saved through the API show up as text on every page that renders
them — the console (issuer profile, definitions, credentials, learners), the wallet and the
public verifier with an uploaded credential — never as markup.

Each page is parsed (``html.parser``): no ``<script>`` other than the product's own files, no
``on*`` event attributes, no ``javascript:``/``vbscript:``/``data:`` link targets (``data:``
images aside), and ``{{7*7}}`` is never evaluated to ``49``.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

from api_testkit import Api, bearer
from console_testkit import csrf

from microcred.services.access import Role

SCRIPT = "<script>alert('xss')</script>"
HOSTILE = f"{SCRIPT}\"><img src=x onerror=alert(1)> {{{{7*7}}}} 'quoted' & co"
RTL_OVERRIDE = "Harmless \u202egnp.exe"
URLS = ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:x"]


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            text = (value or "").strip().lower()
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}>")
            if name in ("href", "src", "action", "formaction", "xlink:href"):
                if text.startswith(("javascript:", "vbscript:")):
                    self.problems.append(f"<{tag} {name}={value!r}>")
                if text.startswith("data:") and not (tag == "img" and name == "src"):
                    self.problems.append(f"<{tag} {name}={text[:30]!r}>")
        if tag == "script":
            src = dict(attrs).get("src") or ""
            if not src.startswith("/assets/"):
                self.problems.append(f"<script src={src!r}>")
        if tag in ("iframe", "object", "embed", "base"):
            self.problems.append(f"<{tag}>")


def assert_inert(html: str, where: str) -> None:
    parser = _Markup()
    parser.feed(html)
    assert not parser.problems, f"{where}: {parser.problems}"
    assert SCRIPT not in html, where
    assert "{{7*7}}" not in html or "49" not in html.split("{{7*7}}")[0][-5:], where


def test_hostile_strings_stay_text_on_every_page(api: Api) -> None:
    admin = bearer(api.a.tokens[Role.ADMIN])
    base = f"/api/v1/issuers/{api.a.id}"
    refused = []
    for url in URLS:
        answer = api.client.patch(base, json={"homepage": url}, headers=admin)
        if answer.status_code < 400:
            refused.append(url)
    assert not refused, f"URL fields accept {refused}"
    # a right-to-left override (file-name spoofing) is refused, not stored
    spoof = api.client.patch(base, json={"name": RTL_OVERRIDE}, headers=admin)
    assert spoof.status_code == 422, spoof.text
    profile = api.client.patch(base, json={"name": HOSTILE}, headers=admin)
    assert profile.status_code == 200, profile.text
    issued = api.client.post(
        f"{base}/credentials",
        json={
            "definitionId": str(api.a.definition_id),
            "learner": {"name": HOSTILE, "email": "mallory@alpha.example", "externalId": HOSTILE},
        },
        headers=admin,
    )
    assert issued.status_code == 201, issued.text
    credential_id = issued.json()["id"]
    client = api.new_client("192.0.2.90")
    session = api.platform.identity.start_session(api.a.principals[Role.ADMIN]).secret
    client.http.cookies.set("microcred_session", session)
    pages = [
        "/console/alpha",
        "/console/alpha/credentials",
        f"/console/alpha/credentials/{credential_id}",
        "/console/alpha/definitions",
        f"/console/alpha/definitions/{api.a.definition_id}",
        "/console/alpha/settings",
        "/console/alpha/issue",
    ]
    for path in pages:
        page = client.get(path)
        assert page.status_code == 200, (path, page.status_code)
        assert "&lt;script&gt;" in page.text or path.endswith(("/definitions", "/issue")), path
        assert_inert(page.text, path)
    # the verifier page with the credential (hostile names inside) pasted in
    document = api.client.get(f"{base}/credentials/{credential_id}", headers=admin).json()
    credential = document.get("credential", document)
    verifier = api.new_client("192.0.2.91")
    form = verifier.get("/verify")
    checked = verifier.post(
        "/verify",
        data={
            "csrf_token": csrf(form.text),
            "source": "paste",
            "credential_json": json.dumps(credential),
        },
        headers={"Accept": "text/html"},
    )
    assert checked.status_code == 200, checked.text
    assert_inert(checked.text, "POST /verify")
