"""EvmLedger against a real JSON-RPC node (Hardhat 2.x on 127.0.0.1): deploy, anchor, read back,
confirmation depth, and lost replies / a node that is down mid-submission.

Hardhat keeps its chain in memory, so restarting the process would also erase the chain we
want to check. The restart is therefore simulated where it matters, at the JSON-RPC level: a
proxy forwards ``eth_sendRawTransaction`` to the node and then drops the connection (the
transaction reached the node, the client never hears so), or refuses connections (the node is
down). The ledger must then anchor the batch exactly once.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from chain_testkit import FaultyProxy, HardhatNode, rpc

from microcred.anchoring.backends.evm import (
    ANCHORED_EVENT,
    EvmLedger,
    EvmSettings,
    authorise_account,
    connect_rpc,
    deploy_registry,
    fund_account,
    registry_status,
)
from microcred.anchoring.backends.evm_account import LocalChainAccount
from microcred.errors import AnchorError, AnchorTemporaryError

pytestmark = pytest.mark.chain

ISSUER = "did:web:university.example"
FAST = EvmSettings(
    chain_id=31337,
    poll_interval_seconds=0.05,
    backoff_seconds=0.05,
    receipt_timeout_seconds=10,
    confirmation_timeout_seconds=10,
    rpc_timeout_seconds=5,
)


def root_of(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


class Registry:
    """A registry deployed from the node's dev account, and a funded, authorised issuer."""

    def __init__(self, node: HardhatNode) -> None:
        self.node = node
        self.w3 = connect_rpc(node.url)
        self.deployment = deploy_registry(self.w3, settings=FAST)
        self.address = self.deployment.contract_address
        self.issuer = LocalChainAccount.generate()
        fund_account(self.w3, self.issuer.address, 10**18, settings=FAST)
        authorise_account(self.w3, self.address, self.issuer.address, settings=FAST)

    def ledger(self, url: str | None = None, sleep: Any = None, **overrides: Any) -> EvmLedger:
        fields = {name: getattr(FAST, name) for name in FAST.__slots__}
        settings = EvmSettings(**{**fields, **overrides})
        w3 = connect_rpc(url or self.node.url, timeout=settings.rpc_timeout_seconds)
        if sleep is None:
            return EvmLedger(w3, self.address, self.issuer, settings=settings)
        return EvmLedger(w3, self.address, self.issuer, settings=settings, sleep=sleep)

    def nonce(self) -> int:
        return int(
            rpc(self.node.url, "eth_getTransactionCount", [self.issuer.address, "latest"]), 16
        )

    def events(self, root: bytes) -> list[Any]:
        topic = "0x" + self.w3.keccak(text=ANCHORED_EVENT).hex().removeprefix("0x")
        return rpc(
            self.node.url,
            "eth_getLogs",
            [
                {
                    "address": self.address,
                    "fromBlock": "0x0",
                    "toBlock": "latest",
                    "topics": [topic, "0x" + root.hex()],
                }
            ],
        )


@pytest.fixture
def registry(hardhat: HardhatNode) -> Registry:
    rpc(hardhat.url, "evm_setAutomine", [True])
    return Registry(hardhat)


def test_deploy_anchor_and_read_back_over_json_rpc(registry: Registry) -> None:
    assert registry.deployment.chain_id == 31337
    status = registry_status(registry.w3, registry.address, registry.issuer.address)
    assert status.registry_ok and status.account_authorised and not status.problems

    ledger = registry.ledger()
    root = root_of("hardhat-1")
    receipt = ledger.publish(root, "hardhat-1", issuer=ISSUER)

    assert receipt.confirmed
    assert receipt.ledger_id == f"eip155:31337:{registry.address}"
    assert receipt.account == f"eip155:31337:{registry.issuer.address}"
    tx = rpc(registry.node.url, "eth_getTransactionByHash", [receipt.locator])
    assert tx["from"].lower() == registry.issuer.address.lower()
    assert int(tx["type"], 16) == 2
    block = rpc(registry.node.url, "eth_getBlockByNumber", [tx["blockNumber"], False])
    assert int(receipt.anchored_at.timestamp()) == int(block["timestamp"], 16)
    # a verifier needs only the RPC URL and the contract address
    reader = EvmLedger.connect(registry.node.url, registry.address)
    assert reader.lookup(root) == receipt.entry
    assert reader.lookup(root_of("unknown")) is None
    with pytest.raises(AnchorError, match="no chain account"):
        reader.publish(root_of("x"), "x", issuer=ISSUER)


def test_confirmation_depth_with_mined_blocks(registry: Registry) -> None:
    mined: list[float] = []

    def wait(seconds: float) -> None:  # each wait: one more block on the real node
        mined.append(seconds)
        registry.node.mine(1)

    ledger = registry.ledger(sleep=wait, confirmations=4)
    root = root_of("hardhat-2")
    receipt = ledger.publish(root, "hardhat-2", issuer=ISSUER)
    assert receipt.confirmed
    tx = rpc(registry.node.url, "eth_getTransactionByHash", [receipt.locator])
    head = int(rpc(registry.node.url, "eth_blockNumber"), 16)
    assert head - int(tx["blockNumber"], 16) + 1 >= 4
    assert len(mined) >= 3


def test_unconfirmed_then_confirmed_after_evm_mine(registry: Registry) -> None:
    ledger = registry.ledger(confirmations=3, confirmation_timeout_seconds=0)
    root = root_of("hardhat-3")
    first = ledger.publish(root, "hardhat-3", issuer=ISSUER)
    assert not first.confirmed
    assert ledger.lookup(root) is None
    nonce = registry.nonce()
    registry.node.mine(2)
    assert ledger.lookup(root) == first.entry
    second = ledger.publish(root, "hardhat-3", issuer=ISSUER)
    assert second.confirmed and second.entry == first.entry
    assert registry.nonce() == nonce  # the retry sent nothing


def test_lost_reply_after_send_anchors_exactly_once(registry: Registry) -> None:
    """The node got the transaction and mined it; the reply was lost. The retry finds the root
    already anchored and sends no second transaction."""
    root = root_of("hardhat-4")
    nonce = registry.nonce()
    with FaultyProxy(registry.node.url) as proxy:
        proxy.drop_reply_after["eth_sendRawTransaction"] = 1
        receipt = registry.ledger(proxy.url).publish(root, "hardhat-4", issuer=ISSUER)
    assert proxy.dropped["eth_sendRawTransaction"] == 1
    assert proxy.forwarded["eth_sendRawTransaction"] == 1
    assert registry.nonce() == nonce + 1
    events = registry.events(root)
    assert len(events) == 1 and events[0]["transactionHash"] == receipt.locator


def test_lost_reply_before_mining_rebroadcasts_the_same_transaction(registry: Registry) -> None:
    """Automine off: the transaction sits in the node's pool when the reply is lost. The retry
    sees no anchor yet and re-sends the same signed bytes (the node says it knows them), then
    waits; one transaction is mined."""
    rpc(registry.node.url, "evm_setAutomine", [False])
    root = root_of("hardhat-5")
    nonce = registry.nonce()

    def wait(seconds: float) -> None:
        if proxy.forwarded["eth_sendRawTransaction"] >= 2:
            registry.node.mine(1)

    with FaultyProxy(registry.node.url) as proxy:
        proxy.drop_reply_after["eth_sendRawTransaction"] = 1
        receipt = registry.ledger(proxy.url, sleep=wait).publish(root, "hardhat-5", issuer=ISSUER)
    rpc(registry.node.url, "evm_setAutomine", [True])

    sent = proxy.bodies["eth_sendRawTransaction"]
    assert len(sent) == 2 and sent[0] == sent[1]  # the very same signed transaction
    assert registry.nonce() == nonce + 1
    events = registry.events(root)
    assert len(events) == 1 and events[0]["transactionHash"] == receipt.locator
    assert receipt.confirmed


def test_node_down_then_back(registry: Registry) -> None:
    root = root_of("hardhat-6")
    with FaultyProxy(registry.node.url) as proxy:
        proxy.refuse_next = 3
        receipt = registry.ledger(proxy.url, retries=5).publish(root, "hardhat-6", issuer=ISSUER)
    assert receipt.confirmed
    assert len(registry.events(root)) == 1


def test_node_unreachable_is_temporary_and_bounded(registry: Registry) -> None:
    with FaultyProxy(registry.node.url) as proxy:
        url = proxy.url
    ledger = registry.ledger(url, retries=2)  # the proxy is gone: connection refused
    with pytest.raises(AnchorTemporaryError, match="after 3 attempts"):
        ledger.publish(root_of("hardhat-7"), "hardhat-7", issuer=ISSUER)
    assert registry.events(root_of("hardhat-7")) == []


def test_unauthorised_account_over_json_rpc(registry: Registry) -> None:
    stranger = LocalChainAccount.generate()
    fund_account(registry.w3, stranger.address, 10**17, settings=FAST)
    ledger = EvmLedger(connect_rpc(registry.node.url), registry.address, stranger, settings=FAST)
    with pytest.raises(AnchorError, match="not authorised") as caught:
        ledger.publish(root_of("hardhat-8"), "hardhat-8", issuer=ISSUER)
    assert not isinstance(caught.value, AnchorTemporaryError)
