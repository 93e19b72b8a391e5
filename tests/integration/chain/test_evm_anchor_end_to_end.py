"""End to end on an in-process chain: signed credentials -> Merkle batch -> root published by
EvmLedger -> anchor proofs attached -> the real Verifier with the anchor check reading the chain
and the issuer's DID document (which lists its chain account)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chain_testkit import InProcessChain

from microcred.anchoring.backends.evm import (
    EvmLedger,
    EvmSettings,
    authorise_account,
    deploy_registry,
    fund_account,
)
from microcred.anchoring.backends.evm_account import LocalChainAccount
from microcred.anchoring.batch import anchor_credential, batch_tree
from microcred.anchoring.proof import credential_digest
from microcred.clock import FixedClock
from microcred.definition import compose_credential
from microcred.definition.samples import sample_achievement, sample_issuer
from microcred.did.contexts import SECP256K1_RECOVERY_2020_V2
from microcred.did.resolver import HostedDIDResolver
from microcred.did.web import DidWebKey, build_did_web_document
from microcred.keys.ed25519 import Ed25519KeyPair
from microcred.model import hash_email
from microcred.proof.data_integrity import add_proof
from microcred.proof.options import ProofOptions
from microcred.verification.checks.anchor import AnchorCheck, accounts_from_did_document
from microcred.wiring import build_engine

pytestmark = pytest.mark.chain

DID = "did:web:university.example"
KEY = Ed25519KeyPair.from_seed(bytes(range(40, 72)))
VM = f"{DID}#key-1"
SETTINGS = EvmSettings(poll_interval_seconds=0, backoff_seconds=0)


def signed(engine: Any, number: int, when: datetime) -> dict[str, Any]:
    unsigned = compose_credential(
        sample_achievement(awarding_body=DID),
        hash_email(f"learner{number}@university.example", salt="5eed"),
        sample_issuer(DID),
        credential_id=f"urn:uuid:{uuid.UUID(int=number)}",
        valid_from=when,
    )
    options = ProofOptions(cryptosuite="eddsa-rdfc-2022", verification_method=VM, created=when)
    return add_proof(unsigned, engine.registry.get("eddsa-rdfc-2022"), options, KEY.signer(VM))


def codes_of(report: Any) -> dict[str, str]:
    return {check.code: check.outcome.value for check in report.checks}


def test_anchored_credentials_verify_against_the_chain(tester: InProcessChain) -> None:
    w3 = tester.w3
    issuer_account = LocalChainAccount.generate()
    fund_account(w3, issuer_account.address, 10**18)
    deployment = deploy_registry(w3, issuer_account, settings=SETTINGS)
    ledger = EvmLedger(w3, deployment.contract_address, issuer_account, settings=SETTINGS)

    document = build_did_web_document(
        DID,
        [DidWebKey("key-1", KEY.public_key_multibase)],
        extra_verification_methods=[ledger.verification_method(DID)],
        extra_contexts=[SECP256K1_RECOVERY_2020_V2],
    )
    assert accounts_from_did_document(document) == {
        f"eip155:{w3.eth.chain_id}:{issuer_account.address}"
    }

    block_time = datetime.fromtimestamp(w3.eth.get_block("latest")["timestamp"], tz=UTC)
    signed_at = (block_time - timedelta(hours=1)).replace(microsecond=0)
    now = block_time + timedelta(days=1)

    def make_engine(check: AnchorCheck) -> Any:
        return build_engine(
            allow_network=False,
            clock=FixedClock(now),
            extra_checks=(check,),
            web_resolver=HostedDIDResolver({DID: document}),
        )

    reader = EvmLedger(w3, deployment.contract_address)  # what a verifier holds: no account
    check = AnchorCheck([reader], issuer_accounts=lambda _: accounts_from_did_document(document))
    engine = make_engine(check)
    credentials = [signed(engine, n, signed_at) for n in range(1, 6)]
    tree = batch_tree([credential_digest(c) for c in credentials])
    receipt = ledger.publish(tree.root, "batch-e2e", issuer=DID)
    anchored = [anchor_credential(c, tree, i, receipt.entry) for i, c in enumerate(credentials)]

    for credential in anchored:
        report = engine.verifier.verify_credential(credential)
        outcomes = codes_of(report)
        assert report.verified, report.to_json()
        assert outcomes["anchor.inclusion"] == "passed"
        assert outcomes["anchor.ledger"] == "passed"
        assert outcomes["anchor.account"] == "passed"

    # someone else's account published the root: the verifier says so
    stranger_doc = build_did_web_document(DID, [DidWebKey("key-1", KEY.public_key_multibase)])
    strict = make_engine(
        AnchorCheck([reader], issuer_accounts=lambda _: accounts_from_did_document(stranger_doc))
    )
    report = strict.verifier.verify_credential(anchored[0])
    assert codes_of(report)["anchor.account"] == "failed" and not report.verified

    # a verifier that reads only another registry cannot check this anchor: a warning
    other = EvmLedger(w3, deploy_registry(w3, issuer_account, settings=SETTINGS).contract_address)
    assert other.lookup(tree.root) is None
    unseen = make_engine(AnchorCheck([other]))
    report = unseen.verifier.verify_credential(anchored[0])
    assert codes_of(report)["anchor.ledger"] == "warning"


def test_a_second_issuer_account_authorised_on_a_shared_registry(tester: InProcessChain) -> None:
    w3 = tester.w3
    operator = LocalChainAccount.generate()
    issuer_account = LocalChainAccount.generate()
    for account in (operator, issuer_account):
        fund_account(w3, account.address, 10**18)
    registry = deploy_registry(w3, operator, settings=SETTINGS).contract_address
    authorise_account(w3, registry, issuer_account.address, operator, settings=SETTINGS)
    ledger = EvmLedger(w3, registry, {DID: issuer_account}, settings=SETTINGS)
    root = bytes(range(32))
    receipt = ledger.publish(root, "b", issuer=DID)
    assert receipt.account == f"eip155:{w3.eth.chain_id}:{issuer_account.address}"
    assert ledger.verification_method(DID)["blockchainAccountId"] == receipt.account
