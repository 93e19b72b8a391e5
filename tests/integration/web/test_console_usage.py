"""The dashboard's shared and verified counts (``UsageService``), on SQLite and PostgreSQL.

Verifications on the public verifier, the VC-API verify endpoints and public credential pages
are counted per credential and day (buffered, then written in one transaction); shares are the
credentials whose public page is on.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from console_testkit import api_testkit, console_world, csrf, sign_in
from sqlalchemy import select

from microcred.services.access import Role
from microcred.services.sharing import SharingService, WalletIdentity
from microcred.services.usage import UsageService, verified_credential_ids
from microcred.storage.web_tables import VerificationCount

Api = api_testkit.Api
StepClock = api_testkit.StepClock


@pytest.fixture
def world(database_url: str, tmp_path: Path, clock: StepClock) -> Iterator[Api]:
    for made in console_world(database_url, tmp_path / "home", clock):
        # No background flush in the middle of a test: on a loaded machine a few requests can
        # take longer than the default interval, and the counts would leave the buffer early.
        quiet = UsageService(made.platform.uow, made.platform.clock, flush_interval=3600.0)
        object.__setattr__(made.platform, "usage", quiet)
        yield made


def _document(world: Api, tenant: api_testkit.Tenant) -> dict[str, object]:
    principal = tenant.principals[Role.ADMIN]
    found = world.platform.issuance.get_credential(principal, tenant.id, tenant.credential_id)
    return dict(found.document)


def _counts(world: Api) -> dict[uuid.UUID, int]:
    with world.platform.uow(read_only=True) as tx:
        rows = tx.session.scalars(select(VerificationCount)).all()
    found: dict[uuid.UUID, int] = {}
    for row in rows:
        found[row.credential_id] = found.get(row.credential_id, 0) + row.count
    return found


def _dashboard_cells(html: str) -> dict[str, str]:
    """The totals on the dashboard: measure → number."""
    return {
        name: number
        for number, name in re.findall(r'<span class="console-total">(\d+)</span> (\w+)</li>', html)
    }


def test_verifications_are_counted_per_credential_only_after_a_flush(world: Api) -> None:
    usage = world.platform.usage
    document = _document(world, world.a)
    for _ in range(3):
        answer = world.client.post("/credentials/verify", json={"verifiableCredential": document})
        assert answer.status_code == 200, answer.text
    # the verify path wrote nothing: the counts wait in the buffer
    assert usage.pending() == 3
    assert _counts(world) == {}
    assert usage.flush() == 3
    assert _counts(world) == {world.a.credential_id: 3}
    assert usage.pending() == 0


def test_presentations_count_each_credential_inside_and_foreign_ids_are_dropped(
    world: Api,
) -> None:
    a_doc, b_doc = _document(world, world.a), _document(world, world.b)
    foreign = dict(a_doc, id=f"urn:uuid:{uuid.uuid4()}")
    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [a_doc, b_doc, foreign],
    }
    answer = world.client.post(
        "/presentations/verify", json={"verifiablePresentation": presentation}
    )
    assert answer.status_code in (200, 400), answer.text
    assert world.platform.usage.flush() == 2  # the foreign id is not ours: not written
    assert _counts(world) == {world.a.credential_id: 1, world.b.credential_id: 1}


def test_verifier_page_and_public_page_count_and_dashboard_shows_shared_and_verified(
    world: Api,
) -> None:
    document = _document(world, world.a)
    # the public verifier page, pasted JSON
    visitor = world.new_client()
    form = visitor.get("/verify")
    checked = visitor.post(
        "/verify",
        data={"csrf_token": csrf(form.text), "source": "paste",
              "credential_json": json.dumps(document)},
    )  # fmt: skip
    assert checked.status_code == 200, checked.text
    # the learner shares it; each view of the public page is a verification
    sharing = SharingService(
        world.platform.uow, world.platform.issuance, base_url=api_testkit.BASE_URL
    )
    wallet = WalletIdentity(
        learner_id=world.a.learner_id,
        issuer_id=world.a.id,
        learner_name="Learner",
        issuer_name="Alpha University",
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )
    share = sharing.set_sharing(wallet, world.a.credential_id, True)
    share_id = share.url.rsplit("/", 1)[-1]
    for _ in range(2):
        assert visitor.get(f"/c/{share_id}").status_code == 200
    # the wallet's own page is not someone else's check: not counted
    client = sign_in(world, api_testkit.email_for(Role.VIEWER, "alpha"))
    page = client.get("/console/alpha")
    assert page.status_code == 200
    totals = _dashboard_cells(page.text)
    assert totals["verified"] == "3"
    assert totals["shared"] == "1"
    assert totals["issued"] == "1"
    assert 'id="chart-verified"' in page.text and 'id="chart-shared"' in page.text
    assert "Verified (checks by others): 3" in page.text
    assert "Shared (public page turned on): 1" in page.text
    # per definition: the row of alpha's definition carries them too
    row = page.text[page.text.index(str(world.a.definition_id)) :]
    row = row[: row.index("</tr>")]
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["1", "0", "1", "3", "0", "0"]
    # another issuer's dashboard sees none of it
    beta = sign_in(world, api_testkit.email_for(Role.VIEWER, "beta"))
    other = _dashboard_cells(beta.get("/console/beta").text)
    assert other["verified"] == "0" and other["shared"] == "0"


def test_buffer_is_bounded_and_flushes_in_the_background(world: Api) -> None:
    usage = UsageService(world.platform.uow, world.platform.clock, max_pending=2)
    for n in range(5):
        usage.record_verification({"id": f"urn:uuid:{n}", "type": ["VerifiableCredential"]})
    assert usage.pending() == 2  # three ids were over the cap
    usage.record_verification({"id": "urn:uuid:0"})  # a known id still counts
    assert usage.pending() == 3
    usage.record_verification("not a credential")
    usage.record_verification({"type": ["VerifiableCredential"]})
    assert usage.pending() == 3
    background = UsageService(world.platform.uow, world.platform.clock, flush_interval=0.0)
    document = _document(world, world.a)
    background.record_verification(document)
    for _ in range(200):  # the flush thread takes the buffer at once
        if background.pending() == 0:
            break
        time.sleep(0.01)
    assert background.pending() == 0
    background.flush()
    assert _counts(world) == {world.a.credential_id: 1}


def test_verified_credential_ids() -> None:
    assert verified_credential_ids({"id": "urn:x"}) == ["urn:x"]
    assert verified_credential_ids({"id": "x" * 201}) == []
    assert verified_credential_ids([1]) == []
    vp = {"type": "VerifiablePresentation", "verifiableCredential": {"id": "urn:a"}}
    assert verified_credential_ids(vp) == ["urn:a"]
