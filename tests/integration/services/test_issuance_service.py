"""IssuanceService on SQLite and PostgreSQL: issuing from published versions, the stored
credential verifying with the real Verifier through the hosted DID, learners, idempotency (also
under a real race on PostgreSQL), access control, claiming and re-issuing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from issuance_testkit import (  # noqa: F401 - kit_fixture provides the fixture 'kit'
    BASE_URL,
    GRADE,
    Kit,
    kit_factory_fixture,
    kit_fixture,
)
from storage_helpers import START

from microcred.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from microcred.model import identity_matches
from microcred.services.access import Permission, Principal, Role
from microcred.services.definitions import DefinitionUpdate
from microcred.services.issuance import (
    CLAIM_PATH,
    CredentialCorrections,
    CredentialReplaced,
    IssueRequest,
    LearnerInput,
    claim_token_hash,
)
from microcred.storage import Credential, CredentialState


def _rows(kit: Kit) -> list[Credential]:
    with kit.uow(read_only=True) as tx:
        return tx.credentials.list_for_issuer(kit.issuer.id)


def _token(claim_url: str | None) -> str:
    assert claim_url is not None and claim_url.startswith(BASE_URL + CLAIM_PATH)
    return claim_url.rsplit("/", 1)[1]


class CountingSigners:
    """Wraps the issuers' signer provider and counts signatures."""

    def __init__(self, inner, barrier: threading.Barrier | None = None) -> None:
        self.inner = inner
        self.signatures = 0
        self.barrier = barrier
        self.lock = threading.Lock()

    @contextmanager
    def signer_for_issuer(self, issuer_id) -> Iterator[object]:
        with self.inner.signer_for_issuer(issuer_id) as signer:
            outer = self

            class _Counting:
                algorithm = signer.algorithm
                verification_method = signer.verification_method
                public_key_multibase = signer.public_key_multibase

                def sign(self, data: bytes) -> bytes:
                    with outer.lock:
                        outer.signatures += 1
                    if outer.barrier is not None:
                        outer.barrier.wait(timeout=20)
                    return signer.sign(data)

            yield _Counting()


# --------------------------------------------------------------------------- issuing


def test_issue_stores_a_signed_credential_that_verifies_through_the_hosted_did(kit: Kit) -> None:
    definition = kit.published()

    issued = kit.issuance.issue(kit.registrar, kit.issuer.id, kit.request(definition))

    doc = issued.document
    assert issued.state is CredentialState.ISSUED and not issued.replayed
    assert issued.credential_uri == doc["id"] and doc["id"].startswith("urn:uuid:")
    assert doc["validFrom"] == "2026-03-01T09:00:00Z" == START.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert doc["issuer"]["id"] == kit.issuer.did and doc["issuer"]["name"] == "Alpha University"
    assert doc["issuer"]["address"]["addressCountryCode"] == "IE"
    achievement = doc["credentialSubject"]["achievement"]
    assert achievement["id"] == f"{BASE_URL}/issuers/alpha/achievements/digital-content/v1"
    assert achievement["euStandardElements"]["eqfLevel"] == "http://data.europa.eu/snb/eqf/6"
    [identity] = doc["credentialSubject"]["identifier"]
    assert identity["identityType"] == "emailAddress" and identity["hashed"] is True
    from microcred.model import IdentityObject

    assert identity_matches(IdentityObject.from_json(identity), "Ana.Lopez@student.example.org")
    proof = doc["proof"]
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["verificationMethod"] == f"{kit.issuer.did}#key-1"
    assert proof["created"] == "2026-03-01T09:00:00Z"
    assert issued.definition_id == definition.id and issued.version == 1
    assert issued.definition_version_id == definition.latest.id

    report = kit.verify(doc)
    assert report.verified, [c.to_json() for c in report.checks if c.outcome == "failed"]
    # what is stored is exactly what was returned, and it verifies as stored
    [row] = _rows(kit)
    assert row.document == doc and row.id == issued.id
    assert row.claim_token_hash == claim_token_hash(_token(issued.claim_url))
    assert kit.verify(row.document).verified
    # the learner was created from the inline data
    learner = kit.issuance.get_learner(kit.viewer, kit.issuer.id, issued.learner_id)
    assert (learner.name, learner.external_id) == ("Ana López", "s-1001")
    with kit.uow(read_only=True) as tx:
        [entry] = tx.audit.list_for_issuer(kit.issuer.id, action="credential.issue")
    assert entry.actor_user_id == kit.registrar.user_id
    assert entry.details["credential"] == issued.credential_uri


def test_a_tampered_stored_credential_no_longer_verifies(kit: Kit) -> None:
    issued = kit.issuance.issue(kit.registrar, kit.issuer.id, kit.request(kit.published()))
    tampered = dict(issued.document)
    tampered["validFrom"] = "2020-01-01T00:00:00Z"
    assert not kit.verify(tampered).verified


def test_a_learner_with_a_did_is_named_by_it_and_results_are_carried(kit: Kit) -> None:
    definition = kit.published()
    did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    request = kit.request(
        definition,
        learner={"name": "Bo", "did": did},
        result=[{"type": ["Result"], "resultDescription": GRADE, "value": "Merit"}],
        validUntil="2031-03-01T00:00:00Z",
    )

    issued = kit.issuance.issue(kit.registrar, kit.issuer.id, request)

    subject = issued.document["credentialSubject"]
    assert subject["id"] == did and "identifier" not in subject
    assert subject["result"][0]["value"] == "Merit"
    assert issued.document["validUntil"] == "2031-03-01T00:00:00Z"
    assert kit.verify(issued.document).verified
    with kit.uow(read_only=True) as tx:  # no e-mail address: no claim mail
        assert tx.outbox.list_recent(issuer_id=kit.issuer.id) == []


def test_the_configured_default_suite_signs(kit_factory) -> None:
    jcs = kit_factory(settings={"default_cryptosuite": "eddsa-jcs-2022"})
    issued = jcs.issuance.issue(jcs.registrar, jcs.issuer.id, jcs.request(jcs.published()))
    assert issued.document["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    assert jcs.verify(issued.document).verified


def test_only_published_versions_are_issued(kit: Kit) -> None:
    definition = kit.published()
    changed = definition.latest.achievement.to_json()
    changed["description"] = "Second edition."
    kit.definitions.update_draft(
        kit.designer,
        kit.issuer.id,
        definition.id,
        DefinitionUpdate.from_json({"achievement": changed}),
    )
    with pytest.raises(Conflict, match="version 2 is draft"):
        kit.issuance.issue(kit.registrar, kit.issuer.id, kit.request(definition, version=2))
    # by default the newest *published* version is used, and credentials point at it
    issued = kit.issuance.issue(kit.registrar, kit.issuer.id, kit.request(definition))
    assert issued.version == 1

    kit.definitions.retire(kit.admin, kit.issuer.id, definition.id)
    with pytest.raises(Conflict, match="no published version"):
        kit.issuance.issue(kit.registrar, kit.issuer.id, kit.request(definition))
    with pytest.raises(Conflict, match="version 1 is retired"):
        kit.issuance.issue(kit.registrar, kit.issuer.id, kit.request(definition, version=1))
    # the credential already issued still verifies and still names version 1
    assert kit.verify(issued.document).verified
    stored = kit.issuance.get_credential(kit.viewer, kit.issuer.id, issued.id)
    assert stored.version == 1 and stored.definition_version_id == definition.latest.id


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"validUntil": "2026-02-01T00:00:00Z"}, "validUntil is earlier than validFrom"),
        (
            {"result": [{"type": ["Result"], "resultDescription": "https://x.example/r"}]},
            "resultDescription",
        ),
        ({"learner": {"name": "No Contact", "externalId": "s-9"}}, "neither a DID nor an e-mail"),
    ],
)
def test_bad_requests_are_refused_and_nothing_is_stored(
    kit: Kit, fields: dict, message: str
) -> None:
    definition = kit.published()
    with pytest.raises(InvalidInput, match=message):
        kit.issuance.issue(kit.registrar, kit.issuer.id, kit.request(definition, **fields))
    assert _rows(kit) == []
    with kit.uow(read_only=True) as tx:
        assert tx.outbox.list_recent() == []
        assert tx.learners.count_for_issuer(kit.issuer.id) == 0


def test_request_models_are_strict() -> None:
    base = {"definitionId": "0b7c5b36-30a7-4d77-9c7a-2b1c4c8d2a11", "learnerId": None}
    with pytest.raises(InvalidInput, match="exactly one"):
        IssueRequest.from_json(base)
    with pytest.raises(InvalidInput, match="definitionId"):
        IssueRequest.from_json({"definitionId": "nope", "learner": {"name": "A"}})
    with pytest.raises(InvalidInput, match="timezone"):
        IssueRequest.from_json(
            {
                "definitionId": base["definitionId"],
                "learner": {"name": "A", "email": "a@b.example"},
                "validUntil": "2030-01-01T00:00:00",
            }
        )
    with pytest.raises(InvalidInput, match="date-time"):
        IssueRequest.from_json(
            {
                "definitionId": base["definitionId"],
                "learner": {"name": "A", "email": "a@b.example"},
                "validUntil": 1900000000,
            }
        )
    with pytest.raises(InvalidInput, match="idempotencyKey"):
        IssueRequest.from_json(
            {
                "definitionId": base["definitionId"],
                "learnerId": base["definitionId"],
                "idempotencyKey": "has spaces",
            }
        )
    with pytest.raises(InvalidInput, match="line breaks"):
        IssueRequest.from_json(
            {"definitionId": base["definitionId"], "learner": {"name": "A\r\nBcc: x@y.z"}}
        )


# --------------------------------------------------------------------------- learners


def test_learners_are_upserted_by_external_id(kit: Kit) -> None:
    first = kit.issuance.upsert_learner(
        kit.registrar, kit.issuer.id, kit.learner(externalId="s-7", email="old@example.org")
    )
    second = kit.issuance.upsert_learner(
        kit.registrar,
        kit.issuer.id,
        kit.learner(externalId="s-7", name="Ana López García", email="new@example.org"),
    )
    assert second.id == first.id
    assert (second.name, second.email) == ("Ana López García", "new@example.org")
    # fields left out keep their value
    third = kit.issuance.upsert_learner(
        kit.registrar, kit.issuer.id, LearnerInput.from_json({"name": "Ana", "externalId": "s-7"})
    )
    assert third.email == "new@example.org"
    # without an external id a new learner is always created
    other = kit.issuance.upsert_learner(kit.registrar, kit.issuer.id, kit.learner())
    assert other.id != first.id
    found = kit.issuance.list_learners(kit.viewer, kit.issuer.id, search="S-7")
    assert [learner.id for learner in found] == [first.id]
    with pytest.raises(PermissionDenied):
        kit.issuance.upsert_learner(kit.viewer, kit.issuer.id, kit.learner())
    with pytest.raises(NotFound):
        kit.issuance.get_learner(kit.other_admin, kit.other_issuer.id, first.id)


def test_issue_to_an_existing_learner_by_id(kit: Kit) -> None:
    learner = kit.issuance.upsert_learner(kit.registrar, kit.issuer.id, kit.learner())
    request = IssueRequest.from_json(
        {"definitionId": str(kit.published().id), "learnerId": str(learner.id)}
    )
    issued = kit.issuance.issue(kit.registrar, kit.issuer.id, request)
    assert issued.learner_id == learner.id
    other_learner = kit.issuance.upsert_learner(kit.other_admin, kit.other_issuer.id, kit.learner())
    foreign = IssueRequest.from_json(
        {"definitionId": str(request.definition_id), "learnerId": str(other_learner.id)}
    )
    with pytest.raises(NotFound):
        kit.issuance.issue(kit.registrar, kit.issuer.id, foreign)


# --------------------------------------------------------------------------- idempotency


def test_the_same_key_twice_returns_the_stored_credential_without_signing_again(
    kit: Kit,
) -> None:
    definition = kit.published()
    counting = CountingSigners(kit.issuance._signers)
    kit.issuance._signers = counting
    request = kit.request(definition, idempotencyKey="enrol-2026-s1001")

    first = kit.issuance.issue(kit.registrar, kit.issuer.id, request)
    signed_once = counting.signatures
    kit.clock.advance(minutes=5)
    second = kit.issuance.issue(kit.registrar, kit.issuer.id, request)

    assert signed_once >= 1 and counting.signatures == signed_once
    assert second.replayed and not first.replayed
    assert second.id == first.id and second.document == first.document
    assert second.claim_url is None  # the secret link is shown once
    assert len(_rows(kit)) == 1
    with kit.uow(read_only=True) as tx:
        assert len(tx.outbox.list_recent()) == 1
        assert len(tx.audit.list_for_issuer(kit.issuer.id, action="credential.issue")) == 1


def test_the_same_key_with_a_different_request_is_a_conflict(kit: Kit) -> None:
    definition = kit.published()
    kit.issuance.issue(kit.registrar, kit.issuer.id, kit.request(definition, idempotencyKey="k-1"))
    different = kit.request(
        definition,
        idempotencyKey="k-1",
        result=[{"type": ["Result"], "resultDescription": GRADE, "value": "Pass"}],
    )
    with pytest.raises(Conflict, match="different request"):
        kit.issuance.issue(kit.registrar, kit.issuer.id, different)
    assert len(_rows(kit)) == 1
    # keys are per issuer: another issuer may use the same key
    theirs = kit.published(other=True)
    stored = kit.issuance.issue(
        kit.other_admin, kit.other_issuer.id, kit.request(theirs, idempotencyKey="k-1")
    )
    assert stored.issuer_id == kit.other_issuer.id and not stored.replayed


def test_concurrent_identical_requests_store_one_credential(backend: str, kit_factory) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE): the two cannot overlap")
    race = kit_factory(settings={"database_pool_size": 6})
    learner = race.issuance.upsert_learner(race.registrar, race.issuer.id, race.learner())
    definition = race.published()
    # the issuer's first credential opens its status lists; opened before the race, so that
    # neither request waits on the other's uncommitted list while the barrier holds it
    race.issuance.issue(race.registrar, race.issuer.id, race.request(definition))
    request = IssueRequest.from_json(
        {
            "definitionId": str(definition.id),
            "learnerId": str(learner.id),
            "idempotencyKey": "retry-storm",
        }
    )
    # both requests pass the key lookup, then meet inside signing: a true race
    counting = CountingSigners(race.issuance._signers, threading.Barrier(2))
    race.issuance._signers = counting
    results: list[object] = []
    errors: list[BaseException] = []

    def attempt() -> None:
        try:
            results.append(race.issuance.issue(race.registrar, race.issuer.id, request))
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(results) == 2
    assert len({r.id for r in results}) == 1
    assert sorted(r.replayed for r in results) == [False, True]
    assert counting.signatures >= 2  # both really signed ...
    with race.uow(read_only=True) as tx:  # ... but only one credential, one mail, one audit
        # (besides the one issued before the race)
        assert len(tx.credentials.list_for_issuer(race.issuer.id)) == 2
        assert len(tx.outbox.list_recent()) == 2
        assert len(tx.audit.list_for_issuer(race.issuer.id, action="credential.issue")) == 2


# --------------------------------------------------------------------------- access


def test_access_other_issuers_get_not_found_and_roles_are_enforced(kit: Kit) -> None:
    definition = kit.published()
    issued = kit.issuance.issue(kit.registrar, kit.issuer.id, kit.request(definition))
    outsider = kit.other_admin

    for call in (
        lambda: kit.issuance.issue(outsider, kit.issuer.id, kit.request(definition)),
        lambda: kit.issuance.get_credential(outsider, kit.issuer.id, issued.id),
        lambda: kit.issuance.list_credentials(outsider, kit.issuer.id),
        lambda: kit.issuance.reissue(
            outsider, kit.issuer.id, issued.id, CredentialCorrections(), "typo"
        ),
        lambda: kit.issuance.list_learners(outsider, kit.issuer.id),
    ):
        with pytest.raises(NotFound):
            call()
    # their own issuer id with our ids: not found
    with pytest.raises(NotFound):
        kit.issuance.get_credential(outsider, kit.other_issuer.id, issued.id)
    with pytest.raises(NotFound):
        kit.issuance.issue(outsider, kit.other_issuer.id, kit.request(definition))
    with pytest.raises(NotFound):
        kit.issuance.reissue(
            outsider, kit.other_issuer.id, issued.id, CredentialCorrections(), "typo"
        )

    for role in (Role.VIEWER, Role.DESIGNER):
        with pytest.raises(PermissionDenied, match="credential:issue"):
            kit.issuance.issue(kit.principal(role), kit.issuer.id, kit.request(definition))
    assert kit.issuance.get_credential(kit.viewer, kit.issuer.id, issued.id).id == issued.id
    # an API token scoped to issuing only may not create learners on the way
    token = Principal(
        user_id=kit.registrar.user_id,
        label="token",
        roles={kit.issuer.id: Role.REGISTRAR},
        scopes=frozenset({Permission.CREDENTIAL_ISSUE, Permission.CREDENTIAL_READ}),
    )
    with pytest.raises(PermissionDenied, match="learner:write"):
        kit.issuance.issue(token, kit.issuer.id, kit.request(definition))
    assert len(_rows(kit)) == 1


# --------------------------------------------------------------------------- claiming


def test_claim_marks_the_credential_claimed_once(kit: Kit) -> None:
    issued = kit.issuance.issue(kit.registrar, kit.issuer.id, kit.request(kit.published()))
    token = _token(issued.claim_url)
    kit.clock.advance(hours=2)

    claimed = kit.issuance.claim(token)
    again = kit.issuance.claim(token)

    assert claimed.id == issued.id and claimed.state is CredentialState.CLAIMED
    assert claimed.claimed_at == kit.clock.now() == again.claimed_at
    assert claimed.document == issued.document
    with kit.uow(read_only=True) as tx:
        [entry] = tx.audit.list_for_issuer(kit.issuer.id, action="credential.claim")
    assert entry.actor_user_id is None
    for bad in ("", "x" * 43, token[:-1] + ("A" if token[-1] != "A" else "B"), "../../etc"):
        with pytest.raises(NotFound):
            kit.issuance.claim(bad)


def test_a_revoked_credential_cannot_be_claimed(kit: Kit) -> None:
    issued = kit.issuance.issue(kit.registrar, kit.issuer.id, kit.request(kit.published()))
    with kit.uow() as tx:
        tx.credentials.revoke(kit.issuer.id, issued.id, "issued by mistake")
        tx.commit()
    with pytest.raises(Conflict, match="revoked"):
        kit.issuance.claim(_token(issued.claim_url))


# --------------------------------------------------------------------------- re-issuing


def test_reissue_corrects_links_and_calls_the_hook_in_the_same_transaction(kit_factory) -> None:
    events: list[tuple[CredentialReplaced, bool]] = []

    def on_replaced(tx, event: CredentialReplaced) -> None:
        # runs inside the re-issuing transaction: the new row is visible, the link is set
        old = tx.credentials.get(event.issuer_id, event.old_id)
        events.append((event, old.replaced_by_id == event.new_id))

    kit = kit_factory(on_replaced=on_replaced)
    definition = kit.published()
    old = kit.issuance.issue(
        kit.registrar,
        kit.issuer.id,
        kit.request(
            definition,
            learner={"name": "Ana Lopes", "email": "ana@student.example.org", "externalId": "s-1"},
            result=[{"type": ["Result"], "resultDescription": GRADE, "value": "Pass"}],
            validUntil="2030-01-01T00:00:00Z",
        ),
    )
    kit.clock.advance(days=3)
    corrections = CredentialCorrections.from_json(
        {
            "learner": {"name": "Ana López"},
            "result": [{"type": ["Result"], "resultDescription": GRADE, "value": "Merit"}],
        }
    )

    new = kit.issuance.reissue(
        kit.registrar, kit.issuer.id, old.id, corrections, "grade corrected by the exam board"
    )

    assert new.id != old.id and new.credential_uri != old.credential_uri
    assert new.document["credentialSubject"]["result"][0]["value"] == "Merit"
    assert new.document["validUntil"] == "2030-01-01T00:00:00Z"  # kept from the old one
    assert new.document["validFrom"] == "2026-03-04T09:00:00Z"
    assert new.learner_id == old.learner_id and new.version == 1
    assert kit.verify(new.document).verified
    stored_old = kit.issuance.get_credential(kit.viewer, kit.issuer.id, old.id)
    assert stored_old.replaced_by_id == new.id
    assert stored_old.document == old.document  # the old credential itself is untouched
    learner = kit.issuance.get_learner(kit.viewer, kit.issuer.id, old.learner_id)
    assert learner.name == "Ana López"
    [(event, linked)] = events
    assert linked and event.old_id == old.id and event.new_id == new.id
    assert event.reason == "grade corrected by the exam board"
    with kit.uow(read_only=True) as tx:
        [entry] = tx.audit.list_for_issuer(kit.issuer.id, action="credential.reissue")
        mails = tx.outbox.list_recent(issuer_id=kit.issuer.id)
    assert entry.details["replaced_by"] == str(new.id)
    assert mails[0].subject.startswith("Corrected: your micro-credential")
    assert "Ana López" in mails[0].body_text
    # the old, unclaimed link now says where to go
    with pytest.raises(Conflict, match="replaced"):
        kit.issuance.claim(_token(old.claim_url))
    assert kit.issuance.claim(_token(new.claim_url)).state is CredentialState.CLAIMED
    # a replaced credential is not corrected twice
    with pytest.raises(Conflict, match="already replaced"):
        kit.issuance.reissue(kit.registrar, kit.issuer.id, old.id, corrections, "again")


def test_reissue_can_remove_fields_and_needs_a_reason(kit: Kit) -> None:
    old = kit.issuance.issue(
        kit.registrar,
        kit.issuer.id,
        kit.request(
            kit.published(),
            result=[{"type": ["Result"], "resultDescription": GRADE, "value": "Pass"}],
        ),
    )
    with pytest.raises(InvalidInput, match="reason"):
        kit.issuance.reissue(kit.registrar, kit.issuer.id, old.id, CredentialCorrections(), " ")
    new = kit.issuance.reissue(
        kit.registrar,
        kit.issuer.id,
        old.id,
        CredentialCorrections.from_json({"result": None}),
        "the grade is not to be shown",
    )
    assert "result" not in new.document["credentialSubject"]
    with pytest.raises(PermissionDenied):
        kit.issuance.reissue(kit.viewer, kit.issuer.id, new.id, CredentialCorrections(), "x")


def test_reissue_is_idempotent_with_a_key(kit: Kit) -> None:
    old = kit.issuance.issue(kit.registrar, kit.issuer.id, kit.request(kit.published()))
    corrections = CredentialCorrections.from_json({"idempotencyKey": "fix-1"})
    first = kit.issuance.reissue(kit.registrar, kit.issuer.id, old.id, corrections, "typo")
    again = kit.issuance.reissue(kit.registrar, kit.issuer.id, old.id, corrections, "typo")
    assert again.id == first.id and again.replayed
    with pytest.raises(Conflict, match="different request"):
        kit.issuance.reissue(kit.registrar, kit.issuer.id, old.id, corrections, "other reason")


# ------------------------------------------------------------ inside a caller's transaction


def test_issue_in_shares_the_callers_transaction(kit: Kit) -> None:
    definition = kit.published()
    good = kit.request(definition, idempotencyKey="import:job:1")
    bad = kit.request(definition, validUntil="2020-01-01T00:00:00Z")

    with kit.uow() as tx:
        issued = kit.issuance.issue_in(tx, kit.registrar, kit.issuer.id, good)
        with pytest.raises(InvalidInput), tx.session.begin_nested():
            kit.issuance.issue_in(tx, kit.registrar, kit.issuer.id, bad)
        # not committed: leaving the block rolls back
    assert _rows(kit) == []

    with kit.uow() as tx:
        issued = kit.issuance.issue_in(tx, kit.registrar, kit.issuer.id, good)
        tx.commit()
    [row] = _rows(kit)
    assert row.id == issued.id and kit.verify(row.document).verified
    with kit.uow() as tx:  # the import's rerun: the same key gives the stored credential
        again = kit.issuance.issue_in(tx, kit.registrar, kit.issuer.id, good)
    assert again.replayed and again.id == issued.id
    with kit.uow() as tx, pytest.raises(PermissionDenied):
        kit.issuance.issue_in(tx, kit.viewer, kit.issuer.id, good)
