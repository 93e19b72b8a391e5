"""W3C Bitstring Status List v1.0: revocation and suspension without tracking.

``bitstring`` (the bits and their encoding), ``lists`` (URLs, entries, random allocation),
``credentials`` (the list credential), ``protocols`` and ``fetchers`` (how a verifier gets a
list). No database and no web framework here: the platform service ``services/status.py``
stores and signs, the verifier's ``status`` family (``verification/checks/status.py``) reads.
"""

from microcred.status.bitstring import (
    MIN_ENTRIES,
    StatusBitstring,
    check_list_length,
    decode_bitstring,
    encode_bitstring,
    get_status,
    set_status,
)
from microcred.status.credentials import (
    StatusListCredentialInfo,
    build_status_list_credential,
    read_status_list_credential,
)
from microcred.status.fetchers import (
    CachingStatusListFetcher,
    HttpsStatusListFetcher,
    LocalStatusListFetcher,
)
from microcred.status.lists import (
    PURPOSES,
    AllocationMap,
    StatusEntryRef,
    StatusListAddress,
    parse_status_entry,
    parse_status_list_url,
    status_list_entry,
    status_list_url,
)
from microcred.status.protocols import FetchedStatusList, StatusListFetcher

__all__ = [
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
