"""The EVM node stopped or restarted mid-anchoring: every batch ends anchored once.

* a real Hardhat node frozen (SIGSTOP) right after it accepted the anchor transaction: the run
  times out with a temporary error, the node is resumed (SIGCONT), the next run finds the root
  and sends nothing: one transaction, one batch row, proofs written once;
* a real Hardhat node killed (SIGKILL) while an anchoring process is itself killed between
  recording a batch as published and writing its proofs, then a fresh node on the same port
  (Hardhat cannot persist its chain: the registry is deployed again at the same address): the
  resumed run publishes the lost root again, once; ``microcred anchor reconcile`` re-anchors
  the completed batch the chain lost; every credential has one anchor proof pointing at the new
  transaction and verifies on the new chain; a second reconcile changes nothing;
* the in-process chain (eth-tester): reconcile on a healthy chain changes nothing, and after a
  chain reset (snapshot revert) it anchors the root again and rewrites the proofs.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from chain_testkit import FaultyProxy, HardhatNode, free_port, importorskip, rpc

importorskip("web3", reason="the EVM ledger tests need the 'evm' extra (web3)")
importorskip("eth_tester", reason="the in-process chain needs eth-tester[py-evm]")

from sqlalchemy import select  # noqa: E402
from typer.testing import CliRunner  # noqa: E402
from web3 import EthereumTesterProvider, Web3  # noqa: E402

from microcred.anchoring.backends.evm import (  # noqa: E402
    ANCHORED_EVENT,
    EvmLedger,
    EvmSettings,
    connect_rpc,
    deploy_registry,
    fund_account,
)
from microcred.anchoring.backends.evm_account import (  # noqa: E402
    ChainKeyStore,
    LocalChainAccount,
)
from microcred.anchoring.proof import AnchorProof, anchor_proofs  # noqa: E402
from microcred.cli.main import app  # noqa: E402
from microcred.errors import NotFound  # noqa: E402
from microcred.services.access import Principal, Role  # noqa: E402
from microcred.services.anchoring_runner import AnchoringLoop  # noqa: E402
from microcred.services.identity import Argon2Parameters, PasswordHashing  # noqa: E402
from microcred.services.platform import Platform, build_platform  # noqa: E402
from microcred.services.schemas_identity import IssuerCreate  # noqa: E402
from microcred.settings import load_settings  # noqa: E402
from microcred.storage.ledger_tables import AnchorBatch, AnchorBatchItem  # noqa: E402

pytestmark = [pytest.mark.chain, pytest.mark.slow]

WORKER = Path(__file__).with_name("anchoring_worker.py")
BASE_URL = "http://127.0.0.1:8000"
FAST = PasswordHashing(Argon2Parameters(time_cost=1, memory_cost=64, parallelism=1))
PASSWORD = "correct horse battery staple"
SETTINGS = EvmSettings(poll_interval_seconds=0, backoff_seconds=0)
TOPIC = "0x" + Web3.keccak(text=ANCHORED_EVENT).hex().removeprefix("0x")


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    for name in ("KEK_FILE", "KEY_STORE_DIR", "AS"):
        monkeypatch.delenv(f"MICROCRED_{name}", raising=False)
    home = tmp_path / "home"
    yield {
        "home": home,
        "kek": secrets.token_hex(32),
        "database_url": f"sqlite:///{tmp_path / 'microcred.db'}",
        "tmp": tmp_path,
    }


def make_platform(world: dict[str, Any], **kw: Any) -> Platform:
    settings = load_settings(
        home=world["home"],
        database_url=world["database_url"],
        base_url=BASE_URL,
        kek=world["kek"],
        anchor_batch_size=3,
    )
    return build_platform(settings, passwords=FAST, allow_network=False, **kw)


def tenant(platform: Platform) -> tuple[Principal, Any]:
    """A platform operator and the admin of a did:web issuer (EVM-anchored)."""
    platform.identity.create_user(None, "ops@example.org", PASSWORD, is_operator=True)
    operator = platform.identity.authenticate_password("ops@example.org", PASSWORD, None)
    info = platform.issuers.create_issuer(
        operator, IssuerCreate(slug="uni", name="Uni", country_code="DE", did_method="web")
    )
    platform.identity.create_user(
        operator, "admin@uni.example", PASSWORD, issuer_id=info.id, role=Role.ADMIN
    )
    return platform.identity.authenticate_password("admin@uni.example", PASSWORD, None), info


def issue(platform: Platform, admin: Principal, issuer: Any, count: int) -> list[Any]:
    return [
        platform.issuance.issue_unsigned(
            admin,
            issuer.id,
            {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": ["VerifiableCredential"],
                "issuer": issuer.did,
                "id": f"urn:uuid:7e570000-0000-4000-8000-{n:012d}",
                "credentialSubject": {"id": f"did:example:learner-{n}"},
            },
        ).id
        for n in range(count)
    ]


def batches(platform: Platform) -> list[AnchorBatch]:
    with platform.uow(read_only=True) as tx:
        return list(tx.session.scalars(select(AnchorBatch).order_by(AnchorBatch.sealed_at)))


def batch_of(platform: Platform) -> dict[Any, Any]:
    with platform.uow(read_only=True) as tx:
        return {i.credential_id: i.batch_id for i in tx.session.scalars(select(AnchorBatchItem))}


def document(platform: Platform, admin: Principal, issuer: Any, credential_id: Any) -> Any:
    return dict(platform.issuance.get_credential(admin, issuer.id, credential_id).document)


def anchored_logs(url: str, registry: str, root: bytes) -> list[Any]:
    """Every ``Anchored`` event of ``root`` on the node's whole chain."""
    return list(
        rpc(
            url,
            "eth_getLogs",
            [
                {
                    "address": registry,
                    "fromBlock": "0x0",
                    "toBlock": "latest",
                    "topics": [TOPIC, "0x" + root.hex()],
                }
            ],
        )
    )


def tx_count(url: str, address: str) -> int:
    return int(rpc(url, "eth_getTransactionCount", [address, "latest"]), 16)


def deploy(url: str, account: Any) -> str:
    w3 = connect_rpc(url)
    fund_account(w3, account.address, 10**18)
    return deploy_registry(w3, account, settings=SETTINGS).contract_address


def check_credentials(
    platform: Platform, admin: Principal, issuer: Any, issued: list[Any], url: str | None
) -> None:
    """One anchor proof per credential, naming its batch's current transaction, which the
    chain has; the credential verifies with the anchor checks passing."""
    locators = {b.id: b.locator for b in batches(platform)}
    owner = batch_of(platform)
    for credential_id in issued:
        doc = document(platform, admin, issuer, credential_id)
        anchors = anchor_proofs(doc)
        assert len(anchors) == 1, "exactly one anchor proof"
        assert len(doc["proof"]) == 2, "one signature and one anchor proof"
        locator = AnchorProof.from_json(anchors[0]).locator
        assert locator == locators[owner[credential_id]]
        if url is not None:
            receipt = rpc(url, "eth_getTransactionReceipt", [locator])
            assert receipt is not None and int(receipt["status"], 16) == 1
        report = platform.engine.verifier.verify_credential(doc)
        assert report.verified, report.to_json()
        codes = {c.code: c.outcome.value for c in report.checks}
        assert codes["anchor.ledger"] == "passed" and codes["anchor.inclusion"] == "passed"


def evm_env(monkeypatch: pytest.MonkeyPatch, url: str, registry: str, **extra: str) -> None:
    monkeypatch.setenv("MICROCRED_EVM_RPC_URL", url)
    monkeypatch.setenv("MICROCRED_EVM_CONTRACT", registry)
    monkeypatch.setenv("MICROCRED_EVM_ACCOUNT", "anchor")
    monkeypatch.setenv("MICROCRED_EVM_CHAIN_ID", "31337")
    monkeypatch.setenv("MICROCRED_EVM_POLL_INTERVAL", "0.05")
    monkeypatch.setenv("MICROCRED_EVM_BACKOFF", "0")
    for name, value in extra.items():
        monkeypatch.setenv(f"MICROCRED_EVM_{name}", value)


def chain_account(world: dict[str, Any]) -> Any:
    keys = ChainKeyStore(world["home"] / "keys" / "chain", bytes.fromhex(world["kek"]))
    keys.create("anchor")
    return keys.open("anchor")


# --------------------------------------------------------------------------- frozen node


def test_node_frozen_after_submit_then_resumed_anchors_the_batch_once(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _skip_without_hardhat()
    node = HardhatNode(free_port(), world["tmp"] / "hardhat.log")
    node.start()
    frozen: list[int] = []
    try:
        account = chain_account(world)
        registry = deploy(node.url, account)
        with FaultyProxy(node.url) as proxy:
            evm_env(monkeypatch, proxy.url, registry, RPC_TIMEOUT="1", RETRIES="1")
            platform = make_platform(world)
            try:
                admin, issuer = tenant(platform)
                issued = issue(platform, admin, issuer, 3)

                def freeze(method: str) -> None:
                    if method == "eth_sendRawTransaction" and not frozen:
                        os.kill(node.pid, signal.SIGSTOP)  # the node accepted it, then froze
                        frozen.append(node.pid)

                proxy.after_forward = freeze
                run = platform.anchor_setup.runner.run(force=True)
                assert frozen, "the anchor transaction was submitted"
                assert run.published == 0 and run.errors, run
                assert "temporary" in run.errors[0]
                (batch,) = batches(platform)
                assert batch.state.value == "sealed" and batch.attempts == 1

                os.kill(frozen[0], signal.SIGCONT)
                proxy.after_forward = None
                resumed = platform.anchor_setup.runner.run()
                assert resumed.ok, resumed.errors
                assert (resumed.published, resumed.completed, resumed.proofs_written) == (1, 1, 3)

                (batch,) = batches(platform)
                assert batch.state.value == "completed"
                logs = anchored_logs(node.url, registry, bytes(batch.root))
                assert len(logs) == 1 and logs[0]["transactionHash"] == batch.locator
                assert proxy.forwarded["eth_sendRawTransaction"] == 1
                assert tx_count(node.url, account.address) == 2  # the deployment + one anchor
                check_credentials(platform, admin, issuer, issued, node.url)

                again = platform.anchor_setup.runner.reconcile()
                assert (again.checked, again.reanchored, again.proofs_written) == (1, 0, 0)
                assert tx_count(node.url, account.address) == 2
            finally:
                platform.close()
    finally:
        if frozen:
            os.kill(frozen[0], signal.SIGCONT)
        node.stop()


# --------------------------------------------------------------------------- killed node


def _worker(world: dict[str, Any], **extra: Any) -> subprocess.CompletedProcess[str]:
    arguments = {
        "home": str(world["home"]),
        "database_url": world["database_url"],
        "base_url": BASE_URL,
        "kek": world["kek"],
        "now": datetime.now(UTC).isoformat(),
        "batch_size": 3,
        **extra,
    }
    return subprocess.run(
        [sys.executable, str(WORKER), json.dumps(arguments)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=dict(os.environ),
    )


def _skip_without_hardhat() -> None:
    from chain_testkit import HARDHAT

    if not HARDHAT.exists():
        pytest.skip("node_modules/.bin/hardhat is missing: run `npm ci` at the repository root")


def test_node_killed_mid_anchoring_and_restarted_reanchors_each_root_once(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _skip_without_hardhat()
    port = free_port()
    node = HardhatNode(port, world["tmp"] / "hardhat-1.log")
    node.start()
    try:
        account = chain_account(world)
        registry = deploy(node.url, account)
        evm_env(monkeypatch, node.url, registry)
        platform = make_platform(world)
        try:
            admin, issuer = tenant(platform)
            issued = issue(platform, admin, issuer, 6)

            # the anchoring process dies (kill -9) once batch 2 is recorded as published,
            # before its proofs: batch 1 is complete, batch 2 is not
            crashed = _worker(world, kill="after-record", nth=2)
            assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-3000:]
            first, second = batches(platform)
            assert (first.state.value, second.state.value) == ("completed", "published")
            old = {first.id: first.locator, second.id: second.locator}

            # the node dies too and comes back empty; the registry is deployed again by the
            # same account (nonce 0 again), so at the same address
            node.kill()
            node = HardhatNode(port, world["tmp"] / "hardhat-2.log")
            node.start()
            assert deploy(node.url, account) == registry
            assert anchored_logs(node.url, registry, bytes(second.root)) == []

            resumed = _worker(world)
            assert resumed.returncode == 0, resumed.stderr[-3000:]
            assert json.loads(resumed.stdout.strip().splitlines()[-1])["errors"] == []
            first, second = batches(platform)
            assert second.state.value == "completed" and second.locator != old[second.id]
            assert first.locator == old[first.id]  # a run does not re-check completed batches
            lost = document(platform, admin, issuer, issued[0])
            lost_report = platform.engine.verifier.verify_credential(lost)
            assert not lost_report.verified  # the chain no longer has batch 1's root

            monkeypatch.setenv("MICROCRED_HOME", str(world["home"]))
            monkeypatch.setenv("MICROCRED_DATABASE_URL", world["database_url"])
            monkeypatch.setenv("MICROCRED_KEK", world["kek"])
            monkeypatch.setenv("MICROCRED_BASE_URL", BASE_URL)
            result = CliRunner().invoke(app, ["anchor", "reconcile", "--json"])
            assert result.exit_code == 0, result.output
            body = json.loads(result.output)
            assert body == {
                "ok": True,
                "checked": 2,
                "reanchored": 1,
                "proofsWritten": 3,
                "problems": 0,
                "errors": [],
            }

            for batch in batches(platform):
                assert batch.state.value == "completed"
                assert batch.locator != old[batch.id]
                logs = anchored_logs(node.url, registry, bytes(batch.root))
                assert len(logs) == 1 and logs[0]["transactionHash"] == batch.locator
            # the deployment and one anchor per batch root on the new chain, nothing else
            assert tx_count(node.url, account.address) == 3
            with platform.uow(read_only=True) as tx:
                items = tx.session.scalars(select(AnchorBatchItem)).all()
            assert sorted(i.credential_id for i in items) == sorted(issued)
            check_credentials(platform, admin, issuer, issued, node.url)

            # reconcile on the healthy chain: nothing to do
            plain = CliRunner().invoke(app, ["anchor", "reconcile"])
            assert plain.exit_code == 0, plain.output
            assert (
                plain.output.strip()
                == "2 batches checked, 0 anchored again, 0 anchor proofs rewritten"
            )
            assert tx_count(node.url, account.address) == 3
            one = CliRunner().invoke(
                app, ["anchor", "reconcile", "--batch", str(first.id), "--json"]
            )
            assert one.exit_code == 0 and json.loads(one.output)["checked"] == 1, one.output
            bad = CliRunner().invoke(app, ["anchor", "reconcile", "--batch", "not-a-uuid"])
            assert bad.exit_code != 0 and "not a batch id" in bad.output
        finally:
            platform.close()
    finally:
        node.stop()


# --------------------------------------------------------------------------- in-process chain


def test_reconcile_is_idempotent_and_heals_a_chain_reset_in_process(
    world: dict[str, Any],
) -> None:
    limit = sys.getrecursionlimit()
    try:
        from eth_tester import EthereumTester, PyEVMBackend
    finally:
        sys.setrecursionlimit(limit)
    chain = EthereumTester(PyEVMBackend())
    w3 = Web3(EthereumTesterProvider(chain))
    account = LocalChainAccount.generate()
    fund_account(w3, account.address, 10**18)
    registry = deploy_registry(w3, account, settings=SETTINGS).contract_address
    ledger = EvmLedger(w3, registry, account, settings=SETTINGS)
    platform = make_platform(world, evm_ledger=ledger)
    try:
        admin, issuer = tenant(platform)
        snapshot = chain.take_snapshot()
        issued = issue(platform, admin, issuer, 4)
        run = platform.anchor_setup.runner.run(force=True)
        assert run.ok and run.published == 2, run.errors
        before = {c: document(platform, admin, issuer, c) for c in issued}
        nonce = w3.eth.get_transaction_count(account.address)

        # healthy chain: nothing changes, nothing is sent (also through the loop's start)
        same = platform.anchor_setup.runner.reconcile()
        assert (same.checked, same.reanchored, same.proofs_written, same.errors) == (2, 0, 0, [])
        loop = AnchoringLoop(platform.anchor_setup.runner, 60, reconcile_every=3600)
        loop.run_once()
        loop.run_once()
        assert loop.reconciles == 1  # at start, then not again within the hour
        assert {c: document(platform, admin, issuer, c) for c in issued} == before
        assert w3.eth.get_transaction_count(account.address) == nonce
        with pytest.raises(NotFound):
            platform.anchor_setup.runner.reconcile(batch_id=issuer.id)

        # the chain loses both anchors (a reset below them); the registry itself stays
        chain.revert_to_snapshot(snapshot)
        chain.mine_blocks(1)
        first = batches(platform)[0]
        healed = platform.anchor_setup.runner.reconcile(batch_id=first.id)
        assert (healed.checked, healed.reanchored, healed.proofs_written) == (1, 1, 3)
        rest = platform.anchor_setup.runner.reconcile()
        assert (rest.checked, rest.reanchored, rest.proofs_written) == (2, 1, 1)
        assert platform.anchor_setup.runner.reconcile().reanchored == 0
        for batch in batches(platform):
            entry = ledger.lookup(bytes(batch.root))
            assert entry is not None and entry.locator == batch.locator
        check_credentials(platform, admin, issuer, issued, None)
    finally:
        platform.close()
