"""The platform anchoring on an EVM ledger: issue -> anchor run -> the root is on the chain ->
the stored credential verifies with anchor.account confirmed through the issuer's hosted DID
document (which lists the chain account); did:key issuers stay on the embedded ledger.

In-process chain (eth-tester) with the ledger injected into ``build_platform``, and a real
Hardhat node configured only through ``MICROCRED_EVM_*`` (the path ``microcred serve`` takes).
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chain_testkit import HardhatNode, InProcessChain, rpc

from microcred.anchoring.backends.evm import (
    EvmLedger,
    EvmSettings,
    authorise_account,
    connect_rpc,
    deploy_registry,
    fund_account,
)
from microcred.anchoring.backends.evm_account import ChainKeyStore, LocalChainAccount
from microcred.anchoring.proof import ANCHOR_CRYPTOSUITE
from microcred.did.contexts import SECP256K1_RECOVERY_2020_V2
from microcred.services.access import Principal, Role
from microcred.services.identity import Argon2Parameters, PasswordHashing
from microcred.services.platform import Platform, build_platform
from microcred.services.schemas_identity import IssuerCreate, IssuerInfo
from microcred.settings import load_settings

pytestmark = pytest.mark.chain

SETTINGS = EvmSettings(poll_interval_seconds=0, backoff_seconds=0)
FAST = PasswordHashing(Argon2Parameters(time_cost=1, memory_cost=64, parallelism=1))
PASSWORD = "correct horse battery staple"


def make_platform(home: Path, kek: str, **kw: Any) -> Platform:
    settings = load_settings(
        home=home,
        database_url=f"sqlite:///{home / 'microcred.db'}",
        base_url="http://127.0.0.1:8000",
        kek=kek,
    )
    return build_platform(settings, passwords=FAST, allow_network=False, **kw)


def tenant(platform: Platform, operator: Principal, slug: str, method: str) -> Principal:
    info: IssuerInfo = platform.issuers.create_issuer(
        operator, IssuerCreate(slug=slug, name=slug.title(), country_code="DE", did_method=method)
    )
    email = f"admin@{slug}.example"
    platform.identity.create_user(operator, email, PASSWORD, issuer_id=info.id, role=Role.ADMIN)
    return platform.identity.authenticate_password(email, PASSWORD, None)


def issue(platform: Platform, admin: Principal, slug: str, number: int) -> tuple[Any, Any]:
    issuer = next(i for i in platform.issuers.list_issuers(admin) if i.slug == slug)
    issued = platform.issuance.issue_unsigned(
        admin,
        issuer.id,
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "issuer": issuer.did,
            "id": f"urn:uuid:5e1f0000-0000-4000-8000-{number:012d}",
            "credentialSubject": {"id": f"did:example:learner-{number}"},
        },
    )
    return issuer, issued


def stored(platform: Platform, admin: Principal, issuer: Any, issued: Any) -> dict[str, Any]:
    return dict(platform.issuance.get_credential(admin, issuer.id, issued.id).document)


def codes(report: Any) -> dict[str, Any]:
    return {c.code: c for c in report.checks}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[dict[str, Any]]:
    yield {"home": tmp_path / "home", "kek": secrets.token_hex(32)}


def test_platform_anchors_on_the_chain_and_checks_who_anchored(
    tester: InProcessChain, world: dict[str, Any]
) -> None:
    w3 = tester.w3
    account = LocalChainAccount.generate()
    fund_account(w3, account.address, 10**18)
    registry = deploy_registry(w3, account, settings=SETTINGS).contract_address
    ledger = EvmLedger(w3, registry, account, settings=SETTINGS)
    caip10 = f"eip155:{w3.eth.chain_id}:{account.address}"

    platform = make_platform(world["home"], world["kek"], evm_ledger=ledger)
    try:
        assert platform.ledger is ledger and platform.anchoring.ledger is ledger
        assert platform.anchor_setup.readers == (platform.anchor_setup.embedded, ledger)
        platform.identity.create_user(None, "ops@example.org", PASSWORD, is_operator=True)
        operator = platform.identity.authenticate_password("ops@example.org", PASSWORD, None)
        web_admin = tenant(platform, operator, "webu", "web")
        key_admin = tenant(platform, operator, "keyu", "key")

        did = platform.issuers.did_document("webu")
        assert SECP256K1_RECOVERY_2020_V2 in did["@context"]
        method = next(m for m in did["verificationMethod"] if m["id"].endswith("#anchor-account"))
        assert method["blockchainAccountId"] == caip10
        assert method["type"] == "EcdsaSecp256k1RecoveryMethod2020"

        web_issuer, web_issued = issue(platform, web_admin, "webu", 1)
        issue(platform, web_admin, "webu", 2)
        key_issuer, key_issued = issue(platform, key_admin, "keyu", 3)
        status = platform.anchor_setup.runner.status(web_admin, web_issuer.id)
        assert status.ledger_id == ledger.ledger_id and status.pending == 2
        assert (
            platform.anchor_setup.runner.status(key_admin, key_issuer.id).ledger_id
            == platform.anchor_setup.embedded.ledger_id
        )

        run = platform.anchor_setup.runner.run(force=True)
        assert run.ok, run.errors
        assert (run.sealed, run.published, run.proofs_written) == (2, 2, 3)

        web_doc = stored(platform, web_admin, web_issuer, web_issued)
        anchor = web_doc["proof"][1]
        assert anchor["cryptosuite"] == ANCHOR_CRYPTOSUITE
        assert anchor["verificationMethod"] == ledger.ledger_id
        root = bytes.fromhex(
            platform.anchor_setup.runner.status(web_admin, web_issuer.id).recent[0].root
        )
        entry = ledger.lookup(root)
        assert entry is not None and entry.account == caip10
        report = platform.engine.verifier.verify_credential(web_doc)
        assert report.verified, report.to_json()
        found = codes(report)
        assert found["anchor.ledger"].outcome.value == "passed"
        assert found["anchor.account"].outcome.value == "passed"
        assert found["anchor.account"].details["account"] == caip10

        key_doc = stored(platform, key_admin, key_issuer, key_issued)
        assert key_doc["proof"][1]["verificationMethod"] == platform.anchor_setup.embedded.ledger_id
        key_report = platform.engine.verifier.verify_credential(key_doc)
        assert key_report.verified, key_report.to_json()
        assert codes(key_report)["anchor.account"].outcome.value == "passed"
    finally:
        platform.close()

    # The platform moves to another chain account (authorised on the same registry) and its
    # DID document now lists only that one: the root was published by an account the issuer
    # no longer lists, and the verifier says so.
    other = LocalChainAccount.generate()
    fund_account(w3, other.address, 10**18)
    authorise_account(w3, registry, other.address, account, settings=SETTINGS)
    moved = make_platform(
        world["home"], world["kek"], evm_ledger=EvmLedger(w3, registry, other, settings=SETTINGS)
    )
    try:
        listed = moved.issuers.did_document("webu")
        accounts = [m.get("blockchainAccountId") for m in listed["verificationMethod"]]
        assert f"eip155:{w3.eth.chain_id}:{other.address}" in accounts and caip10 not in accounts
        report = moved.engine.verifier.verify_credential(web_doc)
        assert not report.verified
        assert codes(report)["anchor.account"].outcome.value == "failed"
    finally:
        moved.close()
    assert sys.getrecursionlimit() < 10_000


def test_platform_configured_from_the_environment_anchors_on_hardhat(
    hardhat: HardhatNode, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    kek: str = world["kek"]
    chain_keys = ChainKeyStore(world["home"] / "keys" / "chain", bytes.fromhex(kek))
    address = chain_keys.create("platform-anchor")
    w3 = connect_rpc(hardhat.url)
    fund_account(w3, address, 10**18)
    account = chain_keys.open("platform-anchor")
    registry = deploy_registry(w3, account, settings=SETTINGS).contract_address
    monkeypatch.setenv("MICROCRED_EVM_RPC_URL", hardhat.url)
    monkeypatch.setenv("MICROCRED_EVM_CONTRACT", registry)
    monkeypatch.setenv("MICROCRED_EVM_ACCOUNT", "platform-anchor")
    monkeypatch.setenv("MICROCRED_EVM_CHAIN_ID", "31337")
    monkeypatch.setenv("MICROCRED_EVM_POLL_INTERVAL", "0.05")

    platform = make_platform(world["home"], kek)
    try:
        assert platform.ledger.ledger_id == f"eip155:31337:{registry}"
        platform.identity.create_user(None, "ops@example.org", PASSWORD, is_operator=True)
        operator = platform.identity.authenticate_password("ops@example.org", PASSWORD, None)
        admin = tenant(platform, operator, "hardu", "web")
        issuer, issued = issue(platform, admin, "hardu", 7)
        run = platform.anchor_setup.runner.run(force=True)
        assert run.ok and run.published == 1, run.errors
        document = stored(platform, admin, issuer, issued)
        report = platform.engine.verifier.verify_credential(document)
        assert report.verified, report.to_json()
        found = codes(report)
        assert found["anchor.account"].details["account"] == f"eip155:31337:{address}"
        assert document["proof"][1]["verificationMethod"] == f"eip155:31337:{registry}"
        receipt = rpc(
            hardhat.url, "eth_getTransactionReceipt", [found["anchor.ledger"].details["locator"]]
        )
        assert int(receipt["status"], 16) == 1
    finally:
        platform.close()
