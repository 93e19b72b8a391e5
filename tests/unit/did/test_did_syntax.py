"""DID / DID URL syntax (DID Core §3.1, §3.2)."""

from __future__ import annotations

import pytest

from microcred.did.syntax import parse_did, parse_did_url
from microcred.errors import DIDError


@pytest.mark.parametrize(
    ("did", "method", "msi"),
    [
        (
            "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
            "key",
            "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        ),
        ("did:web:example.edu%3A8443:issuers:acme", "web", "example.edu%3A8443:issuers:acme"),
        ("did:example:123", "example", "123"),
    ],
)
def test_valid_dids(did: str, method: str, msi: str) -> None:
    parsed = parse_did(did)
    assert (parsed.did, parsed.method, parsed.method_specific_id) == (did, method, msi)


@pytest.mark.parametrize(
    ("did", "reason"),
    [
        ("", "must start with 'did:'"),
        ("DID:key:x", "must start with 'did:'"),
        ("did:Key:x", "lowercase"),
        ("did:key:", "expected did:<method>"),
        ("did:key", "expected did:<method>"),
        ("did:web:a:", "method-specific id"),
        ("did:web:a b", "method-specific id"),
        ("did:web:a%zz", "method-specific id"),
        ("did:key:z6Mk#frag", "DID URL"),
        ("did:web:" + "a" * 3000, "longer than"),
    ],
)
def test_invalid_dids(did: str, reason: str) -> None:
    with pytest.raises(DIDError, match=reason):
        parse_did(did)


def test_did_url_parts() -> None:
    url = parse_did_url("did:web:example.edu:issuers:acme/path/x?versionId=2#key-1")
    assert url.did == "did:web:example.edu:issuers:acme"
    assert url.path == "/path/x"
    assert url.query == "versionId=2"
    assert url.fragment == "key-1"
    bare = parse_did_url("did:example:1")
    assert (bare.path, bare.query, bare.fragment) == ("", None, None)


@pytest.mark.parametrize("url", ["did:example:1#", "did:example:1#a#b", "did:example:1#a b"])
def test_invalid_did_urls(url: str) -> None:
    with pytest.raises(DIDError) as info:
        parse_did_url(url)
    assert info.value.extra["code"] == "invalidDidUrl"


def test_non_string_is_rejected() -> None:
    with pytest.raises(DIDError):
        parse_did(42)  # type: ignore[arg-type]
