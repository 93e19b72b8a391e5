"""A process for tests/security/test_kek.py (not a test module): runs
``microcred keys rotate-kek`` in this process and SIGKILLs itself right after the key file
number ``KILL_AFTER`` was renamed into place — a ``kill -9`` at a chosen instant of the
rotation, with no chance to clean up.

``python kek_rotation_worker.py KILL_AFTER -- <microcred arguments>``
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from microcred.cli.main import main


def _install(kill_after: int) -> None:
    real_replace = os.replace
    done = {"n": 0}

    def replace_then_die(src: Any, dst: Any, **kwargs: Any) -> None:
        real_replace(src, dst, **kwargs)
        done["n"] += 1
        if done["n"] == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)

    os.replace = replace_then_die  # type: ignore[assignment]


if __name__ == "__main__":
    _install(int(sys.argv[1]))
    assert sys.argv[2] == "--"
    main(sys.argv[3:])
