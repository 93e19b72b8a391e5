"""A worker process for tests/reliability/test_import_crash.py (not a test module).

``python import_worker.py '<json>'`` builds the platform from the given settings and runs one
import job to the end, printing a line per committed batch. The test kills it with SIGKILL.
"""

from __future__ import annotations

import json
import sys
import uuid
from datetime import datetime

from microcred.clock import FixedClock
from microcred.services.access import Principal, Role
from microcred.services.imports import ImportService
from microcred.services.platform import build_platform
from microcred.settings import load_settings


def main(arguments: dict[str, str]) -> int:
    settings = load_settings(
        home=arguments["home"],
        database_url=arguments["database_url"],
        base_url=arguments["base_url"],
        kek=arguments["kek"],
        default_cryptosuite=arguments["default_cryptosuite"],
        database_pool_size=2,
        database_max_overflow=2,
    )
    platform = build_platform(
        settings,
        clock=FixedClock(datetime.fromisoformat(arguments["now"])),
        allow_network=False,
        migrate_database=False,
    )
    try:
        issuer_id = uuid.UUID(arguments["issuer_id"])
        principal = Principal(
            user_id=uuid.UUID(arguments["user_id"]),
            label="registrar",
            roles={issuer_id: Role.REGISTRAR},
        )
        imports = ImportService.for_issuance(platform.uow, platform.issuance)

        def progress(done: int, total: int, failed: int) -> None:
            print(f"{done}/{total} {failed}", flush=True)

        info = imports.run_job(
            principal,
            issuer_id,
            uuid.UUID(arguments["job_id"]),
            worker_id=arguments["worker"],
            batch_size=int(arguments["batch_size"]),
            on_progress=progress,
        )
        print(f"state {info.state.value}", flush=True)
    finally:
        platform.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
