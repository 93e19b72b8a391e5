"""Stored XSS: hostile strings saved through the API show up as text on every page that renders
them — the console (issuer profile, definitions, credentials, learners), the wallet and the
public verifier with an uploaded credential — never as markup.

Each page is parsed (``html.parser``): no ``<script>`` other than the product's own files, no
``on*`` event attributes, no ``javascript:``/``vbscript:``/``data:`` link targets (``data:``
images aside), and ``{{7*7}}`` is never evaluated to ``49``.
"""

from __future__ import annotations

import json
import uuid
from html.parser import HTMLParser
from xml.etree import ElementTree

from api_testkit import Api, bearer
from console_testkit import csrf

from microcred.services.access import Role
from microcred.services.issuance import IssueRequest

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


class _Meta(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.content: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "meta" and found.get("property"):
            self.content[str(found["property"])] = str(found.get("content") or "")


def _publish_hostile_definition(api: Api) -> str:
    from api_testkit import definition_body

    admin = bearer(api.a.tokens[Role.ADMIN])
    base = f"/api/v1/issuers/{api.a.id}"
    body = definition_body("hostile-course", api.a.issuer.did)
    achievement = body["achievement"]
    achievement["name"] = HOSTILE
    achievement["description"] = HOSTILE
    achievement["criteria"] = {"narrative": HOSTILE}
    made = api.client.post(f"{base}/definitions", json=body, headers=admin)
    assert made.status_code == 201, made.text
    definition_id = made.json()["id"]
    principal = api.a.principals[Role.ADMIN]
    api.platform.definitions.submit_for_review(principal, api.a.id, uuid.UUID(definition_id))
    api.platform.definitions.approve_and_publish(principal, api.a.id, uuid.UUID(definition_id))
    return str(definition_id)


def _assert_svg_inert(svg: bytes) -> None:
    root = ElementTree.fromstring(svg)
    for element in root.iter():
        name = element.tag.rsplit("}", 1)[-1].lower()
        assert name not in ("script", "foreignobject", "iframe", "a"), name
        for attribute, value in element.attrib.items():
            local = attribute.rsplit("}", 1)[-1].lower()
            assert not local.startswith("on"), attribute
            if local == "href":
                assert value.startswith(("data:image/", "#")), value
    # (a baked badge carries the credential JSON in a CDATA section: text, never markup)


def _assert_pdf_text_only(pdf: bytes) -> None:
    assert pdf.startswith(b"%PDF-")
    for action in (b"/JavaScript", b"/JS ", b"/JS(", b"/Launch", b"/OpenAction", b"/AA "):
        assert action not in pdf, action
    assert b"javascript:" not in pdf.lower()


def test_hostile_strings_stay_text_in_the_wallet_public_page_console_and_files(
    api: Api,
) -> None:
    admin = bearer(api.a.tokens[Role.ADMIN])
    principal = api.a.principals[Role.ADMIN]
    base = f"/api/v1/issuers/{api.a.id}"
    definition_id = _publish_hostile_definition(api)
    # a partner's endorsement of the definition, with hostile name and comment
    partner = api.client.post(
        f"{base}/partners", json={"name": HOSTILE, "holdKey": True}, headers=admin
    )
    assert partner.status_code == 201, partner.text
    endorsed = api.client.post(
        f"{base}/endorsements",
        json={
            "partnerId": partner.json()["id"],
            "target": "definition",
            "definitionId": definition_id,
            "comment": HOSTILE,
        },
        headers=admin,
    )
    assert endorsed.status_code == 201, endorsed.text
    issued = api.platform.issuance.issue(
        principal,
        api.a.id,
        IssueRequest.from_json(
            {
                "definitionId": definition_id,
                "learner": {"name": HOSTILE, "email": "mallory@alpha.example"},
                "evidence": [
                    {
                        "id": "javascript:alert(1)",
                        "narrative": HOSTILE,
                        "name": HOSTILE,
                        "description": HOSTILE,
                    }
                ],
            }
        ),
    )
    assert issued.claim_url is not None
    # a pathway with hostile name and part labels
    pathway = api.client.post(
        f"{base}/pathways",
        json={
            "slug": "hostile-path",
            "name": HOSTILE,
            "description": HOSTILE,
            "targetDefinitionId": str(api.a.definition_id),
            "rule": {
                "parts": [
                    {"key": "one", "label": HOSTILE, "definitionId": definition_id},
                ],
            },
        },
        headers=admin,
    )
    assert pathway.status_code == 201, pathway.text
    # a recognition request refused with a hostile reason
    external = api.platform.issuance.get_credential(
        api.b.principals[Role.ADMIN], api.b.id, api.b.credential_id
    ).document
    imported = api.client.post(
        f"{base}/recognition/credentials",
        json={"learnerId": str(issued.learner_id), "credential": dict(external)},
        headers=admin,
    )
    assert imported.status_code == 201, imported.text
    external_id = imported.json()["id"]
    decided = api.client.post(
        f"{base}/recognition/credentials/{external_id}/decision",
        json={"outcome": "refused", "reason": HOSTILE},
        headers=admin,
    )
    assert decided.status_code == 201, decided.text

    # the learner's wallet, the public page and the files
    sharing = api.app.state.web.sharing
    wallet = sharing.open_wallet(issued.claim_url.rsplit("/", 1)[1])
    identity = sharing.wallet(wallet.secret)
    share = sharing.set_sharing(identity, issued.id, True)
    assert share.share_id is not None
    learner = api.new_client("192.0.2.92")
    learner.http.cookies.set("mc_wallet", wallet.secret)
    for path in ("/wallet", f"/wallet/credentials/{issued.id}"):
        page = learner.get(path)
        assert page.status_code == 200, (path, page.status_code)
        assert "&lt;script&gt;" in page.text, path
        assert_inert(page.text, path)
    public = api.new_client("192.0.2.93").get(f"/c/{share.share_id}")
    assert public.status_code == 200
    assert_inert(public.text, "/c/{share_id}")
    meta = _Meta()
    meta.feed(public.text)
    assert SCRIPT in meta.content["og:title"] + meta.content["og:description"]
    svg = learner.get(f"/wallet/credentials/{issued.id}/badge.svg")
    assert svg.status_code == 200
    _assert_svg_inert(svg.content)
    pdf = learner.get(f"/wallet/credentials/{issued.id}/certificate.pdf")
    assert pdf.status_code == 200
    _assert_pdf_text_only(pdf.content)

    # the console pages of pathways, awards, recognition and endorsements
    staff = api.new_client("192.0.2.94")
    staff.http.cookies.set(
        "microcred_session", api.platform.identity.start_session(principal).secret
    )
    for path in (
        "/console/alpha/pathways",
        f"/console/alpha/pathways/{pathway.json()['id']}",
        f"/console/alpha/pathways/{pathway.json()['id']}/edit",
        "/console/alpha/awards",
        "/console/alpha/recognition",
        f"/console/alpha/recognition/{external_id}",
        "/console/alpha/endorsements",
        f"/console/alpha/definitions/{definition_id}",
        f"/console/alpha/credentials/{issued.id}",
    ):
        page = staff.get(path)
        assert page.status_code == 200, (path, page.status_code)
        assert_inert(page.text, path)


def test_right_to_left_overrides_are_refused_in_names(api: Api) -> None:
    admin = bearer(api.a.tokens[Role.ADMIN])
    base = f"/api/v1/issuers/{api.a.id}"
    partner = api.client.post(
        f"{base}/partners", json={"name": RTL_OVERRIDE, "holdKey": True}, headers=admin
    )
    assert partner.status_code == 422, partner.text
    learner = api.client.post(
        f"{base}/credentials",
        json={
            "definitionId": str(api.a.definition_id),
            "learner": {"name": RTL_OVERRIDE, "email": "rtl@alpha.example"},
        },
        headers=admin,
    )
    assert learner.status_code == 422, learner.text
