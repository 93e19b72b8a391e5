"""The compiled ``AnchorRegistry`` contract shipped with the package (ABI + bytecode).

``contracts/AnchorRegistry.sol`` is compiled offline by ``scripts/compile-contract.js`` (npm
``solc``, pinned in ``package.json``) into ``contracts/build/AnchorRegistry.json``; the same bytes
are shipped as ``microcred/anchoring/backends/AnchorRegistry.json`` so an installed package can
deploy and call the registry without Node. A test recompiles the source and compares both files.

This module only reads JSON: it imports no chain library.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from microcred.errors import ConfigError

__all__ = ["REGISTRY_ARTIFACT", "ContractArtifact", "load_registry_artifact", "parse_artifact"]

#: File name of the packaged artifact (next to this module).
REGISTRY_ARTIFACT = "AnchorRegistry.json"

_REQUIRED = ("contractName", "sourceName", "sourceSha256", "compiler", "settings", "abi")


@dataclass(frozen=True, slots=True)
class ContractArtifact:
    """A compiled contract: what is needed to deploy it and to call it."""

    contract_name: str
    source_name: str
    source_sha256: str
    compiler_version: str
    settings: Mapping[str, Any]
    abi: Sequence[Mapping[str, Any]]
    bytecode: bytes
    deployed_bytecode: bytes

    @property
    def evm_version(self) -> str:
        return str(self.settings.get("evmVersion", ""))

    def function_names(self) -> list[str]:
        """Names of the contract's functions, sorted."""
        return sorted(str(item["name"]) for item in self.abi if item.get("type") == "function")


def _hex_bytes(value: object, field: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise ConfigError(f"contract artifact: {field} is not a 0x-prefixed hex string")
    try:
        return bytes.fromhex(value[2:])
    except ValueError as exc:
        raise ConfigError(f"contract artifact: {field} is not valid hex") from exc


def parse_artifact(data: object) -> ContractArtifact:
    """Validate the JSON written by ``scripts/compile-contract.js``."""
    if not isinstance(data, dict):
        raise ConfigError("contract artifact: not a JSON object")
    missing = [name for name in _REQUIRED if name not in data]
    if missing:
        raise ConfigError(f"contract artifact: missing {', '.join(missing)}")
    compiler = data["compiler"]
    abi = data["abi"]
    settings = data["settings"]
    if not isinstance(compiler, dict) or not isinstance(compiler.get("version"), str):
        raise ConfigError("contract artifact: compiler.version is missing")
    if not isinstance(abi, list) or not all(isinstance(item, dict) for item in abi):
        raise ConfigError("contract artifact: abi is not a list of objects")
    if not isinstance(settings, dict):
        raise ConfigError("contract artifact: settings is not an object")
    bytecode = _hex_bytes(data.get("bytecode"), "bytecode")
    deployed = _hex_bytes(data.get("deployedBytecode"), "deployedBytecode")
    if not bytecode or not deployed:
        raise ConfigError("contract artifact: empty bytecode")
    return ContractArtifact(
        contract_name=str(data["contractName"]),
        source_name=str(data["sourceName"]),
        source_sha256=str(data["sourceSha256"]),
        compiler_version=compiler["version"],
        settings=settings,
        abi=abi,
        bytecode=bytecode,
        deployed_bytecode=deployed,
    )


def load_registry_artifact() -> ContractArtifact:
    """The ``AnchorRegistry`` artifact shipped inside the package."""
    source = resources.files("microcred.anchoring.backends").joinpath(REGISTRY_ARTIFACT)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"the packaged contract artifact {REGISTRY_ARTIFACT} is missing: reinstall microcred"
        ) from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError(
            f"the packaged contract artifact {REGISTRY_ARTIFACT} is not JSON"
        ) from exc
    return parse_artifact(data)
