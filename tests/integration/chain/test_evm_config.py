"""EVM ledger configuration, amounts, and how node errors are sorted (no chain needed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from chain_testkit import importorskip

importorskip("web3", reason="the EVM ledger needs the 'evm' extra")

from microcred.anchoring.backends import evm  # noqa: E402
from microcred.anchoring.backends.evm import (  # noqa: E402
    GWEI,
    EvmLedgerConfig,
    EvmSettings,
    open_evm_ledger,
    parse_ether,
)
from microcred.anchoring.backends.evm_account import ChainKeyStore  # noqa: E402
from microcred.errors import (  # noqa: E402
    AnchorError,
    AnchorTemporaryError,
    ConfigError,
    InvalidInput,
)

pytestmark = pytest.mark.chain

CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
KEK = bytes.fromhex("c5" * 32)


def test_config_from_environment() -> None:
    config = EvmLedgerConfig.from_env(
        {
            "MICROCRED_EVM_RPC_URL": "https://rpc.example:8545",
            "MICROCRED_EVM_CONTRACT": CONTRACT.lower(),
            "MICROCRED_EVM_ACCOUNT": "acme-anchor",
            "MICROCRED_EVM_CHAIN_ID": "137",
            "MICROCRED_EVM_CONFIRMATIONS": "12",
            "MICROCRED_EVM_MAX_FEE_GWEI": "300",
            "MICROCRED_EVM_MAX_PRIORITY_FEE_GWEI": "40",
            "MICROCRED_EVM_PRIORITY_FEE_GWEI": "30.5",
            "MICROCRED_EVM_RETRIES": "5",
            "MICROCRED_EVM_RECEIPT_TIMEOUT": "90",
        }
    )
    assert config.rpc_url == "https://rpc.example:8545"
    assert config.account == "acme-anchor"
    settings = config.settings
    assert settings.chain_id == 137 and settings.confirmations == 12
    assert settings.max_fee_per_gas == 300 * GWEI
    assert settings.max_priority_fee_per_gas == 40 * GWEI
    assert settings.priority_fee_per_gas == 30_500_000_000
    assert settings.retries == 5 and settings.receipt_timeout_seconds == 90.0


def test_defaults() -> None:
    config = EvmLedgerConfig.from_env(
        {"MICROCRED_EVM_RPC_URL": "http://127.0.0.1:8545", "MICROCRED_EVM_CONTRACT": CONTRACT}
    )
    assert config.account is None
    assert config.settings == EvmSettings()
    assert EvmSettings().confirmations == 1 and EvmSettings().gas_limit == 100_000


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"MICROCRED_EVM_RPC_URL": "http://127.0.0.1:8545"},
        {"MICROCRED_EVM_RPC_URL": "ws://127.0.0.1:8545", "MICROCRED_EVM_CONTRACT": CONTRACT},
        {"MICROCRED_EVM_RPC_URL": "http://127.0.0.1:8545", "MICROCRED_EVM_CONTRACT": "0x12"},
        {
            "MICROCRED_EVM_RPC_URL": "http://127.0.0.1:8545",
            "MICROCRED_EVM_CONTRACT": CONTRACT,
            "MICROCRED_EVM_CONFIRMATIONS": "three",
        },
        {
            "MICROCRED_EVM_RPC_URL": "http://127.0.0.1:8545",
            "MICROCRED_EVM_CONTRACT": CONTRACT,
            "MICROCRED_EVM_CONFIRMATIONS": "0",
        },
        {
            "MICROCRED_EVM_RPC_URL": "http://127.0.0.1:8545",
            "MICROCRED_EVM_CONTRACT": CONTRACT,
            "MICROCRED_EVM_MAX_FEE_GWEI": "-1",
        },
        {
            "MICROCRED_EVM_RPC_URL": "http://127.0.0.1:8545",
            "MICROCRED_EVM_CONTRACT": CONTRACT,
            "MICROCRED_EVM_POLL_INTERVAL": "nan",
        },
    ],
)
def test_bad_configuration_is_a_config_error(environ: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        EvmLedgerConfig.from_env(environ)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_fee_per_gas": GWEI, "max_priority_fee_per_gas": 2 * GWEI},
        {"fee_bump_percent": 5},
        {"gas_limit": 1000},
        {"retries": -1},
        {"chain_id": 0},
        {"rpc_timeout_seconds": 0},
    ],
)
def test_settings_are_validated(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        EvmSettings(**kwargs)


def test_parse_ether() -> None:
    assert parse_ether("1") == 10**18
    assert parse_ether("0.5") == 5 * 10**17
    assert parse_ether("0.000000000000000001") == 1
    for bad in ("", "abc", "-1", "1e400000", "0.0000000000000000001", "inf"):
        with pytest.raises(InvalidInput):
            parse_ether(bad)


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("already known", "known"),  # geth
        ("Known transaction: 0xabc", "known"),  # hardhat, Besu
        ("AlreadyKnown", "known"),  # Nethermind
        ("nonce too low: next nonce 5, tx nonce 4", "nonce"),
        ("Transaction nonce too low. Expected nonce to be at least 1 but got 0.", "nonce"),
        ("NONCE_TOO_LOW", "nonce"),
        ("OldNonce", "nonce"),
        ("replacement transaction underpriced", "underpriced"),
        ("transaction underpriced: tip needed 1, tip permitted 0", "underpriced"),
        ("max fee per gas less than block base fee", "underpriced"),
        ("GAS_PRICE_TOO_LOW", "underpriced"),
        ("FeeTooLow", "underpriced"),
        ("insufficient funds for gas * price + value", "funds"),
        ("Sender doesn't have enough funds to send tx.", "funds"),
        ("UPFRONT_COST_EXCEEDS_BALANCE", "funds"),
        ("execution reverted", "other"),
    ],
)
def test_node_error_messages_are_sorted(message: str, kind: str) -> None:
    assert evm._rpc_kind(message) == kind


class _Response:
    def __init__(self, status_code: int) -> None:
        self.status_code = status_code


class _HttpError(OSError):
    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.response = _Response(status)


@pytest.mark.parametrize(
    ("error", "temporary"),
    [
        (ConnectionRefusedError(111, "refused"), True),
        (TimeoutError("timed out"), True),
        (_HttpError(503), True),
        (_HttpError(429), True),
        (_HttpError(401), False),
        (_HttpError(404), False),
    ],
)
def test_transport_errors_are_sorted(error: BaseException, temporary: bool) -> None:
    translated = evm._translate(error, "testing")
    assert isinstance(translated, AnchorError)
    assert isinstance(translated, AnchorTemporaryError) is temporary


def test_open_evm_ledger_with_a_stored_account(tmp_path: Path) -> None:
    address = ChainKeyStore(tmp_path, KEK).create("acme-anchor")
    config = EvmLedgerConfig("http://127.0.0.1:1", CONTRACT, "acme-anchor")
    ledger = open_evm_ledger(config, tmp_path, KEK)
    assert ledger.account_address == address
    assert ledger.contract_address == CONTRACT
    assert "acme" not in repr(ledger) and "key" not in repr(ledger).lower()
    read_only = open_evm_ledger(EvmLedgerConfig("http://127.0.0.1:1", CONTRACT), None, None)
    with pytest.raises(ConfigError):
        _ = read_only.account_address
    with pytest.raises(ConfigError):
        open_evm_ledger(config, None, None)


def test_ledger_id_without_the_network_when_the_chain_is_configured() -> None:
    config = EvmLedgerConfig("http://127.0.0.1:1", CONTRACT, settings=EvmSettings(chain_id=137))
    ledger = open_evm_ledger(config, None, None)
    assert ledger.ledger_id == f"eip155:137:{CONTRACT}"  # the node at :1 is never asked
    unknown = open_evm_ledger(EvmLedgerConfig("http://127.0.0.1:1", CONTRACT), None, None)
    with pytest.raises(AnchorTemporaryError):
        _ = unknown.ledger_id


def test_loading_the_backend_keeps_deep_json_a_recursion_error() -> None:
    """web3's dependencies raise the recursion limit to 100000 on import; the backend puts it
    back, so a hostile deeply nested document stays a RecursionError, not a segfault."""
    code = (
        "import json, sys\n"
        "before = sys.getrecursionlimit()\n"
        "import microcred.anchoring.backends.evm\n"
        "assert sys.getrecursionlimit() == before, sys.getrecursionlimit()\n"
        "try:\n"
        "    json.loads('[' * 100000)\n"
        "except RecursionError:\n"
        "    print('recursion error')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert result.stdout.decode().strip() == "recursion error"
