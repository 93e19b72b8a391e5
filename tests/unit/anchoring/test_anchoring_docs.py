"""The worked example in docs/anchoring.md is what the code produces."""

from __future__ import annotations

import json
import re
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path

from anchoring_testkit import (
    ISSUER_DID,
    SIGNED_AT,
    MemoryLedgerStorage,
    engine,
    signed_credential,
)

from microcred.anchoring.backends.embedded import EmbeddedLedger
from microcred.anchoring.batch import anchor_credential, batch_tree
from microcred.anchoring.proof import AnchorProof, credential_digest, credential_leaf
from microcred.did.key import did_key_verification_method
from microcred.keys.ed25519 import Ed25519KeyPair

DOC = Path(__file__).resolve().parents[3] / "docs" / "anchoring.md"


class _Clock:
    def now(self) -> datetime:
        return datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


def test_worked_example_matches_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    the_engine = engine(SIGNED_AT)
    credentials = [signed_credential(the_engine, n, suite="eddsa-jcs-2022") for n in (1, 2, 3)]
    key = Ed25519KeyPair.from_seed(b"L" * 32)
    vm = did_key_verification_method(key.public_bytes)
    ledger = EmbeddedLedger(
        MemoryLedgerStorage(),
        _Clock(),
        public_key=key.public_bytes,
        signer=lambda: nullcontext(key.signer(vm)),
    )
    tree = batch_tree([credential_digest(c) for c in credentials])
    receipt = ledger.publish(tree.root, "3f6c1d2e-batch", issuer=ISSUER_DID)
    anchored = anchor_credential(credentials[1], tree, 1, receipt.entry)
    signature, anchor = anchored["proof"]

    assert f'"proofValue": "{signature["proofValue"]}"' in text
    assert f'"proofValue": "{anchor["proofValue"]}"' in text
    assert f'"verificationMethod": "{anchor["verificationMethod"]}"' in text
    decoded = AnchorProof.from_json(anchor)
    assert (decoded.leaf_index, decoded.tree_size, decoded.locator) == (1, 3, "0")
    for value in (*decoded.path, decoded.root):
        assert f"{value.hex()[:8]}…{value.hex()[-8:]}" in text
    digest = credential_digest(credentials[1]).hex()
    assert f"{digest[:8]}…{digest[-8:]}" in text
    assert credential_leaf(credentials[1]).hex().startswith("c400715")
    assert json.dumps(ledger.entry(0).to_json()["hash"]) in text
    checkpoint = ledger.latest_checkpoint()
    assert checkpoint is not None
    assert f'"signature": "{checkpoint.to_json()["signature"]}"' in text
    assert re.search(r"Anchored on the public ledger on 3 March 2026 at 10:00 UTC", text)
