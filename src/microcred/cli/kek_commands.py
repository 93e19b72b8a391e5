"""``microcred keys rotate-kek``: re-encrypt every stored private key under a new KEK.

The current KEK comes from ``MICROCRED_KEK`` / ``MICROCRED_KEK_FILE`` as for every command; the
new one from ``--new-kek-file FILE`` or ``MICROCRED_NEW_KEK`` (never a command-line value: the
process list would show it). See :mod:`microcred.keys.rotation` for the crash guarantees.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from microcred.cli.commands import StoreOption
from microcred.cli.errors import cli_errors
from microcred.errors import ConfigError
from microcred.keys.file_store import KEK_ENV, KEK_FILE_ENV, FileKeyStore, load_kek

if TYPE_CHECKING:
    from microcred.keys.rotation import KekRotatable

__all__ = ["NEW_KEK_ENV", "keys_rotate_kek"]

NEW_KEK_ENV = "MICROCRED_NEW_KEK"


def _new_kek(path: Path | None) -> bytes:
    inline = os.environ.get(NEW_KEK_ENV, "")
    if path is not None and inline:
        raise ConfigError(f"both --new-kek-file and {NEW_KEK_ENV} are set; give only one")
    if path is not None:
        return load_kek({KEK_FILE_ENV: str(path)})
    if inline:
        return load_kek({KEK_ENV: inline})
    raise ConfigError(
        f"no new key-encryption key: give --new-kek-file FILE or set {NEW_KEK_ENV} "
        "(generate one with `python -c 'import secrets; print(secrets.token_hex(32))'`)"
    )


def _store_dir(store: Path | None) -> Path:
    if store is not None:
        return store
    from microcred.settings import load_settings

    settings = load_settings()
    return Path(settings.key_store_dir or settings.home / "keys")


def keys_rotate_kek(
    store: StoreOption = None,
    new_kek_file: Annotated[
        Path | None,
        typer.Option(
            "--new-kek-file",
            help=f"File holding the new KEK (64 hex characters, base64url or 32 raw bytes); "
            f"or set {NEW_KEK_ENV}.",
            dir_okay=False,
        ),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Re-encrypt every signing key and chain account key under a new key-encryption key.

    Stop servers and workers first. Safe to run again after a crash: keys already moved are
    only checked. Then set MICROCRED_KEK (or MICROCRED_KEK_FILE) to the new key.
    """
    with cli_errors():
        from microcred.keys.rotation import rotate_kek

        new_kek = _new_kek(new_kek_file)
        directory = _store_dir(store)
        old_kek = load_kek(os.environ)
        stores: dict[str, KekRotatable] = {"signing keys": FileKeyStore(directory, old_kek)}
        chain_dir = directory / "chain"
        if chain_dir.is_dir():
            from microcred.anchoring.backends.evm_account import ChainKeyStore

            stores["chain account keys"] = ChainKeyStore(chain_dir, old_kek)
        outcome = rotate_kek(stores, new_kek)
        if json_output:
            sys.stdout.write(
                json.dumps(
                    {
                        "store": str(directory.resolve()),
                        "oldKekId": outcome.old_kek_id,
                        "newKekId": outcome.new_kek_id,
                        "rotated": outcome.rotated,
                    },
                    sort_keys=True,
                )
                + "\n"
            )
            return
        lines = [f"Re-encrypted {outcome.count} key(s) under KEK {outcome.new_kek_id}:"]
        lines += [f"  {label}: {len(ids)}" for label, ids in outcome.rotated.items()]
        lines.append(
            f"Set {KEK_ENV} (or {KEK_FILE_ENV}) to the new key before starting microcred again; "
            "the old key no longer opens them."
        )
        sys.stdout.write("\n".join(lines) + "\n")
