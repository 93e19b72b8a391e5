"""``microcred chain``: the EVM ledger's registry contract and chain accounts.

``new-account`` creates the issuer's anchoring account (an secp256k1 key, encrypted in the key
store under the KEK), ``deploy`` deploys the ``AnchorRegistry`` contract, ``authorise`` lets an
account anchor on it, ``fund`` sends ether from a development node's unlocked account, and
``status`` shows the chain, the registry and an account. Thin shell: each command calls one
function of :mod:`microcred.anchoring.backends.evm` (imported only when a command runs, so the
rest of the CLI never loads web3).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from microcred.cli.errors import EXIT_ERROR, cli_errors
from microcred.cli.render import write_json
from microcred.errors import InvalidInput

if TYPE_CHECKING:
    from microcred.anchoring.backends.evm_account import ChainKeyStore

__all__ = ["chain_app"]

chain_app = typer.Typer(
    help="EVM ledger: chain accounts, the anchor registry contract, funding, status.",
    no_args_is_help=True,
)

RpcOption = Annotated[
    str,
    typer.Option(
        "--rpc",
        help="JSON-RPC URL of the node (http:// or https://).",
        envvar="MICROCRED_EVM_RPC_URL",
        show_default=False,
    ),
]
ContractOption = Annotated[
    str | None,
    typer.Option(
        "--contract",
        help="Address of the AnchorRegistry contract.",
        envvar="MICROCRED_EVM_CONTRACT",
        show_default=False,
    ),
]
AccountOption = Annotated[
    str | None,
    typer.Option(
        "--account",
        help="Name of a chain account in the key store (see `microcred chain new-account`).",
        envvar="MICROCRED_EVM_ACCOUNT",
        show_default=False,
    ),
]
StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="Key store directory (chain accounts live in its chain/ folder; default: "
        "$MICROCRED_KEY_STORE_DIR, else $MICROCRED_HOME/keys, else ./var/keys).",
        file_okay=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _chain_keys(store: Path | None) -> ChainKeyStore:
    from microcred.anchoring.backends.evm_account import ChainKeyStore
    from microcred.keys.file_store import load_kek
    from microcred.settings import load_settings

    if store is not None:
        base = store
    else:
        settings = load_settings()
        base = settings.key_store_dir or settings.home / "keys"
    return ChainKeyStore(Path(base) / "chain", load_kek(os.environ))


def _timeout() -> float:
    from microcred.anchoring.backends.evm import EvmSettings

    return EvmSettings().rpc_timeout_seconds


@chain_app.command("new-account")
def new_account(
    name: Annotated[
        str, typer.Option("--id", help="Name of the new chain account.", show_default=False)
    ],
    store: StoreOption = None,
    json_output: JsonOption = False,
) -> None:
    """Create an secp256k1 chain account, encrypted in the key store; print its address."""
    with cli_errors():
        keys = _chain_keys(store)
        address = keys.create(name)
        info = {"account": name, "address": address, "store": str(keys.path.resolve())}
        if json_output:
            write_json(info)
            return
        _out(
            f"Created chain account {name} in {info['store']}\n"
            f"  address  {address}\n"
            "Fund it, then deploy a registry from it (it becomes the owner) or have the "
            "registry owner authorise it.\n"
        )


@chain_app.command("deploy")
def deploy(
    rpc: RpcOption,
    account: AccountOption = None,
    store: StoreOption = None,
    json_output: JsonOption = False,
) -> None:
    """Deploy the AnchorRegistry contract; print its address.

    The deploying account owns the registry and may anchor. Without --account the node's
    first unlocked account deploys (development chains such as Hardhat only).
    """
    with cli_errors():
        from microcred.anchoring.backends import evm

        owner = _chain_keys(store).open(account) if account else None
        w3 = evm.connect_rpc(rpc, timeout=_timeout())
        deployment = evm.deploy_registry(w3, owner)
        if json_output:
            write_json(deployment.to_json())
            return
        _out(
            f"{deployment.contract_address}\n"
            f"Deployed AnchorRegistry on chain {deployment.chain_id} "
            f"(block {deployment.block_number}, transaction {deployment.tx_hash}).\n"
            f"  owner      {deployment.owner}\n"
            f"  ledger id  eip155:{deployment.chain_id}:{deployment.contract_address}\n"
            f"Set MICROCRED_EVM_CONTRACT={deployment.contract_address}\n"
        )


@chain_app.command("authorise")
def authorise(
    rpc: RpcOption,
    address: Annotated[
        str, typer.Option("--address", help="The account to authorise.", show_default=False)
    ],
    contract: ContractOption = None,
    account: AccountOption = None,
    store: StoreOption = None,
    json_output: JsonOption = False,
) -> None:
    """Let --address anchor on the registry (sent by its owner).

    The owner is --account, or without it the node's unlocked dev account.
    """
    with cli_errors():
        from microcred.anchoring.backends import evm

        if not contract:
            raise InvalidInput("give the registry address: --contract or MICROCRED_EVM_CONTRACT")
        owner = _chain_keys(store).open(account) if account else None
        w3 = evm.connect_rpc(rpc, timeout=_timeout())
        tx_hash = evm.authorise_account(w3, contract, address, owner)
        if json_output:
            write_json({"contract": contract, "authorised": address, "transaction": tx_hash})
            return
        _out(f"Authorised {address} on {contract} (transaction {tx_hash}).\n")


@chain_app.command("fund")
def fund(
    rpc: RpcOption,
    to: Annotated[
        str, typer.Option("--to", help="Address (0x...) to send ether to.", show_default=False)
    ],
    amount: Annotated[
        str, typer.Option("--amount", help="Amount in ether, e.g. 0.5.", show_default=False)
    ],
    json_output: JsonOption = False,
) -> None:
    """Send ether from the node's unlocked dev account (development chains only)."""
    with cli_errors():
        from microcred.anchoring.backends import evm

        wei = evm.parse_ether(amount)
        w3 = evm.connect_rpc(rpc, timeout=_timeout())
        tx_hash = evm.fund_account(w3, to, wei)
        if json_output:
            write_json({"to": to, "amountWei": str(wei), "transaction": tx_hash})
            return
        _out(f"Sent {amount} ETH to {to} (transaction {tx_hash}).\n")


@chain_app.command("status")
def status(
    rpc: RpcOption,
    contract: ContractOption = None,
    account: AccountOption = None,
    address: Annotated[
        str | None,
        typer.Option("--address", help="Check this account address.", show_default=False),
    ] = None,
    store: StoreOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show the chain, the registry and an account; exit code 2 when something is wrong.

    Checks that the contract is the microcred AnchorRegistry, who owns it, and whether the
    account is authorised and funded.
    """
    with cli_errors():
        from microcred.anchoring.backends import evm

        if account and address:
            raise InvalidInput("give --account or --address, not both")
        checked = address or (_chain_keys(store).address(account) if account else None)
        w3 = evm.connect_rpc(rpc, timeout=_timeout())
        report = evm.registry_status(w3, contract, checked)
        body: dict[str, Any] = report.to_json()
        if json_output:
            write_json(body)
        else:
            lines = [
                f"node        {report.rpc_url}",
                f"chain id    {report.chain_id}",
                f"block       {report.block_number}",
            ]
            if report.contract_address is not None:
                lines.append(f"registry    {report.contract_address}")
                lines.append(f"ledger id   eip155:{report.chain_id}:{report.contract_address}")
                if report.owner is not None:
                    lines.append(f"owner       {report.owner}")
            if report.account is not None:
                lines.append(f"account     {report.account}")
                if report.account_authorised is not None:
                    lines.append(f"authorised  {'yes' if report.account_authorised else 'no'}")
                balance = report.account_balance_wei or 0
                lines.append(f"balance     {balance / 10**18:.6f} ETH ({balance} wei)")
            lines.extend(f"problem     {problem}" for problem in report.problems)
            _out("\n".join(lines) + "\n")
        if report.problems:
            raise typer.Exit(EXIT_ERROR)
