"""Fixtures for the chain tests (marker ``chain``).

* ``tester``: a fresh in-process chain (eth-tester + py-evm) and a ``Web3`` client on it;
* ``hardhat``: one real Hardhat 2.x JSON-RPC node for the session, on a free 127.0.0.1 port,
  started by its own binary and stopped at the end. Tests that need it are skipped with a
  reason only when ``node_modules/.bin/hardhat`` is missing (``npm ci`` installs it; ``.ci/run``
  does so whenever package-lock.json exists).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from chain_testkit import HARDHAT, HardhatNode, InProcessChain, hardhat_node

pytest.importorskip("web3", reason="the EVM ledger tests need the 'evm' extra (web3)")
pytest.importorskip("eth_tester", reason="the in-process chain needs eth-tester[py-evm]")


@pytest.fixture
def tester() -> InProcessChain:
    from eth_tester import EthereumTester, PyEVMBackend
    from web3 import EthereumTesterProvider, Web3

    chain = EthereumTester(PyEVMBackend())
    return InProcessChain(Web3(EthereumTesterProvider(chain)), chain)


@pytest.fixture(scope="session")
def hardhat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HardhatNode]:
    if not HARDHAT.exists():
        pytest.skip("node_modules/.bin/hardhat is missing: run `npm ci` at the repository root")
    directory: Path = tmp_path_factory.mktemp("hardhat")
    with hardhat_node(directory) as node:
        yield node
