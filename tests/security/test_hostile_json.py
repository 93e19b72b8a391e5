"""Hostile JSON against the verifier and the JSON-LD layer: no crash, no hang, bounded memory.

Deeply nested values, huge integers, 10 MB strings, NUL bytes, lone surrogates, non-finite
numbers and random credential-shaped values (hypothesis) always give a verification report
(the verifier) or a typed :class:`~microcred.errors.MicrocredError` (the JSON-LD layer, the
strict JSON reader) — never a raw exception. Memory is measured loosely with ``tracemalloc``
(a generous cap, never wall time).
"""

from __future__ import annotations

import contextlib
import copy
import json
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from security_testkit import World, build_world, sign, unsigned_credential

from microcred.errors import MicrocredError
from microcred.jsonld.processing import (
    MAX_ARRAY_ITEMS,
    MAX_DEPTH,
    MAX_VALUES,
    canonize,
    find_undefined_terms,
)
from microcred.lexical import loads_strict_json
from microcred.proof.jcs import canonicalize
from microcred.verification.report import VerificationReport

MB = 1024 * 1024


@pytest.fixture(scope="module")
def world() -> World:
    return build_world()


@pytest.fixture(scope="module")
def signed(world: World) -> dict[str, Any]:
    return sign(world, unsigned_credential(number=40))


def _peak(action: Callable[[], Any]) -> tuple[Any, int]:
    tracemalloc.start()
    try:
        result = action()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def _sound(report: VerificationReport) -> None:
    assert isinstance(report, VerificationReport)
    assert report.verified is False
    json.dumps(report.to_json())
    for check in report.checks:
        assert check.message and "Traceback" not in check.message


def _nested(depth: int, leaf: Any = "x") -> Any:
    value: Any = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"a": value}
    return value


def _hostile_values() -> dict[str, Any]:
    return {
        "deep": _nested(5_000),
        "just past the depth limit": _nested(MAX_DEPTH + 1),
        "huge int": 10**4000,
        "negative huge int": -(10**4000),
        "unsafe int": 2**53 + 1,
        "10 MB string": "a" * (10 * MB),
        "NUL": "before\x00after",
        "lone surrogate": "\ud800",
        "control characters": "".join(chr(c) for c in range(32)),
        "nan": float("nan"),
        "infinity": float("inf"),
        "wide array": list(range(200_000)),
        "wide object": {f"k{i}": i for i in range(5_000)},
        "too many values": {f"k{i}": [i] for i in range(30_000)},
    }


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(_hostile_values()))
@pytest.mark.parametrize("where", ["credentialSubject", "name", "issuer", "proof", "@context"])
def test_hostile_values_in_a_signed_credential_yield_a_report(
    world: World, signed: dict[str, Any], name: str, where: str
) -> None:
    document = copy.deepcopy(signed)
    value = _hostile_values()[name]
    if name == "10 MB string" and where in ("issuer", "@context"):
        value = value[:MB]  # as much as the API accepts (the DID/IRI parsers are linear)
    if where == "credentialSubject":
        document["credentialSubject"]["achievement"]["description"] = value
    elif where == "proof":
        document["proof"]["proofValue"] = value
    elif where == "@context":
        document["@context"] = [*document["@context"], value]
    else:
        document[where] = value
    if where != "credentialSubject":
        _sound(world.verify(document))
        return
    report, peak = _peak(lambda: world.verify(document))  # memory, measured once per value
    _sound(report)
    assert peak < 200 * MB, f"{name} in {where}: {peak // MB} MB"


@pytest.mark.parametrize("name", sorted(_hostile_values()))
def test_the_json_ld_layer_raises_typed_errors_only(world: World, name: str) -> None:
    body = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:1",
        "credentialSubject": {"id": "did:example:2", "name": _hostile_values()[name]},
    }
    for operation in (canonize, find_undefined_terms):
        try:
            operation(body, world.engine.loader)
        except MicrocredError as error:
            assert error.detail and error.type_uri
        except RecursionError:  # pragma: no cover - the failure this test guards against
            pytest.fail(f"{operation.__name__}: RecursionError on {name}")


def test_the_depth_limit_is_a_clear_error(world: World) -> None:
    body = {"@context": ["https://www.w3.org/ns/credentials/v2"], "x": _nested(MAX_DEPTH + 5)}
    with pytest.raises(MicrocredError, match=f"more than {MAX_DEPTH} levels"):
        canonize(body, world.engine.loader)


def test_width_limits_are_clear_errors(world: World) -> None:
    """pyld's expansion is quadratic in the items of one array (10,000 took minutes): the
    JSON-LD layer refuses a longer array, and documents of more than MAX_VALUES values."""
    base = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"]}
    wide = {**base, "x": list(range(MAX_ARRAY_ITEMS + 1))}
    with pytest.raises(MicrocredError, match=f"more than {MAX_ARRAY_ITEMS}"):
        canonize(wide, world.engine.loader)
    many = {**base, "x": [[[i] * 100 for i in range(MAX_VALUES // 1000)]] * 20}
    with pytest.raises(MicrocredError, match=f"more than {MAX_VALUES} JSON values"):
        canonize(many, world.engine.loader)
    fine = {**base, "x": list(range(MAX_ARRAY_ITEMS))}
    with pytest.raises(MicrocredError, match="not defined"):  # reaches the safe-mode audit
        canonize(fine, world.engine.loader)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "a": 2}',
        '{"a": NaN}',
        '{"a": Infinity}',
        '{"a": -Infinity}',
        '{"a": ' + "9" * 5000 + "}",
        "[" * 100_000 + "]" * 100_000,
        '{"a": "\\ud800"',
        '{"a": 1}garbage',
    ],
)
def test_the_strict_json_reader_refuses_with_value_errors(text: str) -> None:
    """The reader the CLI and did:web use: duplicate names, non-finite numbers, integers of
    thousands of digits are ``ValueError``; absurd nesting is ``RecursionError`` (its
    documented contract; the callers turn both into their clear errors)."""
    with pytest.raises((ValueError, RecursionError)):  # JSONDecodeError is a ValueError
        loads_strict_json(text)


def test_jcs_refuses_what_it_cannot_represent() -> None:
    for value in ({"a": float("nan")}, {"a": 2**53 + 1}, {"a": "\ud800"}, {1: "x"}):
        with pytest.raises(ValueError):
            canonicalize(value)


json_leaf = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(st.characters(codec=None), max_size=20)
    | st.sampled_from(["\x00", "\ud800", "did:web:127.0.0.1", "https://evil.example/", "@id"])
)
json_values = st.recursive(
    json_leaf,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["@context", "@id", "@type", "@import", "id", "type", "proof", "x"])
            | st.text(max_size=6),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    path=st.sampled_from(["credentialSubject", "issuer", "proof", "name", "@context"]),
    value=json_values,
)
def test_random_values_anywhere_in_a_signed_credential(
    world: World, signed: dict[str, Any], path: str, value: Any
) -> None:
    document = copy.deepcopy(signed)
    document[path] = value
    _sound(world.verify(document))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_values)
def test_random_json_ld_documents_raise_only_typed_errors(value: Any) -> None:
    loader = _LOADER
    document = value if isinstance(value, dict | list) else {"x": value}
    with contextlib.suppress(MicrocredError):
        canonize(document, loader)


_LOADER = build_world().engine.loader
