"""IssuanceService.issue_unsigned (the VC-API ``POST /credentials/issue``) and
list_credentials, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from issuance_testkit import (  # noqa: F401 - kit_fixture provides the fixture 'kit'
    Kit,
    kit_factory_fixture,
    kit_fixture,
)

from microcred.definition import compose_credential
from microcred.definition.samples import sample_achievement
from microcred.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from microcred.model import hash_email
from microcred.services._support import issuer_profile
from microcred.services.issuance import (
    CredentialCorrections,
    CredentialFilter,
    SigningOptions,
)
from microcred.storage import CredentialState


def _open_badge(kit: Kit, credential_id: str = "urn:uuid:5f1c0d4e-8c1b-4a55-9f3e-0d5d1b2c3a4b"):
    return compose_credential(
        sample_achievement(),
        hash_email("learner@student.example.org", salt="00ff"),
        issuer_profile(kit.issuer),
        credential_id=credential_id,
        valid_from=kit.clock.now(),
    )


def _plain(kit: Kit, **extra):
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "https://alpha.example.edu/credentials/3732",
        "type": ["VerifiableCredential"],
        "issuer": kit.issuer.did,
        "validFrom": "2026-03-01T00:00:00Z",
        "credentialSubject": {"id": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"},
    }
    credential.update(extra)
    return credential


def test_an_open_badge_composed_by_the_caller_is_signed_and_stored(kit: Kit) -> None:
    unsigned = _open_badge(kit)

    signed = kit.issuance.issue_unsigned(kit.registrar, kit.issuer.id, unsigned)

    doc = signed.document
    # nothing else changed but the platform's status entries (revocation and suspension)
    assert {k: v for k, v in doc.items() if k not in ("proof", "credentialStatus")} == unsigned
    assert [e["statusPurpose"] for e in doc["credentialStatus"]] == ["revocation", "suspension"]
    assert all(e["type"] == "BitstringStatusListEntry" for e in doc["credentialStatus"])
    assert doc["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert doc["proof"]["verificationMethod"] == f"{kit.issuer.did}#key-1"
    assert kit.verify(doc).verified
    assert signed.definition_version_id is None and signed.learner_id is None
    assert signed.claim_url is None and signed.state is CredentialState.ISSUED
    found = kit.issuance.get_credential_by_uri(kit.viewer, kit.issuer.id, unsigned["id"])
    assert found.id == signed.id and found.document == doc
    with kit.uow(read_only=True) as tx:
        assert tx.outbox.list_recent() == []
        [entry] = tx.audit.list_for_issuer(kit.issuer.id, action="credential.issue_unsigned")
    assert entry.details["cryptosuite"] == "eddsa-rdfc-2022"
    with pytest.raises(Conflict, match="already exists"):
        kit.issuance.issue_unsigned(kit.registrar, kit.issuer.id, unsigned)


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_a_plain_vc_is_signed_with_the_chosen_suite_and_created(kit: Kit, suite: str) -> None:
    created = kit.clock.now() - timedelta(hours=1)
    options = SigningOptions.from_json(
        {"cryptosuite": suite, "created": created.isoformat().replace("+00:00", "Z")}
    )

    signed = kit.issuance.issue_unsigned(kit.registrar, kit.issuer.id, _plain(kit), options)

    assert signed.document["proof"]["cryptosuite"] == suite
    assert signed.document["proof"]["created"] == "2026-03-01T08:00:00Z"
    assert signed.credential_uri == "https://alpha.example.edu/credentials/3732"
    assert kit.verify(signed.document).verified


def test_a_credential_without_id_gets_an_internal_reference(kit: Kit) -> None:
    unsigned = _plain(kit)
    del unsigned["id"]
    signed = kit.issuance.issue_unsigned(kit.registrar, kit.issuer.id, unsigned)
    assert "id" not in signed.document
    assert signed.credential_uri == f"urn:uuid:{signed.id}"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"issuer": "did:web:credentials.example.edu:issuers:beta"}, "this issuer's DID"),
        (
            {
                "@context": ["https://www.w3.org/2018/credentials/v1"],
                "issuanceDate": "2026-01-01T00:00:00Z",
            },
            "Data Model 2.0",
        ),
        ({"proof": {"type": "DataIntegrityProof"}}, "already has a proof"),
        ({"favouriteColour": "blue"}, "favouriteColour"),
        (
            {"@context": ["https://www.w3.org/ns/credentials/v2", "https://evil.example/ctx"]},
            "evil.example",
        ),
        ({"credentialSubject": None}, "not well-formed"),
        ({"type": ["FancyCredential"]}, "not well-formed"),
        ({"validUntil": "2026-02-01T00:00:00Z"}, "not well-formed|past"),
        ({"id": "urn:x:" + "a" * 300}, "200 characters"),
    ],
)
def test_bad_unsigned_credentials_are_invalid_input(kit: Kit, change: dict, message: str) -> None:
    unsigned = _plain(kit, **change)
    with pytest.raises(InvalidInput, match=message):
        kit.issuance.issue_unsigned(kit.registrar, kit.issuer.id, unsigned)
    with kit.uow(read_only=True) as tx:
        assert tx.credentials.list_for_issuer(kit.issuer.id) == []


def test_an_invalid_open_badge_and_bad_options_are_refused(kit: Kit) -> None:
    broken = _open_badge(kit)
    del broken["credentialSubject"]["achievement"]["criteria"]
    with pytest.raises(InvalidInput, match="criteria"):
        kit.issuance.issue_unsigned(kit.registrar, kit.issuer.id, broken)
    with pytest.raises(InvalidInput):
        SigningOptions.from_json({"cryptosuite": "Ed25519Signature2020"})
    with pytest.raises(InvalidInput):
        SigningOptions.from_json({"mandatoryPointers": ["/issuer"]})
    future = SigningOptions.from_json({"created": "2026-03-01T10:00:00Z"})
    with pytest.raises(InvalidInput, match="future"):
        kit.issuance.issue_unsigned(kit.registrar, kit.issuer.id, _plain(kit), future)
    with pytest.raises(InvalidInput, match="JSON object"):
        kit.issuance.issue_unsigned(kit.registrar, kit.issuer.id, ["not", "an", "object"])


def test_vc_api_access_and_no_reissue(kit: Kit) -> None:
    with pytest.raises(PermissionDenied):
        kit.issuance.issue_unsigned(kit.viewer, kit.issuer.id, _plain(kit))
    with pytest.raises(NotFound):
        kit.issuance.issue_unsigned(kit.other_admin, kit.issuer.id, _plain(kit))
    # another issuer signing a credential that names our DID: refused
    with pytest.raises(InvalidInput, match="this issuer's DID"):
        kit.issuance.issue_unsigned(kit.other_admin, kit.other_issuer.id, _plain(kit))
    signed = kit.issuance.issue_unsigned(kit.registrar, kit.issuer.id, _plain(kit))
    with pytest.raises(NotFound):
        kit.issuance.get_credential_by_uri(
            kit.other_admin, kit.other_issuer.id, signed.credential_uri
        )
    with pytest.raises(InvalidInput, match="VC-API"):
        kit.issuance.reissue(
            kit.registrar, kit.issuer.id, signed.id, CredentialCorrections(), "typo"
        )


# --------------------------------------------------------------------------- listing


def test_list_credentials_filters_and_pages(kit: Kit) -> None:
    first = kit.published("digital-content")
    second = kit.published("data-literacy", title="Data Literacy for Researchers")
    people = [
        ("Ana López", "ana@student.example.org", "s-1", first),
        ("Bo Berg", "bo@student.example.org", "s-2", first),
        ("Cleo_100%", "cleo@student.example.org", "s-3", second),
    ]
    issued = []
    for name, email, external, definition in people:
        issued.append(
            kit.issuance.issue(
                kit.registrar,
                kit.issuer.id,
                kit.request(
                    definition, learner={"name": name, "email": email, "externalId": external}
                ),
            )
        )
        kit.clock.advance(days=1)
    external = kit.issuance.issue_unsigned(kit.registrar, kit.issuer.id, _plain(kit))
    with kit.uow() as tx:
        tx.credentials.revoke(kit.issuer.id, issued[1].id, "withdrawn")
        tx.commit()
    kit.issuance.claim(issued[0].claim_url.rsplit("/", 1)[1])

    def ids(**filters) -> list:
        page = kit.issuance.list_credentials(
            kit.viewer, kit.issuer.id, CredentialFilter.from_json(filters)
        )
        return [item.id for item in page.items]

    everything = kit.issuance.list_credentials(kit.viewer, kit.issuer.id)
    assert everything.total == 4
    assert [i.id for i in everything.items] == [external.id, *[c.id for c in reversed(issued)]]
    newest = everything.items[1]
    assert (newest.learner_name, newest.definition_slug, newest.version) == (
        "Cleo_100%",
        "data-literacy",
        1,
    )
    assert newest.name == "Data Literacy for Researchers"
    assert everything.items[0].definition_id is None and everything.items[0].learner_name is None

    assert ids(definitionId=str(first.id)) == [issued[1].id, issued[0].id]
    assert ids(definitionId=str(first.id), version=1) == [issued[1].id, issued[0].id]
    assert ids(state="revoked") == [issued[1].id]
    assert ids(state="claimed") == [issued[0].id]
    assert ids(search="BERG") == [issued[1].id]
    assert ids(search="cleo@student") == [issued[2].id]
    assert ids(search="_100%") == [issued[2].id]  # LIKE wildcards are taken literally
    assert ids(search="%") == [issued[2].id]  # only the name that has a literal %
    assert ids(search="a%") == []
    assert ids(issuedFrom="2026-03-02T09:00:00Z", issuedBefore="2026-03-03T09:00:00Z") == [
        issued[1].id
    ]
    page = kit.issuance.list_credentials(kit.viewer, kit.issuer.id, limit=2, offset=2)
    assert page.total == 4 and [i.id for i in page.items] == [issued[1].id, issued[0].id]
    with pytest.raises(InvalidInput, match="definitionId"):
        CredentialFilter.from_json({"version": 1})
    with pytest.raises(InvalidInput):
        CredentialFilter.from_json({"state": "lost"})
    with pytest.raises(NotFound):
        kit.issuance.list_credentials(
            kit.viewer,
            kit.issuer.id,
            CredentialFilter.from_json({"definitionId": str(first.id), "version": 9}),
        )
    # another issuer's list is empty, ours is invisible to them
    assert kit.issuance.list_credentials(kit.other_admin, kit.other_issuer.id).total == 0
