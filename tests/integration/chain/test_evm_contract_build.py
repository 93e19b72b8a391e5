"""The committed AnchorRegistry build equals a fresh offline compile of the committed source."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess

import pytest
from chain_testkit import REPO, SOLC_SCRIPT

from microcred.anchoring.backends.evm_contract import (
    ContractArtifact,
    load_registry_artifact,
    parse_artifact,
)
from microcred.errors import ConfigError

pytestmark = pytest.mark.chain

SOURCE = REPO / "contracts" / "AnchorRegistry.sol"
COMMITTED = REPO / "contracts" / "build" / "AnchorRegistry.json"
PACKAGED = REPO / "src" / "microcred" / "anchoring" / "backends" / "AnchorRegistry.json"


@pytest.fixture(scope="module")
def recompiled() -> str:
    node = shutil.which("node")
    if node is None or not (REPO / "node_modules" / "solc").is_dir():
        pytest.skip("node or the npm package solc is missing: run `npm ci` at the repository root")
    result = subprocess.run(
        [node, str(SOLC_SCRIPT), "--stdout"],
        cwd=REPO,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout.decode("utf-8")


def test_recompiled_abi_and_bytecode_equal_the_committed_build(recompiled: str) -> None:
    fresh = json.loads(recompiled)
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert fresh["abi"] == committed["abi"]
    assert fresh["bytecode"] == committed["bytecode"]
    assert fresh["deployedBytecode"] == committed["deployedBytecode"]
    assert fresh["compiler"] == committed["compiler"]
    assert fresh["settings"] == committed["settings"]
    # byte for byte, in the repository and in the package
    assert COMMITTED.read_text(encoding="utf-8") == recompiled
    assert PACKAGED.read_text(encoding="utf-8") == recompiled


def test_the_build_records_its_source_and_compiler() -> None:
    artifact = load_registry_artifact()
    assert isinstance(artifact, ContractArtifact)
    assert artifact.contract_name == "AnchorRegistry"
    assert artifact.source_name == "contracts/AnchorRegistry.sol"
    assert artifact.source_sha256 == hashlib.sha256(SOURCE.read_bytes()).hexdigest()
    assert artifact.compiler_version.startswith("0.8.37+commit.")
    assert artifact.evm_version == "paris"
    assert artifact.settings["optimizer"] == {"enabled": True, "runs": 200}
    assert artifact.function_names() == [
        "anchor",
        "anchorOf",
        "anchoredAt",
        "authorise",
        "deauthorise",
        "isAuthorised",
        "owner",
    ]
    assert artifact.deployed_bytecode and artifact.bytecode.endswith(artifact.deployed_bytecode)
    # "paris" code has no PUSH0 (0x5f), so it runs on chains without Shanghai (older Besu)
    assert PUSH0 not in opcodes(artifact.deployed_bytecode)
    assert PUSH0 not in opcodes(
        artifact.bytecode[: -len(artifact.deployed_bytecode)], metadata=False
    )


PUSH0 = 0x5F


def opcodes(code: bytes, *, metadata: bool = True) -> list[int]:
    """The opcodes of ``code`` without PUSH data (and without the trailing CBOR metadata)."""
    if metadata and len(code) >= 2:
        metadata = int.from_bytes(code[-2:], "big") + 2
        if metadata < len(code):
            code = code[:-metadata]
    found, i = [], 0
    while i < len(code):
        op = code[i]
        found.append(op)
        i += 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
    return found


def test_the_abi_has_the_documented_signatures() -> None:
    abi = {item.get("name"): item for item in load_registry_artifact().abi}
    anchored_at = abi["anchoredAt"]
    assert [i["type"] for i in anchored_at["inputs"]] == ["bytes32"]
    assert [o["type"] for o in anchored_at["outputs"]] == ["uint64", "address"]
    assert anchored_at["stateMutability"] == "view"
    assert [i["type"] for i in abi["anchor"]["inputs"]] == ["bytes32"]
    assert [(i["type"], i["indexed"]) for i in abi["Anchored"]["inputs"]] == [
        ("bytes32", True),
        ("address", True),
        ("uint64", False),
    ]
    assert {"NotOwner", "NotAuthorised", "ZeroRoot", "ZeroAccount"} <= set(abi)


@pytest.mark.parametrize(
    "broken",
    [
        [],
        {"contractName": "X"},
        {**json.loads(COMMITTED.read_text(encoding="utf-8")), "bytecode": "6080"},
        {**json.loads(COMMITTED.read_text(encoding="utf-8")), "deployedBytecode": "0xzz"},
        {**json.loads(COMMITTED.read_text(encoding="utf-8")), "abi": {"a": 1}},
        {**json.loads(COMMITTED.read_text(encoding="utf-8")), "compiler": {}},
    ],
)
def test_a_broken_artifact_is_a_config_error(broken: object) -> None:
    with pytest.raises(ConfigError):
        parse_artifact(broken)
