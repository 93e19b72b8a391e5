"""Byte equality of the compiled-shape canonicaliser with the full path, on random values.

Every example is canonicalised by both paths; they must give the same N-Quads or fail
with the same error. The canonicaliser is shared across the examples of a test, so
after the first example of a shape the fast path answers (or falls back) for the rest.
"""

from __future__ import annotations

from typing import Any

from fast_testkit import (
    DI_V2,
    OB_V3,
    VC_V2,
    assert_same,
    bundled_loader,
    composed_credential,
    inline_credential,
    ob_credential,
    presentation,
    proof_config,
    same_shape,
    shape_family,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microcred.jsonld.fast import FastCanonizer

LOADER = bundled_loader()
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Four documents per example.
FAMILY_SETTINGS = settings(SETTINGS, max_examples=20)

OB = ob_credential()
INLINE = inline_credential()
CONFIG = proof_config([VC_V2, OB_V3])
CONFIG_DI = proof_config([VC_V2, DI_V2])
COMPOSED = composed_credential()
PRESENTATION = presentation()

_FAST = {
    name: FastCanonizer(LOADER, compile_after=1)
    for name in ("ob", "inline", "config", "composed", "presentation")
}


@SETTINGS
@given(same_shape(OB))
def test_ob_credential_values(document: Any) -> None:
    assert_same(_FAST["ob"], document, LOADER)


@SETTINGS
@given(same_shape(INLINE))
def test_inline_context_values(document: Any) -> None:
    assert_same(_FAST["inline"], document, LOADER)


@SETTINGS
@given(same_shape(CONFIG))
def test_proof_configuration_values(document: Any) -> None:
    assert_same(_FAST["config"], document, LOADER)


@SETTINGS
@given(same_shape(CONFIG_DI))
def test_proof_configuration_with_data_integrity_context(document: Any) -> None:
    assert_same(_FAST["config"], document, LOADER)


@SETTINGS
@given(same_shape(COMPOSED))
def test_composed_eu_credential_values(document: Any) -> None:
    assert_same(_FAST["composed"], document, LOADER)


@FAMILY_SETTINGS
@given(shape_family(PRESENTATION))
def test_presentation_with_embedded_proofs(documents: list[Any]) -> None:
    for document in documents:
        assert_same(_FAST["presentation"], document, LOADER)


@FAMILY_SETTINGS
@given(shape_family(OB))
def test_ob_credential_other_shapes(documents: list[Any]) -> None:
    for document in documents:
        assert_same(_FAST["ob"], document, LOADER)


@FAMILY_SETTINGS
@given(shape_family(INLINE))
def test_inline_context_other_shapes(documents: list[Any]) -> None:
    for document in documents:
        assert_same(_FAST["inline"], document, LOADER)


def test_the_fast_path_answered_most_same_shape_examples() -> None:
    fast = FastCanonizer(LOADER, compile_after=1)
    for i in range(12):
        document = ob_credential()
        document["id"] = f"urn:uuid:00000000-0000-4000-8000-{i:012d}"
        document["name"] = f'Name "{i}"\n\\'
        document["credentialSubject"]["result"][0]["value"] = str(i)
        document["credentialSubject"]["achievement"]["creditsAvailable"] = i + 0.5
        assert_same(fast, document, LOADER)
    assert fast.stats.fast == 11
    assert fast.stats.compiles == 1  # the first, from the safe-mode expansion
    assert fast.stats.full == 0


@SETTINGS
@given(
    st.sampled_from(["ob", "inline", "composed", "presentation", "config"]),
    st.data(),
)
def test_first_sightings_equal_the_full_path(name: str, data: st.DataObject) -> None:
    """The default canonizer answers a shape's first document from the audit expansion by
    pyld's conversion alone (no compiled program to cross-check it): byte for byte the full
    path's answer, or the full path's error."""
    template = {
        "ob": OB,
        "inline": INLINE,
        "composed": COMPOSED,
        "presentation": PRESENTATION,
        "config": CONFIG,
    }[name]
    document = data.draw(same_shape(template))
    fresh = FastCanonizer(LOADER)
    assert_same(fresh, document, LOADER)
    assert fresh.stats.compiles == 0
    assert fresh.stats.first_sights + fresh.stats.full == 1
