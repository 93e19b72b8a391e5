"""FastCanonizer behaviour: caching, fallbacks and their counts, safe mode, wiring."""

from __future__ import annotations

import copy
import json
import logging
import threading
from typing import Any

import pytest
from fast_testkit import assert_same, bundled_loader, inline_credential, ob_credential

from microcred.errors import ConfigError, UndefinedTermError, UnknownContextError
from microcred.jsonld.fast import FastCanonizer
from microcred.jsonld.fast.shape import WalkError, walk
from microcred.jsonld.processing import canonize
from microcred.proof.cryptosuites.eddsa_rdfc_2022 import EddsaRdfc2022
from microcred.wiring import CANON_ENV, build_canonizer, build_registry, canon_mode

LOADER = bundled_loader()


def _variant(i: int) -> dict[str, Any]:
    document = ob_credential()
    document["id"] = f"urn:uuid:00000000-0000-4000-8000-{i:012d}"
    document["credentialSubject"]["result"][0]["value"] = f"{i}"
    return document


def test_first_document_compiles_then_the_shape_answers() -> None:
    fast = FastCanonizer(LOADER, compile_after=1)
    for i in range(4):
        assert fast(_variant(i), LOADER) == canonize(_variant(i), LOADER)
    assert (fast.stats.calls, fast.stats.compiles, fast.stats.fast, fast.stats.full) == (4, 1, 3, 0)
    assert fast.stats.compiled_shapes == 1
    assert fast.stats.fallback_rate == 0.0


def test_by_default_a_first_sighting_is_answered_without_compiling() -> None:
    """The default (compile_after=2): the first document of a shape is answered from the
    audit expansion by pyld's conversion (no compiling, no full path), the second compiles,
    later ones are fast; every answer is the full path's."""
    fast = FastCanonizer(LOADER)
    for i in range(3):
        assert fast(_variant(i), LOADER) == canonize(_variant(i), LOADER)
    assert fast.stats.fallbacks == {}
    assert (fast.stats.first_sights, fast.stats.compiles, fast.stats.fast) == (1, 1, 1)
    # shapes seen once each (a verifier's day): none compiled, none on the full path
    once = FastCanonizer(LOADER)
    for i in range(4):
        document = _variant(i)
        document[f"https://uni.example.eu/ns#note{i}"] = "a shape of its own"
        assert once(document, LOADER) == canonize(document, LOADER)
    assert (once.stats.first_sights, once.stats.compiles, once.stats.full) == (4, 0, 0)
    # what the audit refuses on a first sighting is the full path's answer (its error)
    bad = _variant(1)
    bad["credentialSubject"]["notATerm"] = "x"
    first = FastCanonizer(LOADER)
    with pytest.raises(UndefinedTermError, match="notATerm"):
        first(bad, LOADER)
    assert first.stats.fallbacks == {"first_seen": 1}


def test_safe_mode_errors_are_the_full_paths() -> None:
    fast = FastCanonizer(LOADER, compile_after=1)
    document = _variant(1)
    fast(document, LOADER)
    bad = _variant(2)
    bad["credentialSubject"]["notATerm"] = "x"  # a new key: a new shape, the full path
    with pytest.raises(UndefinedTermError, match="notATerm"):
        fast(bad, LOADER)
    relative = _variant(3)
    relative["id"] = "relative/id"  # same shape, a value the shape cannot vouch for
    with pytest.raises(UndefinedTermError):
        fast(relative, LOADER)
    assert fast.stats.fallbacks["values"] == 1
    unknown = _variant(4)
    unknown["@context"] = [*unknown["@context"], "https://unknown.example/ctx"]
    with pytest.raises(UnknownContextError):
        fast(unknown, LOADER)


@pytest.mark.parametrize(
    "value",
    [
        "_:b0",  # a blank node identifier
        "urn:microcred:undefined-term:x",  # what the audit reads as an undefined term
        "https://example.org/a b",  # whitespace: not an IRI
        "",
    ],
)
def test_identifiers_the_shape_cannot_vouch_for_take_the_full_path(value: str) -> None:
    fast = FastCanonizer(LOADER, compile_after=1)
    fast(_variant(1), LOADER)
    document = _variant(2)
    document["credentialSubject"]["achievement"]["id"] = value
    assert_same(fast, document, LOADER)
    assert fast.stats.fallbacks["values"] == 1


def test_compact_iris_take_the_full_path() -> None:
    fast = FastCanonizer(LOADER, compile_after=1)
    fast(inline_credential(), LOADER)
    document = inline_credential()
    document["credentialSubject"]["homepage"] = "ex:home"  # "ex" is a prefix: expanded
    assert_same(fast, document, LOADER)
    document["credentialSubject"]["homepage"] = "other:home"  # not a prefix: kept
    assert_same(fast, document, LOADER)
    assert fast.stats.fallbacks == {"values": 1}
    assert fast.stats.fast == 1


def test_repeated_values_merge_like_the_node_map() -> None:
    fast = FastCanonizer(LOADER, compile_after=1)
    document = _variant(1)
    fast(copy.deepcopy(document), LOADER)
    tags = document["credentialSubject"]["achievement"]["tag"]
    tags[1] = tags[0]  # the same value twice: one statement
    assert_same(fast, document, LOADER)
    assert fast.stats.fast == 1


def test_same_literal_from_different_values_falls_back() -> None:
    # "5" typed xsd:float from a string and from a number: two statements in pyld.
    document = inline_credential()
    document["credentialSubject"]["part"]["plain"] = 7
    document["credentialSubject"]["plain"] = "7"
    fast = FastCanonizer(LOADER, compile_after=1)
    assert_same(fast, document, LOADER)
    again = copy.deepcopy(document)
    assert_same(fast, again, LOADER)


def test_other_loader_and_unsafe_calls_use_the_full_path() -> None:
    fast = FastCanonizer(LOADER, compile_after=1)
    other = bundled_loader().with_documents({"https://example.org/ctx": {"@context": {}}})
    assert fast(_variant(1), other) == canonize(_variant(1), other)
    assert fast(_variant(1), LOADER, safe=False) == canonize(_variant(1), LOADER, safe=False)
    assert fast.stats.fallbacks == {"other_loader": 2}


@pytest.mark.parametrize(
    "document",
    [
        [{"@context": "https://www.w3.org/ns/credentials/v2"}],  # not an object
        {"@context": "https://www.w3.org/ns/credentials/v2", "name": float("nan")},
        {"@context": "https://www.w3.org/ns/credentials/v2", 1: "x"},
        {"@context": "https://www.w3.org/ns/credentials/v2", "name": ("tuple",)},
    ],
)
def test_documents_that_are_not_plain_json_take_the_full_path(document: Any) -> None:
    fast = FastCanonizer(LOADER, compile_after=1)
    assert_same(fast, document, LOADER)
    assert fast.stats.fallbacks == {"not_plain_json": 1}


def test_walk_keeps_types_and_contexts_in_the_skeleton() -> None:
    a, leaves_a = walk({"@context": ["x"], "n": 1, "f": 1.0, "b": True, "s": "1"})
    b, leaves_b = walk({"@context": ["x"], "n": 1.0, "f": 1, "b": True, "s": "1"})
    assert a != b and leaves_a == [1, 1.0, "1"]
    c, _ = walk({"@context": ["y"], "n": 1, "f": 1.0, "b": True, "s": "1"})
    d, _ = walk({"@context": ["x"], "n": 1, "f": 1.0, "b": False, "s": "1"})
    assert len({a, c, d}) == 3
    assert walk({"@context": {"a": 1}})[0] != walk({"@context": {"a": 1.0}})[0]
    with pytest.raises(WalkError):
        walk({"@context": {"a": float("inf")}})
    nested: Any = "leaf"
    for _ in range(60):
        nested = {"a": nested}
    with pytest.raises(WalkError):
        walk(nested)


def test_unsupported_shapes_are_remembered_and_counted() -> None:
    document = inline_credential()
    document["credentialSubject"]["@included"] = [{"id": "did:example:x", "label": "y"}]
    fast = FastCanonizer(LOADER, compile_after=1)
    for _ in range(3):
        assert_same(fast, copy.deepcopy(document), LOADER)
    assert fast.stats.failed_compiles == 1
    assert "@included" in fast.stats.compile_problems[0]
    assert fast.stats.fallbacks == {"compiled": 1, "unsupported_shape": 2}


def test_caches_are_bounded() -> None:
    fast = FastCanonizer(LOADER, compile_after=1, max_families=2, max_shapes_per_family=1)
    for i in range(4):
        document = _variant(i)
        document[f"https://example.org/ns#extra{i}"] = "x"  # four skeletons
        assert_same(fast, document, LOADER)
    assert len(fast._families) == 2
    for kind in ("Thing", "Other"):  # two structural values (@vocab), one skeleton
        document = inline_credential()
        document["credentialSubject"]["kind"] = kind
        assert_same(fast, document, LOADER)
    family = next(reversed(fast._families.values()))
    assert sum(len(v.shapes) for v in family.variants) == 1
    assert fast.stats.compiled_shapes == 6


def test_shapes_beyond_the_statement_limit_are_not_kept() -> None:
    fast = FastCanonizer(LOADER, compile_after=1, max_statements=20)
    for i in range(3):
        assert_same(fast, _variant(i), LOADER)
    assert fast.stats.compiled_shapes == 0
    assert fast.stats.compiles == 1  # answered by the (checked) compiling run
    assert fast.stats.fallbacks == {"unsupported_shape": 2}
    assert "too many statements" in fast.stats.compile_problems[0]


def test_a_compiler_defect_is_caught_by_the_self_check(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from microcred.jsonld.fast import terms

    original = terms.escape_literal
    # A broken literal escape in the compiled program only (the reference is pyld's).
    monkeypatch.setattr("microcred.jsonld.fast.shape.escape_literal", lambda v: original(v) + "!")
    fast = FastCanonizer(LOADER, compile_after=1)
    with caplog.at_level(logging.WARNING):
        for i in range(3):
            assert fast(_variant(i), LOADER) == canonize(_variant(i), LOADER)
    assert fast.stats.mismatches == 1
    assert fast.stats.fast == 0
    assert "disagrees" in caplog.text


def test_concurrent_use_gives_the_same_answers() -> None:
    fast = FastCanonizer(LOADER, compile_after=1)
    expected = {i: canonize(_variant(i), LOADER) for i in range(8)}
    errors: list[str] = []

    def work(offset: int) -> None:
        for i in range(8):
            n = (i + offset) % 8
            if fast(_variant(n), LOADER) != expected[n]:
                errors.append(f"document {n}")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert fast.stats.mismatches == 0


def test_stats_to_json() -> None:
    fast = FastCanonizer(LOADER, compile_after=1)
    fast(_variant(1), LOADER)
    fast(_variant(2), LOADER)
    data = fast.stats.to_json()
    assert data["calls"] == 2 and data["fast"] == 1 and data["compiles"] == 1
    assert json.loads(json.dumps(data)) == data


# -- wiring -------------------------------------------------------------------------------


def test_canon_mode_reads_the_environment() -> None:
    assert canon_mode({}) == "fast"
    assert canon_mode({CANON_ENV: " FULL "}) == "full"
    assert canon_mode({CANON_ENV: ""}) == "fast"
    with pytest.raises(ConfigError, match=CANON_ENV):
        canon_mode({CANON_ENV: "turbo"})


def test_build_registry_uses_the_fast_canonizer_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(CANON_ENV, raising=False)
    suite = build_registry(LOADER).get("eddsa-rdfc-2022")
    assert isinstance(suite, EddsaRdfc2022)
    assert isinstance(suite.canonizer, FastCanonizer)
    assert suite.canonizer.loader is LOADER
    legacy = build_registry(LOADER).get("Ed25519Signature2020")
    assert isinstance(legacy._canonize, FastCanonizer)  # type: ignore[attr-defined]


def test_microcred_canon_full_forces_the_full_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CANON_ENV, "full")
    suite = build_registry(LOADER).get("eddsa-rdfc-2022")
    assert suite.canonizer is canonize  # type: ignore[attr-defined]
    assert build_canonizer(LOADER, mode="fast") is not canonize
    with pytest.raises(ConfigError):
        build_canonizer(LOADER, mode="other")


_EX = {"ex": "https://example.org/", "@vocab": "https://example.org/vocab#"}
SPECIAL: dict[str, tuple[dict[str, Any], bool]] = {
    # name: (document, compiles)
    "shared blank node labels": (
        {
            "@context": _EX,
            "@id": "https://example.org/a",
            "knows": [{"@id": "_:x", "name": "X"}, {"@id": "_:x", "age": 3}],
            "likes": {"@id": "_:x"},
        },
        True,
    ),
    "an IRI-named graph": (
        {
            "@context": _EX,
            "@id": "https://example.org/g",
            "@graph": [
                {"@id": "https://example.org/s", "p": "in the graph"},
                {"@id": "https://example.org/t", "q": {"@id": "https://example.org/s"}},
            ],
            "label": "the graph node itself",
        },
        True,
    ),
    "a top-level @graph": (
        {"@context": _EX, "@graph": [{"@id": "ex:a", "p": 1}, {"@id": "ex:b", "p": 1.5}]},
        True,
    ),
    "nested lists": (
        {
            "@context": {**_EX, "m": {"@id": "ex:m", "@container": "@list"}},
            "m": [[1, 2], [], ["x"]],
        },
        True,
    ),
    "an index map": (
        {
            "@context": {**_EX, "idx": {"@id": "ex:idx", "@container": "@index"}},
            "idx": {"one": "a", "two": {"name": "b"}},
        },
        False,
    ),
    "a reverse property": (
        {"@context": _EX, "@id": "ex:a", "@reverse": {"ex:child": {"@id": "ex:b"}}},
        False,
    ),
    "a JSON literal": (
        {"@context": {**_EX, "j": {"@id": "ex:j", "@type": "@json"}}, "j": {"b": [1, "x"]}},
        False,
    ),
    "a base direction": (
        {"@context": _EX, "t": {"@value": "text", "@language": "ar", "@direction": "rtl"}},
        False,
    ),
    "an @id map and a @type map": (
        {
            "@context": {
                **_EX,
                "byId": {"@id": "ex:byId", "@container": "@id"},
                "byType": {"@id": "ex:byType", "@container": "@type"},
            },
            "byId": {"https://example.org/n1": {"name": "one"}},
            "byType": {"ex:T": {"name": "typed"}},
        },
        True,
    ),
    "nested properties": (
        {
            "@context": {**_EX, "wrap": "@nest", "inner": {"@id": "ex:inner", "@nest": "wrap"}},
            "@id": "ex:a",
            "wrap": {"inner": "value"},
        },
        True,
    ),
    "a base IRI": (
        {"@context": {**_EX, "@base": "https://base.example/"}, "@id": "doc", "p": {"@id": "x"}},
        True,
    ),
}


@pytest.mark.parametrize("name", sorted(SPECIAL))
def test_special_json_ld_features(name: str) -> None:
    document, compiles = SPECIAL[name]
    fast = FastCanonizer(LOADER, compile_after=1)
    for _ in range(3):
        assert_same(fast, copy.deepcopy(document), LOADER)
    changed = json.loads(json.dumps(document).replace('"X"', '"Y"').replace("value", "v2"))
    assert_same(fast, changed, LOADER)
    assert (fast.stats.compiled_shapes > 0) is compiles, fast.stats.compile_problems
    if compiles:
        assert fast.stats.fast >= 2
