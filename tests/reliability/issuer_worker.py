"""A process for tests/reliability/test_concurrent_issuers.py (not a test module).

``python issuer_worker.py '<json>'`` builds its own platform (own connection pool) on the given
database, waits until the file ``go`` exists (so all workers start together), then issues
``count`` credentials and revokes every ``revoke_every``-th one it issued, as the given
registrar/admin. Prints one JSON line: the ids issued and revoked.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from microcred.services.access import Principal, Role
from microcred.services.issuance import IssueRequest
from microcred.services.platform import build_platform
from microcred.settings import load_settings


def main(arguments: dict[str, Any]) -> int:
    settings = load_settings(
        home=arguments["home"],
        database_url=arguments["database_url"],
        base_url=arguments["base_url"],
        kek=arguments["kek"],
        default_cryptosuite="eddsa-jcs-2022",
        database_pool_size=2,
        database_max_overflow=0,
    )
    platform = build_platform(settings, allow_network=False, migrate_database=False)
    issuer_id = uuid.UUID(arguments["issuer_id"])
    principal = Principal(
        user_id=uuid.UUID(arguments["user_id"]), label="admin", roles={issuer_id: Role.ADMIN}
    )
    go = Path(arguments["go"])
    deadline = time.monotonic() + 120
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    worker = arguments["worker"]
    issued: list[str] = []
    revoked: list[str] = []
    try:
        for n in range(int(arguments["count"])):
            request = IssueRequest.from_json(
                {
                    "definitionId": arguments["definition_id"],
                    "learner": {
                        "name": f"Learner {worker}-{n}",
                        "email": f"l-{worker}-{n}@example.org",
                        "externalId": f"{worker}-{n}",
                    },
                }
            )
            credential = platform.issuance.issue(principal, issuer_id, request)
            issued.append(str(credential.id))
            if (n + 1) % int(arguments["revoke_every"]) == 0:
                platform.status.revoke(principal, issuer_id, credential.id, "concurrency test")
                revoked.append(str(credential.id))
    finally:
        platform.close()
    print(json.dumps({"issued": issued, "revoked": revoked}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
