"""A coordinating process for tests/reliability/test_bulk_parallel_crash.py (not a test module).

``python bulk_parallel_worker.py '<json>'`` builds the platform from the given settings and runs
one import job with :func:`~microcred.services.bulk_runner.run_job_parallel` (several worker
processes sharing the job through PostgreSQL, then anchoring), printing the outcome as JSON.
The test SIGKILLs one of its worker processes while they work.
"""

from __future__ import annotations

import json
import sys
import uuid
from typing import Any

from microcred.services.access import Principal, Role
from microcred.services.bulk_runner import run_job_parallel
from microcred.services.platform import build_platform
from microcred.settings import load_settings


def main(arguments: dict[str, Any]) -> int:
    settings = load_settings(
        home=arguments["home"],
        database_url=arguments["database_url"],
        base_url=arguments["base_url"],
        kek=arguments["kek"],
        default_cryptosuite=arguments["default_cryptosuite"],
        database_pool_size=2,
        database_max_overflow=2,
    )
    platform = build_platform(settings, allow_network=False, migrate_database=False)
    try:
        issuer_id = uuid.UUID(arguments["issuer_id"])
        principal = Principal(
            user_id=uuid.UUID(arguments["user_id"]),
            label="registrar",
            roles={issuer_id: Role.REGISTRAR},
        )
        outcome = run_job_parallel(
            platform,
            principal,
            issuer_id,
            uuid.UUID(arguments["job_id"]),
            workers=int(arguments["workers"]),
            chunk=int(arguments["chunk"]),
        )
        anchoring = outcome.anchoring
        print(
            json.dumps(
                {
                    "state": outcome.job.state.value,
                    "issued": outcome.job.issued_rows,
                    "pending": outcome.job.pending_rows,
                    "mode": outcome.mode,
                    "anchoring_ok": anchoring is not None and anchoring.ok,
                }
            ),
            flush=True,
        )
    finally:
        platform.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
