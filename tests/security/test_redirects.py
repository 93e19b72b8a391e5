"""Open redirects: every ``next`` target and every redirect the app sends stays on this site.

The console's sign-in form carries ``next`` (from the query string into a hidden field, then
into the ``303`` after signing in). Hostile targets — absolute URLs, scheme-relative ``//evil``,
backslash tricks, ``javascript:``, encoded or control-character variants, paths outside the
console — end at ``/console``; the ``Location`` of every redirect is a path of this site.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

from api_testkit import PASSWORD, Api, email_for
from console_testkit import csrf

from microcred.services.access import Role

HOSTILE = [
    "https://evil.example/",
    "http://evil.example",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/console\\..\\..\\evil",
    "/console/\\evil.example",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/console@evil.example",
    " //evil.example",
    "\t//evil.example",
    "/%2F%2Fevil.example",
    "/console%0d%0aSet-Cookie:%20x=1",
    "/console\r\nSet-Cookie: x=1",
    "https:evil.example",
    "/verify",  # on this site but outside the console: not a console target
]


class _NextField(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.value: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("name") == "next":
            self.value = found.get("value")


def _stays_here(location: str) -> bool:
    parts = urlsplit(location)
    return (
        not parts.scheme
        and not parts.netloc
        and location.startswith("/")
        and not location.startswith("//")
        and "\\" not in location
        and "\r" not in location
        and "\n" not in location
    )


def test_the_sign_in_form_never_carries_a_foreign_next(api: Api) -> None:
    client = api.new_client("192.0.2.70")
    for target in HOSTILE:
        page = client.get("/console/login?next=" + quote(target, safe=""))
        assert page.status_code == 200
        field = _NextField()
        field.feed(page.text)
        assert field.value is not None and field.value.startswith("/console"), target
        assert _stays_here(field.value), (target, field.value)


def test_signing_in_never_redirects_off_site(api: Api) -> None:
    email = email_for(Role.VIEWER, "alpha")
    for number, target in enumerate(HOSTILE):
        client = api.new_client(f"192.0.2.{100 + number}")
        page = client.get("/console/login")
        answer = client.post(
            "/console/login",
            data={"csrf_token": csrf(page.text), "email": email, "password": PASSWORD,
                  "next": target},
        )  # fmt: skip
        assert answer.status_code == 303, (target, answer.text)
        location = answer.headers["location"]
        assert _stays_here(location), (target, location)
        assert location.startswith("/console"), (target, location)
        assert "set-cookie: x" not in answer.headers.get("set-cookie", "").lower()


def test_a_good_next_is_kept(api: Api) -> None:
    client = api.new_client("192.0.2.71")
    page = client.get("/console/login?next=/console/alpha/credentials")
    answer = client.post(
        "/console/login",
        data={"csrf_token": csrf(page.text), "email": email_for(Role.ADMIN, "alpha"),
              "password": PASSWORD, "next": "/console/alpha/credentials"},
    )  # fmt: skip
    assert answer.headers["location"] == "/console/alpha/credentials"


def test_signed_out_console_redirects_keep_the_path_only(api: Api) -> None:
    client = api.new_client("192.0.2.72")
    for path in ("/console/alpha", "/console/alpha/definitions", "/console//evil.example"):
        answer = client.get(path)
        if answer.status_code == 303:
            location = answer.headers["location"]
            assert _stays_here(location), (path, location)
            assert location.startswith("/console/login?next=/")
