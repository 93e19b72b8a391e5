"""Shared pieces of the adversarial tests: a real engine with the ``status`` and ``anchor``
families, real signed credentials (eddsa-rdfc-2022 and eddsa-jcs-2022, with a status entry and
an anchor proof), the mutation generator.

Nothing here is mocked: the keys are real Ed25519 keys, the JSON-LD is the bundled contexts,
the status list is a signed Bitstring Status List credential and the anchor is a real Merkle
proof against an in-memory ledger (:class:`~microcred.anchoring.backends.null.NullAnchor`).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from microcred.anchoring.backends.null import NullAnchor
from microcred.anchoring.batch import anchor_credential, batch_tree
from microcred.anchoring.proof import credential_digest
from microcred.clock import FixedClock
from microcred.definition import compose_credential
from microcred.definition.samples import sample_achievement, sample_issuer
from microcred.did.key import did_key_from_public, did_key_verification_method
from microcred.did.resolver import HostedDIDResolver
from microcred.did.web import DidWebKey, build_did_web_document
from microcred.errors import StatusError
from microcred.keys.ed25519 import Ed25519KeyPair
from microcred.model import hash_email
from microcred.proof.data_integrity import add_proof
from microcred.proof.options import ProofOptions
from microcred.status.bitstring import StatusBitstring
from microcred.status.credentials import build_status_list_credential
from microcred.status.lists import status_list_entry
from microcred.status.protocols import FetchedStatusList
from microcred.verification.checks.anchor import AnchorCheck
from microcred.verification.checks.status import StatusCheck
from microcred.verification.report import VerificationReport
from microcred.verification.verifier import Verifier
from microcred.wiring import Engine, build_engine

SIGNED_AT = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)
ANCHORED_AT = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
LIST_TIME = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

KEY = Ed25519KeyPair.from_seed(bytes(range(32)))
ISSUER_DID = did_key_from_public(KEY.public_bytes)
VM = did_key_verification_method(KEY.public_bytes)

OTHER_KEY = Ed25519KeyPair.from_seed(bytes(range(5, 37)))
OTHER_DID = did_key_from_public(OTHER_KEY.public_bytes)
OTHER_VM = did_key_verification_method(OTHER_KEY.public_bytes)

LIST_URL = "https://credentials.example.edu/status/alpha/revocation/1"
LIST_INDEX = 4242

#: a did:web issuer with a rotated key (#key-1 expired at ROTATED_AT), a current key (#key-2)
#: and a key listed only for authentication (#auth-1)
WEB_DID = "did:web:uni.example"
ROTATED_KEY = Ed25519KeyPair.from_seed(bytes(range(1, 33)))
CURRENT_KEY = Ed25519KeyPair.from_seed(bytes(range(2, 34)))
AUTH_KEY = Ed25519KeyPair.from_seed(bytes(range(3, 35)))
COMPROMISED_KEY = Ed25519KeyPair.from_seed(bytes(range(4, 36)))
ROTATED_AT = datetime(2026, 2, 1, 0, 0, tzinfo=UTC)
#: #key-3 (COMPROMISED_KEY) was revoked then: after SIGNED_AT and ANCHORED_AT
COMPROMISED_AT = datetime(2026, 3, 5, 0, 0, tzinfo=UTC)

SUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022")


def web_did_document() -> dict[str, Any]:
    document = build_did_web_document(
        WEB_DID,
        [DidWebKey("key-2", CURRENT_KEY.public_key_multibase)],
        [
            DidWebKey("key-1", ROTATED_KEY.public_key_multibase, expires=ROTATED_AT),
            DidWebKey("key-3", COMPROMISED_KEY.public_key_multibase, revoked=COMPROMISED_AT),
        ],
    )
    auth_id = f"{WEB_DID}#auth-1"
    document["verificationMethod"].append(
        {
            "id": auth_id,
            "type": "Multikey",
            "controller": WEB_DID,
            "publicKeyMultibase": AUTH_KEY.public_key_multibase,
        }
    )
    document.setdefault("authentication", []).append(auth_id)
    return document


class DictFetcher:
    """Serves status list credentials from a dict (unknown URL: a retrieval error)."""

    def __init__(self) -> None:
        self.documents: dict[str, Mapping[str, Any]] = {}

    def fetch(self, url: str) -> FetchedStatusList:
        if url not in self.documents:
            raise StatusError(f"the status list {url} is unknown", code="STATUS_RETRIEVAL_ERROR")
        return FetchedStatusList(url=url, document=self.documents[url])


@dataclass
class World:
    """The engine, a verifier with every family, and the ledger credentials are anchored on."""

    engine: Engine
    verifier: Verifier
    ledger: NullAnchor
    fetcher: DictFetcher

    def verify(self, document: Any) -> VerificationReport:
        return self.verifier.verify_credential(document)


class _Clock:
    def __init__(self, instant: datetime) -> None:
        self.instant = instant

    def now(self) -> datetime:
        return self.instant


def build_world(now: datetime = NOW) -> World:
    """A verifier with the real ``status`` and ``anchor`` families; did:web resolves in-process."""
    web = HostedDIDResolver({WEB_DID: web_did_document()})
    base = build_engine(allow_network=False, clock=FixedClock(now), web_resolver=web)
    ledger = NullAnchor(_Clock(ANCHORED_AT))
    fetcher = DictFetcher()
    holder: list[Verifier] = []
    status = StatusCheck(fetcher, list_verifier=lambda doc: holder[0].verify_credential(doc))
    anchor = AnchorCheck([ledger], vm_resolver=base.vm_resolver, registry=base.registry)
    verifier = Verifier(base.registry, base.loader, base.vm_resolver, base.clock, [status, anchor])
    holder.append(verifier)
    world = World(base, verifier, ledger, fetcher)
    bits = StatusBitstring(entries=131_072)
    bits.set(7)  # some other credential is revoked; ours is not
    unsigned_list = build_status_list_credential(
        url=LIST_URL,
        issuer=ISSUER_DID,
        purpose="revocation",
        encoded_list=bits.encode(),
        valid_from=LIST_TIME,
    )
    fetcher.documents[LIST_URL] = sign(world, unsigned_list, created=LIST_TIME)
    return world


def unsigned_credential(
    issuer: str = ISSUER_DID, *, number: int = 1, status: bool = True
) -> dict[str, Any]:
    return compose_credential(
        sample_achievement(awarding_body=issuer),
        hash_email(f"learner{number}@uni.example", salt="0a1b"),
        sample_issuer(issuer),
        credential_id=f"urn:uuid:{uuid.UUID(int=number)}",
        valid_from=SIGNED_AT,
        valid_until=SIGNED_AT + timedelta(days=3 * 365),
        credential_status=(
            [status_list_entry(LIST_URL, "revocation", LIST_INDEX + number)] if status else None
        ),
    )


def sign(
    world: World,
    document: Mapping[str, Any],
    *,
    suite: str = "eddsa-rdfc-2022",
    key: Ed25519KeyPair = KEY,
    vm: str = VM,
    created: datetime = SIGNED_AT,
) -> dict[str, Any]:
    options = ProofOptions(cryptosuite=suite, verification_method=vm, created=created)
    return add_proof(dict(document), world.engine.registry.get(suite), options, key.signer(vm))


def anchor(
    world: World, credentials: list[dict[str, Any]], issuer: str = ISSUER_DID
) -> list[dict[str, Any]]:
    """Anchor ``credentials`` in one batch on the world's ledger; the anchored copies."""
    tree = batch_tree([credential_digest(c) for c in credentials])
    receipt = world.ledger.publish(tree.root, "batch-1", issuer=issuer)
    return [anchor_credential(c, tree, i, receipt.entry) for i, c in enumerate(credentials)]


# --------------------------------------------------------------------------- mutations

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Mutation:
    """One single-field change: ``kind`` (altered, removed, added, reordered, issuer, date,
    proof-field), the JSON path it touched and the changed document."""

    kind: str
    path: Path
    document: dict[str, Any] = field(repr=False, compare=False)

    @property
    def where(self) -> str:
        return "/" + "/".join(str(step) for step in self.path)


def _get(document: Any, path: Path) -> Any:
    node = document
    for step in path:
        node = node[step]
    return node


def _altered(value: Any) -> Any:
    """A different value of the same JSON type (dates move by a day, still well-formed)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + 0.5
    if isinstance(value, str):
        shifted = shift_date(value)
        if shifted is not None:
            return shifted
        if not value:
            return "x"
        middle = len(value) // 2
        replacement = "A" if value[middle] != "A" else "B"
        return value[:middle] + replacement + value[middle + 1 :]
    return "altered"


def shift_date(value: str, days: int = 1) -> str | None:
    """``value`` moved by ``days`` when it is a dateTimeStamp (``...Z``), else None."""
    if len(value) < 20 or not value.endswith("Z") or value[10] != "T":
        return None
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (instant + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _nodes(value: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    yield path, value
    if isinstance(value, Mapping):
        for key, child in value.items():
            yield from _nodes(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _nodes(child, (*path, index))


def mutations(signed: Mapping[str, Any]) -> Iterator[Mutation]:
    """Every single-field change of ``signed``:

    * ``altered``: each leaf value (string, number, boolean) changed to another of its type;
    * ``removed``: each property of each object (the document's own and the proofs');
    * ``added``: an undefined property added to each object;
    * ``reordered``: each array of two or more distinct items reversed;
    * ``issuer``: the issuer swapped for another issuer's DID;
    * ``date``: each date shifted by a year both ways (in addition to the one-day ``altered``).
    """
    for path, value in _nodes(signed):
        if isinstance(value, Mapping):
            for key in value:
                changed = copy.deepcopy(dict(signed))
                del _get(changed, path)[key]
                yield Mutation("removed", (*path, key), changed)
            changed = copy.deepcopy(dict(signed))
            _get(changed, path)["tamperedExtra"] = "not defined by any context"
            yield Mutation("added", (*path, "tamperedExtra"), changed)
        elif isinstance(value, list):
            if len(value) > 1 and value != value[::-1]:
                changed = copy.deepcopy(dict(signed))
                _get(changed, path)[:] = list(reversed(value))
                yield Mutation("reordered", path, changed)
        elif path:
            changed = copy.deepcopy(dict(signed))
            _get(changed, path[:-1])[path[-1]] = _altered(value)
            yield Mutation("altered", path, changed)
            if isinstance(value, str) and shift_date(value) is not None:
                for days in (-366, 366):
                    changed = copy.deepcopy(dict(signed))
                    _get(changed, path[:-1])[path[-1]] = shift_date(value, days)
                    yield Mutation("date", path, changed)
    issuer = signed.get("issuer")
    changed = copy.deepcopy(dict(signed))
    if isinstance(issuer, Mapping):
        changed["issuer"]["id"] = OTHER_DID
        yield Mutation("issuer", ("issuer", "id"), changed)
    else:
        changed["issuer"] = OTHER_DID
        yield Mutation("issuer", ("issuer",), changed)
