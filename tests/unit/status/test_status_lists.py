"""List URLs, status entries, random allocation, list credentials."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import microcred.status as status_package
from microcred.errors import StatusError
from microcred.status.credentials import build_status_list_credential, read_status_list_credential
from microcred.status.lists import (
    AllocationMap,
    StatusListAddress,
    parse_status_entry,
    parse_status_list_url,
    status_list_entry,
    status_list_url,
)

BASE = "https://credentials.example.edu"
SPEC_LIST = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"


def test_package_exports_are_pinned() -> None:
    assert status_package.__all__ == [
        "MIN_ENTRIES",
        "PURPOSES",
        "AllocationMap",
        "CachingStatusListFetcher",
        "FetchedStatusList",
        "HttpsStatusListFetcher",
        "LocalStatusListFetcher",
        "StatusBitstring",
        "StatusEntryRef",
        "StatusListAddress",
        "StatusListCredentialInfo",
        "StatusListFetcher",
        "build_status_list_credential",
        "check_list_length",
        "decode_bitstring",
        "encode_bitstring",
        "get_status",
        "parse_status_entry",
        "parse_status_list_url",
        "read_status_list_credential",
        "set_status",
        "status_list_entry",
        "status_list_url",
    ]


# --------------------------------------------------------------------------- URLs


def test_list_urls_round_trip() -> None:
    url = status_list_url(BASE + "/", "alpha", "revocation", 3)
    assert url == f"{BASE}/status/alpha/revocation/3"
    assert parse_status_list_url(url, BASE) == StatusListAddress("alpha", "revocation", 3)
    assert parse_status_list_url(url, BASE + "/") == StatusListAddress("alpha", "revocation", 3)


@pytest.mark.parametrize(
    "url",
    [
        "https://elsewhere.example/status/alpha/revocation/1",
        f"{BASE}/status/alpha/revocation/0",
        f"{BASE}/status/alpha/revocation/01",
        f"{BASE}/status/alpha/message/1",
        f"{BASE}/status/Alpha/revocation/1",
        f"{BASE}/status/alpha/revocation/1?x=1",
        f"{BASE}/status/alpha/revocation/1#list",
        f"{BASE}/status/alpha/revocation/1/extra",
        f"{BASE}/status/../revocation/1",
        f"{BASE}/issuers/alpha/did.json",
    ],
)
def test_foreign_or_odd_urls_are_not_ours(url: str) -> None:
    assert parse_status_list_url(url, BASE) is None


def test_building_urls_refuses_bad_parts() -> None:
    with pytest.raises(StatusError):
        status_list_url(BASE, "../x", "revocation", 1)
    with pytest.raises(StatusError):
        status_list_url(BASE, "alpha", "message", 1)
    with pytest.raises(StatusError):
        status_list_url(BASE, "alpha", "revocation", 0)


# --------------------------------------------------------------------------- entries


def test_entry_shape_follows_the_spec() -> None:
    url = status_list_url(BASE, "alpha", "suspension", 1)
    entry = status_list_entry(url, "suspension", 23452)
    assert entry == {
        "id": f"{url}#23452",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "suspension",
        "statusListIndex": "23452",
        "statusListCredential": url,
    }
    parsed = parse_status_entry(entry)
    assert (parsed.purpose, parsed.index, parsed.list_url, parsed.legacy) == (
        "suspension",
        23452,
        url,
        False,
    )


def _entry(**changes: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "7",
        "statusListCredential": "https://example.com/status/1",
    }
    entry.update(changes)
    return {k: v for k, v in entry.items() if v is not None}


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"type": "SomethingElse"}, "not a BitstringStatusListEntry"),
        ({"statusPurpose": None}, "statusPurpose"),
        ({"statusPurpose": ""}, "statusPurpose"),
        ({"statusListIndex": 7}, "base-10"),
        ({"statusListIndex": "-1"}, "base-10"),
        ({"statusListIndex": "0x10"}, "base-10"),
        ({"statusListIndex": "1" * 40}, "base-10"),
        ({"statusListCredential": "not a url"}, "URL"),
        ({"statusListCredential": None}, "URL"),
        ({"statusSize": 0}, "statusSize"),
        ({"statusSize": True}, "statusSize"),
        ({"statusSize": 2}, "statusMessage must be present"),
        ({"statusSize": 2, "statusMessage": [{"status": "0x0", "message": "a"}]}, "4 messages"),
        ({"statusMessage": [{"status": "1", "message": "a"}] * 2}, "hexadecimal"),
        ({"statusMessage": "set"}, "array"),
    ],
)
def test_malformed_entries_say_which_rule_they_break(
    changes: dict[str, object], problem: str
) -> None:
    with pytest.raises(StatusError, match=problem) as caught:
        parse_status_entry(_entry(**changes))
    assert caught.value.extra["code"] == "MALFORMED_VALUE_ERROR"


def test_status_messages_and_legacy_entries() -> None:
    messages = [{"status": f"0x{i:x}", "message": m} for i, m in enumerate("abcd")]
    parsed = parse_status_entry(
        _entry(statusPurpose="message", statusSize=2, statusMessage=messages)
    )
    assert parsed.status_size == 2 and parsed.status_messages == {0: "a", 1: "b", 2: "c", 3: "d"}
    legacy = parse_status_entry(_entry(type="StatusList2021Entry", statusSize=4))
    assert legacy.legacy and legacy.status_size == 1  # statusSize is not a 2021 term


# --------------------------------------------------------------------------- allocation


def test_allocation_map_counts_and_refuses_outside_indexes() -> None:
    slots = AllocationMap(10, taken=[0, 9])
    assert (slots.size, slots.allocated, slots.free, slots.full) == (10, 2, 8, False)
    assert slots.mark(3) and not slots.mark(3)
    assert slots.is_taken(3) and not slots.is_taken(4)
    slots.release(3)
    slots.release(3)
    assert slots.allocated == 2
    with pytest.raises(StatusError):
        slots.mark(10)
    with pytest.raises(StatusError):
        AllocationMap(0)


def test_pick_fills_a_list_exactly_once_then_reports_full() -> None:
    rng = random.Random(7)
    slots = AllocationMap(1000)
    seen = []
    while (index := slots.pick(rng.randrange)) is not None:
        assert slots.mark(index)
        seen.append(index)
    assert sorted(seen) == list(range(1000))
    assert slots.full and slots.pick(rng.randrange) is None


def test_the_last_free_slots_are_found_without_endless_retries() -> None:
    size = 131_072
    slots = AllocationMap(size, taken=(i for i in range(size) if i not in (5, 100_000)))
    calls = []

    def randbelow(n: int) -> int:
        calls.append(n)
        return n - 1

    assert slots.pick(randbelow) == 100_000
    assert calls == [2]  # one draw among the two free slots, no rejection sampling


def test_picks_are_spread_over_the_whole_list() -> None:
    rng = random.Random(11)
    slots = AllocationMap(131_072)
    quarters = Counter()
    for _ in range(4000):
        index = slots.pick(rng.randrange)
        assert index is not None
        slots.mark(index)
        quarters[index * 4 // 131_072] += 1
    assert all(800 < quarters[q] < 1200 for q in range(4))  # no clustering by order


@settings(max_examples=30, deadline=None)
@given(
    size=st.integers(min_value=1, max_value=300),
    taken=st.sets(st.integers(min_value=0, max_value=299)),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_pick_only_returns_free_slots(size: int, taken: set[int], seed: int) -> None:
    slots = AllocationMap(size, taken=(i for i in taken if i < size))
    index = slots.pick(random.Random(seed).randrange)
    if slots.full:
        assert index is None
    else:
        assert index is not None and 0 <= index < size and not slots.is_taken(index)


# --------------------------------------------------------------------------- list credentials


def test_list_credential_shape_and_reading_it_back() -> None:
    url = status_list_url(BASE, "alpha", "revocation", 1)
    credential = build_status_list_credential(
        url=url,
        issuer="did:web:credentials.example.edu:issuers:alpha",
        purpose="revocation",
        encoded_list="uH4sIAAAAAAAC_-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA",
        valid_from=datetime(2026, 3, 1, 10, 30, 15, 999, tzinfo=timezone(timedelta(hours=1))),
        ttl_ms=300_000,
    )
    assert credential == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": "did:web:credentials.example.edu:issuers:alpha",
        "validFrom": "2026-03-01T09:30:15Z",
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": "uH4sIAAAAAAAC_-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA",
            "ttl": 300_000,
        },
    }
    info = read_status_list_credential(credential)
    assert info.id == url and info.ttl_ms == 300_000 and info.purposes == ("revocation",)
    assert info.valid_from == datetime(2026, 3, 1, 9, 30, 15, tzinfo=UTC)
    assert info.valid_until is None


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda c: c.update(type=["VerifiableCredential"]), "not a status list credential"),
        (lambda c: c.update(credentialSubject=[{}, {}]), "exactly one"),
        (lambda c: c["credentialSubject"].update(type="Other"), "not a BitstringStatusList"),
        (lambda c: c["credentialSubject"].pop("statusPurpose"), "no statusPurpose"),
        (lambda c: c["credentialSubject"].pop("encodedList"), "no encodedList"),
        (lambda c: c["credentialSubject"].update(ttl=-5), "ttl"),
        (lambda c: c.update(validFrom="yesterday"), "validFrom cannot be read"),
        (lambda c: c.update(validUntil="2026-03-01T00:00:00"), "no timezone"),
    ],
)
def test_reading_refuses_documents_that_are_not_lists(change, problem: str) -> None:
    credential = build_status_list_credential(
        url="https://example.com/status/1",
        issuer="did:example:1",
        purpose="revocation",
        encoded_list="uAAAA",
        valid_from=datetime(2026, 1, 1, tzinfo=UTC),
    )
    change(credential)
    with pytest.raises(StatusError, match=problem) as caught:
        read_status_list_credential(credential)
    assert caught.value.extra["code"] == "STATUS_VERIFICATION_ERROR"


def test_legacy_2021_list_credentials_are_read_with_vc_1_1_dates() -> None:
    info = read_status_list_credential(
        {
            "@context": [
                "https://www.w3.org/2018/credentials/v1",
                "https://w3id.org/vc/status-list/2021/v1",
            ],
            "id": "https://example.com/status/2021",
            "type": ["VerifiableCredential", "StatusList2021Credential"],
            "issuer": {"id": "did:example:1"},
            "issuanceDate": "2021-04-05T14:27:40Z",
            "credentialSubject": {
                "id": "https://example.com/status/2021#list",
                "type": "StatusList2021",
                "statusPurpose": "revocation",
                "encodedList": SPEC_LIST[1:],  # StatusList2021: no multibase prefix
            },
        }
    )
    assert info.legacy and info.issuer == "did:example:1"
    assert info.valid_from == datetime(2021, 4, 5, 14, 27, 40, tzinfo=UTC)
