"""Fixtures for the chain tests (marker ``chain``).

* ``tester``: a fresh in-process chain (eth-tester + py-evm) and a ``Web3`` client on it;
* ``hardhat``: one real Hardhat 2.x JSON-RPC node for the session, on a free 127.0.0.1 port,
  started by its own binary and stopped at the end. Tests that need it are skipped with a
  reason only when ``node_modules/.bin/hardhat`` is missing (``npm ci`` installs it; ``.ci/run``
  does so whenever package-lock.json exists).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from chain_testkit import HARDHAT, HardhatNode, InProcessChain, hardhat_node, importorskip

importorskip("web3", reason="the EVM ledger tests need the 'evm' extra (web3)")
importorskip("eth_tester", reason="the in-process chain needs eth-tester[py-evm]")


@pytest.fixture(autouse=True)
def _recursion_limit_kept() -> Iterator[None]:
    """No chain library may leave the process-wide recursion limit raised (see
    chain_testkit.importorskip): other tests in the same run rely on it."""
    before = sys.getrecursionlimit()
    yield
    after = sys.getrecursionlimit()
    sys.setrecursionlimit(before)
    assert after == before, f"the recursion limit changed from {before} to {after}"


@pytest.fixture
def tester() -> InProcessChain:
    limit = sys.getrecursionlimit()
    try:
        from eth_tester import EthereumTester, PyEVMBackend
        from web3 import EthereumTesterProvider, Web3
    finally:
        sys.setrecursionlimit(limit)

    chain = EthereumTester(PyEVMBackend())
    return InProcessChain(Web3(EthereumTesterProvider(chain)), chain)


@pytest.fixture(scope="session")
def hardhat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HardhatNode]:
    if not HARDHAT.exists():
        pytest.skip("node_modules/.bin/hardhat is missing: run `npm ci` at the repository root")
    directory: Path = tmp_path_factory.mktemp("hardhat")
    with hardhat_node(directory) as node:
        yield node
