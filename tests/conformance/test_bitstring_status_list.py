"""W3C Bitstring Status List v1.0 vectors (../shared/standards/bitstring-status-list/).

Decoded bits are compared, never ``encodedList`` strings (GZIP output differs between
compressors). The spec examples decode to all-zero 131,072-entry lists; the composed vectors
have known indexes set, including a ``statusSize`` 2 list.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from microcred.status.bitstring import MIN_ENTRIES, StatusBitstring
from microcred.status.credentials import read_status_list_credential
from microcred.status.lists import parse_status_entry
from microcred.status.protocols import FetchedStatusList
from microcred.verification.checks.base import CheckContext
from microcred.verification.checks.status import StatusCheck
from microcred.verification.report import Outcome

ROOT = Path(__file__).resolve().parents[2].parent / "shared" / "standards"
VECTORS = ROOT / "bitstring-status-list"


def _load(relative: str) -> Any:
    if not VECTORS.is_dir():
        pytest.skip("../shared/standards is not available")
    return json.loads((VECTORS / relative).read_text(encoding="utf-8"))


def _composed() -> list[dict[str, Any]]:
    if not VECTORS.is_dir():
        return []
    return list(_load("composed/status-list-vectors.json")["vectors"])


@pytest.mark.parametrize("vector", _composed(), ids=lambda v: v["name"])
def test_composed_vectors_decode_to_the_stated_bits(vector: dict[str, Any]) -> None:
    size = vector["statusSize"]
    bits = StatusBitstring.decode(vector["encodedList"], size)
    assert bits.bit_length == vector["lengthBits"]
    assert bits.entries == vector["entries"]
    assert bits.check_length() == MIN_ENTRIES
    if size == 1:
        assert bits.set_indexes() == vector["setIndexes"]
        for index in vector["unsetIndexesSample"]:
            assert bits.get(index) == 0
        for index in vector["setIndexes"]:
            assert bits.get(index) == 1
    else:
        expected = {int(k): v for k, v in vector["valuesByIndex"].items()}
        assert bits.set_indexes() == sorted(expected)
        for index, value in expected.items():
            assert bits.get(index) == value
        assert bits.get(12345) == vector["otherIndexesValue"]


@pytest.mark.parametrize("vector", _composed(), ids=lambda v: v["name"])
def test_our_encoding_of_the_same_bits_decodes_identically(vector: dict[str, Any]) -> None:
    size = vector["statusSize"]
    theirs = StatusBitstring.decode(vector["encodedList"], size)
    ours = StatusBitstring(entries=vector["entries"], status_size=size)
    if size == 1:
        for index in vector["setIndexes"]:
            ours.set(index)
    else:
        for index, value in vector["valuesByIndex"].items():
            ours.set(int(index), value)
    assert StatusBitstring.decode(ours.encode(), size) == theirs
    assert ours.to_bytes() == theirs.to_bytes()


def test_status_size_two_layout_matches_the_vector_bytes() -> None:
    vectors = _load("composed/status-list-vectors.json")["vectors"]
    (vector,) = [v for v in vectors if v["statusSize"] == 2]
    raw = StatusBitstring.decode(vector["encodedList"], 2).to_bytes()
    # indexes 0, 1, 2, 3 hold 1, 2, 3, 0 -> bits 01 10 11 00
    assert raw[0] == 0b01_10_11_00
    # index 131071 holds 1: the last two bits of the last byte are 01
    assert raw[-1] == 0b0000_0001


@pytest.mark.parametrize(
    "name",
    ["status-list-credential.json", "status-list-credential-with-examples-context.json"],
)
def test_spec_example_lists_are_all_zero_and_well_formed(name: str) -> None:
    document = _load(f"spec-examples/{name}")
    info = read_status_list_credential(document)
    assert info.purposes == ("revocation",)
    assert info.issuer == "did:example:12345"
    assert info.valid_from == datetime(2021, 4, 5, 14, 27, 40, tzinfo=UTC)
    assert not info.legacy
    bits = StatusBitstring.decode(info.encoded_list)
    assert bits.entries == MIN_ENTRIES
    assert bits.set_indexes() == []


def test_spec_example_entries_parse() -> None:
    document = _load("spec-examples/credential-with-revocation-and-suspension-entries.json")
    revocation, suspension = (parse_status_entry(e) for e in document["credentialStatus"])
    assert (revocation.purpose, revocation.index, revocation.status_size) == (
        "revocation",
        94567,
        1,
    )
    assert revocation.list_url == "https://example.com/credentials/status/3"
    assert revocation.id == "https://example.com/credentials/status/3#94567"
    assert (suspension.purpose, suspension.index) == ("suspension", 23452)
    assert suspension.list_url == "https://example.com/credentials/status/4"


class _Lists:
    def __init__(self, documents: dict[str, Any]) -> None:
        self.documents = documents

    def fetch(self, url: str) -> FetchedStatusList:
        return FetchedStatusList(url=url, document=self.documents[url])


def _context() -> CheckContext:
    return CheckContext(datetime(2026, 3, 1, tzinfo=UTC))


def test_spec_revocable_credential_is_not_revoked_against_the_spec_list() -> None:
    credential = _load("spec-examples/revocable-credential.json")
    status_list = _load("spec-examples/status-list-credential.json")
    # the example list's subject id differs from the URL the entry names; the list is
    # served at the entry's URL (what a verifier dereferences)
    check = StatusCheck(_Lists({status_list["id"]: status_list}), list_verifier=None)
    (result,) = check.run(credential, _context())
    assert (result.code, result.outcome) == ("status.revocation", Outcome.PASSED)
    assert result.message.startswith("Not revoked (checked against the issuer's list updated")
    assert "5 April 2021" in result.message


def test_composed_revocation_list_revokes_its_set_indexes() -> None:
    unsigned = _load("composed/unsigned-status-list-credential-revocation.json")
    url = unsigned["id"]
    credential = _load("spec-examples/revocable-credential.json")
    check = StatusCheck(_Lists({url: unsigned}), list_verifier=None)
    outcomes = {}
    for index in (0, 7, 8, 42, 94567, 131071, 1, 94566):
        probe = copy.deepcopy(credential)
        probe["credentialStatus"].update(
            statusListIndex=str(index), statusListCredential=url, id=f"{url}#{index}"
        )
        (result,) = check.run(probe, _context())
        outcomes[index] = (result.code, result.outcome, result.message)
    revoked = ("status.revocation", Outcome.FAILED, "Revoked by the issuer.")
    for index in (0, 7, 8, 42, 94567, 131071):
        assert outcomes[index] == revoked
    for index in (1, 94566):
        assert outcomes[index][1] is Outcome.PASSED


def test_a_list_below_the_minimum_length_is_a_length_error() -> None:
    unsigned = _load("composed/unsigned-status-list-credential-revocation.json")
    short = copy.deepcopy(unsigned)
    short["credentialSubject"]["encodedList"] = StatusBitstring(entries=1024).encode()
    credential = _load("spec-examples/revocable-credential.json")
    credential["credentialStatus"].update(statusListCredential=short["id"], statusListIndex="1")
    check = StatusCheck(_Lists({short["id"]: short}), list_verifier=None)
    (result,) = check.run(credential, _context())
    assert (result.code, result.outcome) == ("status.unknown", Outcome.FAILED)
    assert result.details["error"] == "STATUS_LIST_LENGTH_ERROR"
    assert "at least 131072" in result.message
