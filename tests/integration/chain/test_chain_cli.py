"""``microcred chain new-account|deploy|authorise|fund|status`` against a real Hardhat node,
then anchoring with the account and registry they set up."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from chain_testkit import HardhatNode, free_port, rpc
from typer.testing import CliRunner

from microcred.anchoring.backends.evm import EvmLedger, EvmSettings, connect_rpc
from microcred.anchoring.backends.evm_account import ChainKeyStore
from microcred.cli.main import app

pytestmark = pytest.mark.chain

KEK = "d4" * 32


class Ran:
    def __init__(self, exit_code: int, stdout: str, stderr: str) -> None:
        self.exit_code, self.stdout, self.stderr = exit_code, stdout, stderr

    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    for name in ("MICROCRED_EVM_RPC_URL", "MICROCRED_EVM_CONTRACT", "MICROCRED_EVM_ACCOUNT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MICROCRED_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MICROCRED_KEK", KEK)
    monkeypatch.delenv("MICROCRED_KEY_STORE_DIR", raising=False)

    def run(*args: str) -> Ran:
        result = CliRunner().invoke(app, list(args))
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Ran(result.exit_code, result.stdout, result.stderr)

    return run


def test_account_fund_deploy_status_then_anchor(
    cli: Any, hardhat: HardhatNode, tmp_path: Path
) -> None:
    url = hardhat.url
    created = cli("chain", "new-account", "--id", "issuer-anchor", "--json")
    assert created.exit_code == 0, created.stderr
    address = created.json()["address"]
    chain_dir = tmp_path / "home" / "keys" / "chain"
    assert (chain_dir / "issuer-anchor.chain-key.json").is_file()

    funded = cli("chain", "fund", "--rpc", url, "--to", address, "--amount", "1.5")
    assert funded.exit_code == 0, funded.stderr
    assert f"Sent 1.5 ETH to {address}" in funded.stdout
    balance = int(rpc(url, "eth_getBalance", [address, "latest"]), 16)
    assert balance == 15 * 10**17

    deployed = cli("chain", "deploy", "--rpc", url, "--account", "issuer-anchor", "--json")
    assert deployed.exit_code == 0, deployed.stderr
    body = deployed.json()
    contract = body["contract"]
    assert body["owner"] == address and body["chainId"] == 31337
    assert body["ledgerId"] == f"eip155:31337:{contract}"

    status = cli(
        "chain", "status", "--rpc", url, "--contract", contract, "--account", "issuer-anchor"
    )
    assert status.exit_code == 0, status.stdout + status.stderr
    assert "authorised  yes" in status.stdout
    assert f"registry    {contract}" in status.stdout
    assert "problem" not in status.stdout

    account = ChainKeyStore(chain_dir, bytes.fromhex(KEK)).open("issuer-anchor")
    ledger = EvmLedger(
        connect_rpc(url), contract, account, settings=EvmSettings(poll_interval_seconds=0.05)
    )
    root = hashlib.sha256(b"cli-batch").digest()
    receipt = ledger.publish(root, "cli-batch", issuer="did:web:university.example")
    assert receipt.account == f"eip155:31337:{address}"
    assert ledger.lookup(root) == receipt.entry


def test_deploy_from_dev_account_and_authorise(cli: Any, hardhat: HardhatNode) -> None:
    url = hardhat.url
    deployed = cli("chain", "deploy", "--rpc", url)
    assert deployed.exit_code == 0, deployed.stderr
    contract = deployed.stdout.splitlines()[0]
    assert contract.startswith("0x") and len(contract) == 42
    assert "Set MICROCRED_EVM_CONTRACT=" in deployed.stdout

    other = "0x" + "ab" * 20
    unauthorised = cli("chain", "status", "--rpc", url, "--contract", contract, "--address", other)
    assert unauthorised.exit_code == 2
    assert "not authorised" in unauthorised.stdout and "no funds" in unauthorised.stdout

    done = cli("chain", "authorise", "--rpc", url, "--contract", contract, "--address", other)
    assert done.exit_code == 0, done.stderr
    status = cli(
        "chain", "status", "--rpc", url, "--contract", contract, "--address", other, "--json"
    )
    assert status.json()["authorised"] is True


def test_status_of_a_missing_registry_and_errors(cli: Any, hardhat: HardhatNode) -> None:
    url = hardhat.url
    missing = cli("chain", "status", "--rpc", url, "--contract", "0x" + "00" * 19 + "01", "--json")
    assert missing.exit_code == 2
    assert missing.json()["registryOk"] is False

    down = cli("chain", "deploy", "--rpc", f"http://127.0.0.1:{free_port()}")
    assert down.exit_code == 2
    assert "cannot reach the JSON-RPC node" in down.stderr

    bad_amount = cli("chain", "fund", "--rpc", url, "--to", "0x" + "ab" * 20, "--amount", "lots")
    assert bad_amount.exit_code == 2 and "not an amount of ether" in bad_amount.stderr

    bad_url = cli("chain", "status", "--rpc", "ftp://127.0.0.1:1")
    assert bad_url.exit_code == 2 and "JSON-RPC URL" in bad_url.stderr

    no_contract = cli("chain", "authorise", "--rpc", url, "--address", "0x" + "ab" * 20)
    assert no_contract.exit_code == 2 and "--contract" in no_contract.stderr
