"""A process for tests/reliability/test_anchoring_crash.py (not a test module).

``python anchoring_worker.py '<json>'`` builds the platform from the given settings and runs
one anchoring run (``AnchoringRunner.run(force=True)``, what ``microcred anchor run --now``
does). With ``"kill"`` set it SIGKILLs itself at a chosen instant — a ``kill -9`` with no
chance to clean up:

* ``after-publish``: right after the ledger accepted batch number ``nth`` (the root is on the
  ledger, the database does not know yet);
* ``after-record``: when batch number ``nth`` was recorded as published in the database, before
  any credential got its anchor proof;
* ``mid-apply``: after the first chunk (3 credentials) of anchor proofs of the first batch was
  committed.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from datetime import datetime
from typing import Any

from microcred.anchoring.backends.embedded import EmbeddedLedger
from microcred.clock import FixedClock
from microcred.services.anchoring import AnchoringService
from microcred.services.platform import build_platform
from microcred.settings import load_settings


def _die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def _install(kill: str, nth: int) -> None:
    seen = {"n": 0}

    def count() -> bool:
        seen["n"] += 1
        return seen["n"] == nth

    if kill == "after-publish":
        publish = EmbeddedLedger.publish

        def publish_then_die(self: Any, *args: Any, **kwargs: Any) -> Any:
            receipt = publish(self, *args, **kwargs)
            if count():
                _die()
            return receipt

        EmbeddedLedger.publish = publish_then_die  # type: ignore[method-assign]
    elif kill == "after-record":
        apply = AnchoringService._apply

        def die_before_apply(self: Any, *args: Any, **kwargs: Any) -> Any:
            if count():
                _die()
            return apply(self, *args, **kwargs)

        AnchoringService._apply = die_before_apply  # type: ignore[method-assign]
    elif kill == "mid-apply":
        from microcred.storage.repositories.anchoring import AnchorBatchRepository

        leaves = AnchorBatchRepository.unapplied_leaves
        calls = {"n": 0}

        def die_on_second_chunk(self: Any, *args: Any, **kwargs: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == 2:  # the first chunk was committed, the second is being read
                _die()
            return leaves(self, *args, **kwargs)

        AnchorBatchRepository.unapplied_leaves = die_on_second_chunk  # type: ignore[method-assign]
    elif kill != "none":
        raise SystemExit(f"unknown kill point {kill!r}")


def main(arguments: dict[str, Any]) -> int:
    _install(arguments.get("kill", "none"), int(arguments.get("nth", 1)))
    settings = load_settings(
        home=arguments["home"],
        database_url=arguments["database_url"],
        base_url=arguments["base_url"],
        kek=arguments["kek"],
        anchor_batch_size=int(arguments["batch_size"]),
        database_pool_size=2,
        database_max_overflow=2,
    )
    platform = build_platform(
        settings,
        clock=FixedClock(datetime.fromisoformat(arguments["now"])),
        allow_network=False,
        migrate_database=False,
    )
    if arguments.get("kill") == "mid-apply":
        platform.anchor_setup.runner.primary._chunk = 3  # several chunks per batch
    try:
        run = platform.anchor_setup.runner.run(force=True, wait=60.0)
        print(
            json.dumps(
                {
                    "sealed": run.sealed,
                    "published": run.published,
                    "completed": run.completed,
                    "proofs": run.proofs_written,
                    "errors": run.errors,
                }
            ),
            flush=True,
        )
    finally:
        platform.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
