"""EvmLedger against an in-process chain (eth-tester + py-evm): deploy, anchor, read back,
owner-only writes, idempotent publishing, confirmations, retries, fee caps."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
from chain_testkit import InProcessChain

from microcred.anchoring.backends.evm import (
    ANCHORED_EVENT,
    GWEI,
    EvmLedger,
    EvmSettings,
    authorise_account,
    chain_account_method,
    deploy_registry,
    fund_account,
    registry_status,
)
from microcred.anchoring.backends.evm_account import LocalChainAccount
from microcred.anchoring.backends.evm_contract import load_registry_artifact
from microcred.anchoring.ledger import Ledger, LedgerReader
from microcred.errors import AnchorError, AnchorTemporaryError, ConfigError

pytestmark = pytest.mark.chain

ISSUER = "did:web:university.example"
OTHER_ISSUER = "did:web:college.example"
FAST = EvmSettings(
    poll_interval_seconds=0,
    backoff_seconds=0,
    receipt_timeout_seconds=5,
    confirmation_timeout_seconds=5,
)


def root_of(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


class World:
    """A deployed registry, its owner account and helpers."""

    def __init__(self, chain: InProcessChain, settings: EvmSettings = FAST) -> None:
        self.chain = chain
        self.w3 = chain.w3
        self.owner = LocalChainAccount.generate()
        fund_account(self.w3, self.owner.address, 10**18)
        self.deployment = deploy_registry(self.w3, self.owner, settings=settings)
        self.address = self.deployment.contract_address
        self.settings = settings
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        """Time passing on a chain: one block per wait."""
        self.slept.append(seconds)
        self.chain.mine(1)

    def ledger(self, account: Any = None, **overrides: Any) -> EvmLedger:
        settings = EvmSettings(**{**_fields(self.settings), **overrides})
        return EvmLedger(
            self.w3,
            self.address,
            account if account is not None else self.owner,
            settings=settings,
            sleep=self.sleep,
        )

    def nonce(self, address: str) -> int:
        return int(self.w3.eth.get_transaction_count(address))

    def anchored_events(self, root: bytes) -> list[Any]:
        topic = "0x" + self.w3.keccak(text=ANCHORED_EVENT).hex().removeprefix("0x")
        return list(
            self.w3.eth.get_logs(
                {
                    "address": self.address,
                    "fromBlock": 0,
                    "toBlock": "latest",
                    "topics": [topic, "0x" + root.hex()],
                }
            )
        )

    def contract(self) -> Any:
        return self.w3.eth.contract(address=self.address, abi=load_registry_artifact().abi)


def _fields(settings: EvmSettings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in settings.__slots__}


@pytest.fixture
def world(tester: InProcessChain) -> World:
    return World(tester)


def test_deploy_anchor_and_read_back(world: World) -> None:
    ledger = world.ledger()
    assert isinstance(ledger, Ledger) and isinstance(ledger, LedgerReader)
    chain_id = world.w3.eth.chain_id
    assert world.deployment.owner == world.owner.address
    assert ledger.ledger_id == f"eip155:{chain_id}:{world.address}"

    root = root_of("batch-1")
    receipt = ledger.publish(root, "batch-1", issuer=ISSUER)

    assert receipt.batch_id == "batch-1" and receipt.confirmed
    assert receipt.root == root
    assert receipt.account == f"eip155:{chain_id}:{world.owner.address}"
    tx = world.w3.eth.get_transaction(receipt.locator)
    assert tx["from"] == world.owner.address and tx["to"] == world.address
    block = world.w3.eth.get_block(tx["blockNumber"])
    assert receipt.anchored_at == datetime.fromtimestamp(block["timestamp"], tz=UTC)
    # the contract itself says the same
    time_, by = world.contract().functions.anchoredAt(root).call()
    assert (time_, by) == (block["timestamp"], world.owner.address)

    assert ledger.lookup(root) == receipt.entry
    assert len(world.anchored_events(root)) == 1


def test_lookup_of_unknown_or_malformed_root(world: World) -> None:
    ledger = world.ledger()
    assert ledger.lookup(root_of("never anchored")) is None
    with pytest.raises(AnchorError):
        ledger.lookup(b"\x01" * 31)
    with pytest.raises(AnchorError):
        ledger.publish(b"short", "b", issuer=ISSUER)


def test_republishing_is_idempotent_and_sends_nothing(world: World) -> None:
    root = root_of("batch-2")
    first = world.ledger().publish(root, "batch-2", issuer=ISSUER)
    nonce = world.nonce(world.owner.address)
    world.chain.mine(3)

    # the same ledger, and a new one as after a process restart
    again = world.ledger().publish(root, "batch-2", issuer=ISSUER)
    restarted = world.ledger().publish(root, "batch-2", issuer=ISSUER)

    assert again.entry == first.entry == restarted.entry
    assert world.nonce(world.owner.address) == nonce
    assert len(world.anchored_events(root)) == 1


def test_only_authorised_accounts_may_anchor(world: World) -> None:
    stranger = LocalChainAccount.generate()
    fund_account(world.w3, stranger.address, 10**18)
    ledger = world.ledger(stranger)
    root = root_of("batch-3")

    with pytest.raises(AnchorError, match="not authorised") as caught:
        ledger.publish(root, "batch-3", issuer=ISSUER)
    assert not isinstance(caught.value, AnchorTemporaryError)
    assert world.nonce(stranger.address) == 0  # nothing was sent
    assert ledger.lookup(root) is None
    assert not ledger.is_authorised(stranger.address)

    # the contract enforces it too, not just the client
    with pytest.raises(Exception, match="execution reverted"):
        world.contract().functions.anchor(root).call({"from": stranger.address})
    # and only the owner may authorise
    with pytest.raises(AnchorError, match="only the registry owner"):
        authorise_account(world.w3, world.address, stranger.address, stranger, settings=FAST)

    authorise_account(world.w3, world.address, stranger.address, world.owner, settings=FAST)
    assert ledger.is_authorised(stranger.address)
    receipt = ledger.publish(root, "batch-3", issuer=ISSUER)
    assert receipt.account.endswith(stranger.address)


def test_root_anchored_by_another_account_is_refused(world: World) -> None:
    other = LocalChainAccount.generate()
    fund_account(world.w3, other.address, 10**18)
    authorise_account(world.w3, world.address, other.address, world.owner, settings=FAST)
    root = root_of("batch-4")
    world.ledger(other).publish(root, "x", issuer=OTHER_ISSUER)

    with pytest.raises(AnchorError, match="another account") as caught:
        world.ledger().publish(root, "batch-4", issuer=ISSUER)
    assert not isinstance(caught.value, AnchorTemporaryError)


def test_re_anchoring_in_the_contract_is_a_noop(world: World) -> None:
    contract = world.contract()
    dev = world.w3.eth.accounts[0]
    authorise_account(world.w3, world.address, dev, world.owner, settings=FAST)
    root = root_of("batch-5")
    assert contract.functions.anchor(root).call({"from": dev}) is True
    world.w3.eth.wait_for_transaction_receipt(
        contract.functions.anchor(root).transact({"from": dev})
    )
    first = contract.functions.anchorOf(root).call()
    world.chain.mine(2)
    assert contract.functions.anchor(root).call({"from": dev}) is False
    receipt = world.w3.eth.wait_for_transaction_receipt(
        contract.functions.anchor(root).transact({"from": dev})
    )
    assert receipt["status"] == 1 and receipt["logs"] == []
    assert contract.functions.anchorOf(root).call() == first
    assert (
        first[2]
        == world.w3.eth.get_transaction_receipt(world.anchored_events(root)[0]["transactionHash"])[
            "blockNumber"
        ]
    )
    with pytest.raises(Exception, match="execution reverted"):
        contract.functions.anchor(b"\x00" * 32).call({"from": dev})


def test_deauthorised_account_keeps_its_anchors(world: World) -> None:
    contract = world.contract()
    other = LocalChainAccount.generate()
    fund_account(world.w3, other.address, 10**18)
    authorise_account(world.w3, world.address, other.address, world.owner, settings=FAST)
    root = root_of("batch-6")
    entry = world.ledger(other).publish(root, "b", issuer=ISSUER).entry
    data = contract.encode_abi("deauthorise", args=[other.address])
    tx = {
        "to": world.address,
        "data": data,
        "gas": 100_000,
        "nonce": world.nonce(world.owner.address),
        "chainId": world.w3.eth.chain_id,
        "maxFeePerGas": 10 * GWEI,
        "maxPriorityFeePerGas": GWEI,
    }
    world.w3.eth.wait_for_transaction_receipt(
        world.w3.eth.send_raw_transaction(world.owner.sign_transaction(tx).raw)
    )
    ledger = world.ledger(other)
    assert not ledger.is_authorised(other.address)
    assert ledger.lookup(root) == entry
    with pytest.raises(AnchorError, match="not authorised"):
        ledger.publish(root_of("batch-7"), "c", issuer=ISSUER)


def test_confirmation_depth(world: World) -> None:
    ledger = world.ledger(confirmations=3)
    root = root_of("batch-8")
    receipt = ledger.publish(root, "batch-8", issuer=ISSUER)
    assert receipt.confirmed
    mined_in = world.w3.eth.get_transaction(receipt.locator)["blockNumber"]
    assert world.w3.eth.block_number >= mined_in + 2
    assert world.slept  # it waited (one block per wait here)
    assert ledger.lookup(root) == receipt.entry


def test_unconfirmed_receipt_then_lookup_after_enough_blocks(world: World) -> None:
    ledger = world.ledger(confirmations=3, confirmation_timeout_seconds=0)
    root = root_of("batch-9")
    receipt = ledger.publish(root, "batch-9", issuer=ISSUER)
    assert not receipt.confirmed
    assert ledger.lookup(root) is None  # not yet 3 blocks deep
    assert world.ledger().lookup(root) == receipt.entry  # 1 confirmation is enough there
    world.chain.mine(2)
    assert ledger.lookup(root) == receipt.entry
    again = ledger.publish(root, "batch-9", issuer=ISSUER)
    assert again.confirmed and again.entry == receipt.entry


def test_accounts_per_issuer(world: World) -> None:
    other = LocalChainAccount.generate()
    fund_account(world.w3, other.address, 10**18)
    authorise_account(world.w3, world.address, other.address, world.owner, settings=FAST)
    ledger = world.ledger({ISSUER: world.owner, OTHER_ISSUER: other})
    chain_id = world.w3.eth.chain_id
    a = ledger.publish(root_of("a"), "a", issuer=ISSUER)
    b = ledger.publish(root_of("b"), "b", issuer=OTHER_ISSUER)
    assert a.account == f"eip155:{chain_id}:{world.owner.address}"
    assert b.account == f"eip155:{chain_id}:{other.address}"
    with pytest.raises(AnchorError, match="no chain account"):
        ledger.publish(root_of("c"), "c", issuer="did:web:unknown.example")
    with pytest.raises(ConfigError):
        _ = ledger.account_address


def test_did_document_entry_names_the_account(world: World) -> None:
    ledger = world.ledger()
    chain_id = world.w3.eth.chain_id
    method = ledger.verification_method(ISSUER)
    assert method == {
        "id": f"{ISSUER}#anchor-account",
        "type": "EcdsaSecp256k1RecoveryMethod2020",
        "controller": ISSUER,
        "blockchainAccountId": f"eip155:{chain_id}:{world.owner.address}",
    }
    assert method == chain_account_method(ISSUER, chain_id, world.owner.address.lower())
    assert ledger.account_address == world.owner.address
    receipt = ledger.publish(root_of("d"), "d", issuer=ISSUER)
    assert receipt.account == method["blockchainAccountId"]


def test_wrong_chain_missing_or_foreign_contract(world: World) -> None:
    with pytest.raises(AnchorError, match="on chain"):
        world.ledger(chain_id=1).publish(root_of("e"), "e", issuer=ISSUER)
    no_code = EvmLedger(world.w3, world.owner.address, world.owner, settings=FAST)
    with pytest.raises(AnchorError, match="no contract"):
        no_code.lookup(root_of("e"))
    with pytest.raises(ConfigError):
        EvmLedger(world.w3, "0x1234", world.owner)


def flaky_web3(chain: InProcessChain, failures: int) -> Any:
    """A client on the same chain whose first ``failures`` requests fail like a refused
    connection (what requests raises is an OSError too)."""
    from web3 import EthereumTesterProvider, Web3

    class Flaky(EthereumTesterProvider):
        remaining = failures

        def make_request(self, method: Any, params: Any) -> Any:
            if Flaky.remaining > 0:
                Flaky.remaining -= 1
                raise ConnectionRefusedError(111, "Connection refused")
            return super().make_request(method, params)

    return Web3(Flaky(chain.tester))


def test_transient_errors_are_retried_with_backoff(world: World) -> None:
    w3 = flaky_web3(world.chain, failures=2)
    settings = EvmSettings(
        poll_interval_seconds=0, backoff_seconds=0.5, max_backoff_seconds=0.75, retries=3
    )
    ledger = EvmLedger(w3, world.address, world.owner, settings=settings, sleep=world.sleep)
    receipt = ledger.publish(root_of("f"), "f", issuer=ISSUER)
    assert receipt.confirmed
    assert world.slept[:2] == [0.5, 0.75]  # exponential, capped


def test_retries_are_bounded(world: World) -> None:
    w3 = flaky_web3(world.chain, failures=100)
    ledger = EvmLedger(
        w3, world.address, world.owner, settings=EvmSettings(retries=2, backoff_seconds=0)
    )
    with pytest.raises(AnchorTemporaryError, match="after 3 attempts"):
        ledger.publish(root_of("g"), "g", issuer=ISSUER)
    with pytest.raises(AnchorTemporaryError):
        ledger.lookup(root_of("g"))


def test_fees_respect_the_caps(world: World) -> None:
    base = world.w3.eth.get_block("latest")["baseFeePerGas"]
    cap = 2 * base + 3 * GWEI
    ledger = world.ledger(max_fee_per_gas=cap, max_priority_fee_per_gas=GWEI)
    receipt = ledger.publish(root_of("h"), "h", issuer=ISSUER)
    tx = world.w3.eth.get_transaction(receipt.locator)
    assert tx["type"] == 2
    assert tx["maxFeePerGas"] <= cap and tx["maxPriorityFeePerGas"] <= GWEI
    assert tx["gas"] == world.settings.gas_limit

    too_low = world.ledger(max_fee_per_gas=base // 2, max_priority_fee_per_gas=1, retries=1)
    with pytest.raises(AnchorTemporaryError, match="above the configured cap"):
        too_low.publish(root_of("i"), "i", issuer=ISSUER)
    assert too_low.lookup(root_of("i")) is None


def test_unfunded_account_is_a_permanent_error(world: World) -> None:
    poor = LocalChainAccount.generate()
    authorise_account(world.w3, world.address, poor.address, world.owner, settings=FAST)
    with pytest.raises(AnchorError) as caught:
        world.ledger(poor).publish(root_of("j"), "j", issuer=ISSUER)
    assert not isinstance(caught.value, AnchorTemporaryError)


def test_registry_status(world: World) -> None:
    status = registry_status(world.w3, world.address, world.owner.address)
    assert status.registry_ok and status.owner == world.owner.address
    assert status.account_authorised and status.account_balance_wei
    assert status.problems == ()
    stranger = LocalChainAccount.generate().address
    status = registry_status(world.w3, stranger, stranger)
    assert status.registry_ok is False
    assert any("no contract" in p for p in status.problems)
    assert any("no funds" in p for p in status.problems)
    assert status.to_json()["chainId"] == world.w3.eth.chain_id
