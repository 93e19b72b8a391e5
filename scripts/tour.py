"""The CLI tour behind ``make run`` (until the web platform lands).

Creates a throw-away home under ``var/tour`` with a fresh key-encryption key, then runs
the real ``microcred`` commands a newcomer would type, printing each one before its output:
create a key, write an unsigned EU micro-credential, sign it with both cryptosuites, verify
it, tamper with it and verify again.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOME = ROOT / "var" / "tour"
CLI = [sys.executable, "-m", "microcred"]


def run(*args: str, show: bool = True, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    print(f"\n$ microcred {' '.join(args)}", flush=True)
    done = subprocess.run([*CLI, *args], env=env, cwd=HOME, text=True, capture_output=True)
    if show:
        sys.stdout.write(done.stdout)
    sys.stdout.write(done.stderr)
    print(f"(exit {done.returncode})", flush=True)
    return done


def main() -> int:
    shutil.rmtree(HOME, ignore_errors=True)
    HOME.mkdir(parents=True)
    kek_file = HOME / "kek"
    kek_file.write_text(secrets.token_hex(32) + "\n", encoding="ascii")
    kek_file.chmod(0o600)
    env = {
        **os.environ,
        "MICROCRED_HOME": str(HOME),
        "MICROCRED_KEK_FILE": str(kek_file),
        "COLUMNS": "100",
    }
    env.pop("MICROCRED_KEK", None)
    print(f"microcred tour — working in {HOME} (key-encryption key in {kek_file})")

    run("keys", "new", "--id", "university", env=env)
    listing = run("keys", "list", "--json", show=False, env=env)
    did = json.loads(listing.stdout)["keys"][0]["did"]

    run("example", "--issuer", did, "--out", "unsigned.json", env=env)
    print("(an unsigned Open Badges 3.0 credential with every EU standard element)")
    run("sign", "unsigned.json", "--key", "university", "--out", "signed-rdfc.json", env=env)
    run(
        "sign",
        "unsigned.json",
        "--key",
        "university",
        "--suite",
        "eddsa-jcs-2022",
        "--out",
        "signed-jcs.json",
        env=env,
    )
    run("verify", "signed-rdfc.json", env=env)
    run("verify", "signed-jcs.json", "--json", env=env)

    tampered = json.loads((HOME / "signed-rdfc.json").read_text(encoding="utf-8"))
    tampered["credentialSubject"]["achievement"]["name"] = "Doctorate in Everything"
    (HOME / "tampered.json").write_text(json.dumps(tampered, indent=2), encoding="utf-8")
    print("\n(tampered.json: the achievement name was changed after signing)")
    run("verify", "tampered.json", env=env)
    (HOME / "garbage.json").write_text("{not json", encoding="utf-8")
    run("verify", "garbage.json", env=env)
    print(f"\nDone. Files are in {HOME}. Next: docs/cli.md, docs/verification.md.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
