"""RFC 8785 output of microcred.proof.jcs on the official vectors and every JSON file of
../shared/standards: byte for byte the vector files, and the same bytes as ``rfc8785``
for the corpus (fast path and general writer alike)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rfc8785

from microcred.proof import jcs
from microcred.proof.jcs import canonicalize

STANDARDS = Path(__file__).resolve().parents[2].parent / "shared" / "standards"
JCS_VECTORS = STANDARDS / "vc-di-eddsa" / "TestVectors" / "eddsa-jcs-2022"


def _python_writer(value: object) -> bytes:
    saved = jcs._c_encoder
    jcs._c_encoder = None
    try:
        return canonicalize(value)
    finally:
        jcs._c_encoder = saved


def assert_same_as_rfc8785(value: object) -> None:
    expected = rfc8785.dumps(value)
    assert canonicalize(value) == expected
    assert _python_writer(value) == expected


def _vectors() -> Path:
    if not JCS_VECTORS.is_dir():
        pytest.skip("../shared/standards is not available")
    return JCS_VECTORS


def test_eddsa_jcs_2022_canonical_document() -> None:
    folder = _vectors()
    unsigned = json.loads((folder.parent / "unsigned.json").read_text(encoding="utf-8"))
    assert canonicalize(unsigned) == (folder / "canonDocJCS.txt").read_bytes()


def test_eddsa_jcs_2022_canonical_proof_configuration() -> None:
    folder = _vectors()
    config = json.loads((folder / "proofConfigJCS.json").read_text(encoding="utf-8"))
    assert canonicalize(config) == (folder / "proofCanonJCS.txt").read_bytes()


def _standards_json() -> list[Path]:
    if not STANDARDS.is_dir():
        return []
    return sorted(p for p in STANDARDS.rglob("*") if p.suffix in (".json", ".jsonld"))


@pytest.mark.parametrize("path", _standards_json(), ids=lambda p: str(p.relative_to(STANDARDS)))
def test_every_json_file_of_the_standards_matches_rfc8785(path: Path) -> None:
    value = json.loads(path.read_text(encoding="utf-8"))
    assert_same_as_rfc8785(value)


def test_standards_corpus_is_checked_when_present() -> None:
    if not STANDARDS.is_dir():
        pytest.skip("../shared/standards is not available")
    assert len(_standards_json()) > 10
