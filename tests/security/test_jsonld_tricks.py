"""JSON-LD ``@context`` tricks: each is a clear, typed error, and nothing is ever fetched.

* a remote context (https, a loopback http server, a relative URL, one nested in a node, one
  pulled in with ``@import``) is refused without a single request reaching the server;
* redefining a ``@protected`` term (``id``, ``type``, ``name``; directly, by ``@import`` of a
  bundled context with an override, by ``"@protected": false``, by nulling the context) is a
  JSON-LD error that says "protected term" — in ``canonize``, in the verifier's
  ``jsonld.terms`` check and in the proof check;
* ``@version: 1.0`` is refused (JSON-LD 1.1 processing only).

A bundled context pulled in with ``@import`` resolves from the bundle (no network) and, as
JSON-LD 1.1 requires, cannot lift the protection of the terms already defined.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from security_testkit import World, build_world, sign, unsigned_credential

from microcred.errors import DIDNotFoundError, JsonLdError, MicrocredError, UnknownContextError
from microcred.jsonld.processing import canonize, expand, find_undefined_terms

VC2 = "https://www.w3.org/ns/credentials/v2"


class _CountingServer:
    """A real HTTP server on 127.0.0.1 (port chosen by the OS) that counts requests."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                outer.requests.append(self.path)
                body = b'{"@context": {"name": "https://evil.example/name"}}'
                self.send_response(200)
                self.send_header("Content-Type", "application/ld+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server() -> Iterator[_CountingServer]:
    made = _CountingServer()
    try:
        yield made
    finally:
        made.close()


@pytest.fixture(scope="module")
def world() -> World:
    return build_world()


@pytest.fixture(scope="module")
def signed(world: World) -> dict[str, Any]:
    return sign(world, unsigned_credential(number=30))


def _with_contexts(document: dict[str, Any], *extra: Any) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    changed["@context"] = [*changed["@context"], *extra]
    return changed


def _body(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "proof"}


def _failures(world: World, document: dict[str, Any]) -> dict[str, str]:
    report = world.verify(document)
    assert not report.verified
    return {c.code: c.message for c in report.failures}


def _remote_variants(base: str) -> list[tuple[str, Any]]:
    return [
        ("appended", f"{base}/ctx.jsonld"),
        ("import", {"@import": f"{base}/imported.jsonld"}),
        (
            "scoped",
            {
                "credentialSubject": {
                    "@id": "https://www.w3.org/2018/credentials#credentialSubject",
                    "@context": f"{base}/scoped.jsonld",
                }
            },
        ),
    ]


def test_remote_contexts_are_refused_without_fetching(
    world: World, signed: dict[str, Any], server: _CountingServer
) -> None:
    for name, entry in _remote_variants(server.url):
        document = _with_contexts(signed, entry)
        with pytest.raises(UnknownContextError) as caught:
            canonize(_body(document), world.engine.loader)
        assert "never fetched" in caught.value.detail, name
        assert caught.value.type_uri.endswith("/unknown-context")
        failures = _failures(world, document)
        assert {"jsonld.contexts", "jsonld.terms", "proof.unknown_context"} & set(failures), name
    nested = copy.deepcopy(signed)
    nested["credentialSubject"]["@context"] = f"{server.url}/nested.jsonld"
    failures = _failures(world, nested)
    assert "jsonld.contexts" in failures and server.url in failures["jsonld.contexts"]
    assert server.requests == []  # not one request reached the server


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/context.jsonld",
        "ctx.jsonld",
        "https://www.w3.org/ns/credentials/v3",
        "https://www.w3.org/ns/credentials/v2#",
        "HTTPS://WWW.W3.ORG/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json?x=1",
        "file:///etc/passwd",
        "data:application/json,{}",
    ],
)
def test_unknown_and_look_alike_context_urls_are_refused(
    world: World, signed: dict[str, Any], url: str
) -> None:
    document = _with_contexts(signed, url)
    with pytest.raises(UnknownContextError):
        canonize(_body(document), world.engine.loader)
    failures = _failures(world, document)
    assert "jsonld.contexts" in failures
    assert url in failures["jsonld.contexts"]


PROTECTED_TRICKS = {
    "redefine id": [{"id": "https://evil.example/id"}],
    "redefine type": [{"type": "@id"}],
    "redefine name": [{"name": "https://evil.example/name"}],
    "protected false": [{"@protected": False, "name": "https://evil.example/name"}],
    "import and override": [{"@import": VC2, "name": "https://evil.example/name"}],
    "null the context": [None],
}


@pytest.mark.parametrize("trick", sorted(PROTECTED_TRICKS))
def test_protected_terms_cannot_be_redefined(
    world: World, signed: dict[str, Any], trick: str
) -> None:
    document = _with_contexts(signed, *PROTECTED_TRICKS[trick])
    for operation in (canonize, expand, find_undefined_terms):
        with pytest.raises(JsonLdError) as caught:
            operation(_body(document), world.engine.loader)
        detail = caught.value.detail
        assert detail.startswith("JSON-LD processing failed: "), detail
        assert "object at 0x" not in detail and "Traceback" not in detail
        if trick != "protected false":  # pyld reports that one as a cyclic IRI mapping
            assert "protected" in detail or "nullify" in detail, (trick, detail)
    failures = _failures(world, document)
    assert "proof.document_invalid" in failures or "proof.signature_invalid" in failures
    if "jsonld.terms" in failures:
        assert "JSON-LD processing failed" in failures["jsonld.terms"]
        assert "weak reference" not in failures["jsonld.terms"]


def test_an_unrelated_exception_being_handled_never_leaks_into_the_error(
    world: World, signed: dict[str, Any]
) -> None:
    """Regression: the JSON-LD error used to take its message from whatever exception the
    *caller* was handling (``__context__``), e.g. "cannot create weak reference"."""
    document = _body(_with_contexts(signed, {"name": "https://evil.example/name"}))
    try:
        raise DIDNotFoundError("an unrelated failure the caller is handling")
    except MicrocredError:
        with pytest.raises(JsonLdError) as caught:
            canonize(document, world.engine.loader)
    assert type(caught.value) is JsonLdError
    assert "protected term" in caught.value.detail
    assert "unrelated" not in caught.value.detail
    try:
        raise TypeError("cannot create weak reference to 'X' object")
    except TypeError:
        with pytest.raises(JsonLdError) as caught:
            find_undefined_terms(document, world.engine.loader)
    assert "weak reference" not in caught.value.detail


def test_json_ld_1_0_processing_is_refused(world: World, signed: dict[str, Any]) -> None:
    document = _with_contexts(signed, {"@version": 1.0})
    with pytest.raises(JsonLdError, match="version"):
        canonize(_body(document), world.engine.loader)
    assert "proof.document_invalid" in _failures(world, document)


def test_a_bundled_context_imported_resolves_locally(world: World, signed: dict[str, Any]) -> None:
    """``@import`` of a context microcred ships adds nothing new: the RDF is unchanged."""
    document = _with_contexts(signed, {"@import": VC2})
    loader = world.engine.loader
    assert canonize(_body(document), loader) == canonize(_body(signed), loader)


def test_an_undefined_term_never_silently_drops_out(world: World, signed: dict[str, Any]) -> None:
    document = copy.deepcopy(signed)
    document["credentialSubject"]["grade"] = "A+"
    assert find_undefined_terms(_body(document), world.engine.loader) == ["grade"]
    failures = _failures(world, document)
    assert "grade" in failures["jsonld.terms"]


def test_a_term_scoped_context_cannot_change_what_the_subject_says(
    world: World, signed: dict[str, Any]
) -> None:
    """A context that gives ``credentialSubject`` its own scoped context redefining ``name``:
    the type-scoped definitions of the Open Badges context still win, so ``name`` keeps its
    meaning; the changed document fails its signature."""
    document = _with_contexts(
        signed,
        {
            "credentialSubject": {
                "@id": "https://www.w3.org/2018/credentials#credentialSubject",
                "@context": {"name": "https://evil.example/name"},
            }
        },
    )
    document["credentialSubject"]["name"] = "Mallory"
    expanded = expand(_body(document), world.engine.loader)
    subject = expanded[0]["https://www.w3.org/2018/credentials#credentialSubject"][0]
    assert "https://evil.example/name" not in subject
    assert subject["https://schema.org/name"] == [{"@value": "Mallory"}]
    assert "proof.signature_invalid" in _failures(world, document)
