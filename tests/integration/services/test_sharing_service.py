"""SharingService on SQLite and PostgreSQL: wallet sessions from claim links, share links on
and off, the public lookup, tenancy (a session sees only its learner's credentials) and the
unsigned presentation verifying with the platform's verifier."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from issuance_testkit import (  # noqa: F401 - kit_fixture provides the fixture 'kit'
    BASE_URL,
    Kit,
    kit_factory_fixture,
    kit_fixture,
)
from sqlalchemy import text

from microcred.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from microcred.services.issuance import IssuedCredential
from microcred.services.sharing import (
    SHARE_ID_PATTERN,
    SharingService,
    WalletIdentity,
)
from microcred.storage import CredentialState


def sharing(kit: Kit, **options: object) -> SharingService:
    return SharingService(kit.uow, kit.issuance, base_url=BASE_URL, **options)  # type: ignore[arg-type]


def token(issued: IssuedCredential) -> str:
    assert issued.claim_url is not None
    return issued.claim_url.rsplit("/", 1)[1]


_DEFINITIONS: dict[int, object] = {}


def issue(kit: Kit, external_id: str = "s-1001", name: str = "Ana López") -> IssuedCredential:
    definition = _DEFINITIONS.get(id(kit))
    if definition is None:
        definition = _DEFINITIONS[id(kit)] = kit.published()
    request = kit.request(
        definition,
        learner={"name": name, "email": f"{external_id}@x.org", "externalId": external_id},
    )
    return kit.issuance.issue(kit.registrar, kit.issuer.id, request)


def test_a_claim_link_opens_the_learners_wallet(kit: Kit) -> None:
    service = sharing(kit)
    issued = issue(kit)
    preview = service.preview_claim(token(issued))
    assert preview.title == "Digital Content Creation for Research Communication"
    assert preview.issuer_name == "Alpha University" and preview.learner_name == "Ana López"
    assert not preview.claimed and preview.problem is None
    assert preview.state is CredentialState.ISSUED  # previewing claims nothing

    session = service.open_wallet(token(issued))
    assert "secret" not in repr(session)
    assert session.credential_id == issued.id
    assert session.identity.expires_at == kit.clock.now() + timedelta(days=14)

    wallet = service.wallet(session.secret)
    assert wallet.learner_name == "Ana López" and wallet.issuer_id == kit.issuer.id
    [mine] = service.credentials(wallet)
    assert mine.id == issued.id and mine.state is CredentialState.CLAIMED
    assert mine.share.share_id is None and not mine.share.shared

    # the stored secret is a hash; the session ends on sign-out and on expiry
    with kit.uow(read_only=True) as tx:
        hashes = list(tx.session.scalars(text("SELECT id_hash FROM wallet_sessions")))
    assert session.secret not in hashes and len(hashes) == 1
    assert service.close_wallet(session.secret)
    with pytest.raises(Unauthenticated):
        service.wallet(session.secret)
    again = service.open_wallet(token(issued))
    kit.clock.advance(days=15)
    with pytest.raises(Unauthenticated):
        service.wallet(again.secret)


@pytest.mark.parametrize("bad", ["", "short", "x" * 200, "../../etc/passwd", "a" * 43])
def test_unknown_secrets_and_links(kit: Kit, bad: str) -> None:
    service = sharing(kit)
    with pytest.raises(Unauthenticated):
        service.wallet(bad)
    with pytest.raises(NotFound):
        service.preview_claim(bad)
    with pytest.raises(NotFound):
        service.open_wallet(bad)
    assert not service.close_wallet(bad)
    with pytest.raises(NotFound):
        service.shared_credential(bad)


def test_sharing_on_and_off(kit: Kit) -> None:
    service = sharing(kit)
    issued = issue(kit)
    wallet = service.wallet(service.open_wallet(token(issued)).secret)

    link = service.share_link(wallet, issued.id)  # an address, not yet public
    assert link.share_id is not None and SHARE_ID_PATTERN.match(link.share_id)
    assert link.url == f"{BASE_URL}/c/{link.share_id}" and not link.shared
    with pytest.raises(NotFound):
        service.shared_credential(link.share_id)

    on = service.set_sharing(wallet, issued.id, True)
    assert on.shared and on.share_id == link.share_id and on.shared_at == kit.clock.now()
    public = service.shared_credential(link.share_id)
    assert public.credential.id == issued.id and public.url == link.url
    assert public.credential.learner_name == "Ana López"
    assert kit.verify(public.credential.document).verified

    assert service.set_sharing(wallet, issued.id, True).shared_at == on.shared_at  # idempotent
    off = service.set_sharing(wallet, issued.id, False)
    assert not off.shared and off.share_id == link.share_id
    with pytest.raises(NotFound):
        service.shared_credential(link.share_id)
    # stable: on again, same address
    assert service.set_sharing(wallet, issued.id, True).url == link.url

    with kit.uow(read_only=True) as tx:
        actions = [e.action for e in tx.audit.list_for_issuer(kit.issuer.id)]
    assert actions.count("credential.share") == 2 and actions.count("credential.unshare") == 1


def test_a_wallet_sees_only_its_learners_credentials(kit: Kit) -> None:
    service = sharing(kit)
    ana = issue(kit, "s-1")
    bob = issue(kit, "s-2", "Bob")
    other_definition = kit.published("other", other=True)
    elsewhere = kit.issuance.issue(
        kit.other_admin,
        kit.other_issuer.id,
        kit.request(
            other_definition,
            learner={"name": "Ana López", "email": "s-1@x.org", "externalId": "s-1"},
        ),
    )
    wallet = service.wallet(service.open_wallet(token(ana)).secret)
    assert [c.id for c in service.credentials(wallet)] == [ana.id]
    for foreign in (bob.id, elsewhere.id, uuid.uuid4()):
        with pytest.raises(NotFound):
            service.credential(wallet, foreign)
        with pytest.raises(NotFound):
            service.set_sharing(wallet, foreign, True)
        with pytest.raises(NotFound):
            service.share_link(wallet, foreign)
        with pytest.raises(NotFound):
            service.presentation(wallet, [ana.id, foreign])
    forged = WalletIdentity(
        learner_id=wallet.learner_id,
        issuer_id=kit.other_issuer.id,
        learner_name="x",
        issuer_name="y",
        expires_at=wallet.expires_at,
    )
    with pytest.raises(NotFound):
        service.credential(forged, elsewhere.id)


def test_revoked_and_replaced_credentials(kit: Kit) -> None:
    service = sharing(kit)
    issued = issue(kit)
    wallet = service.wallet(service.open_wallet(token(issued)).secret)
    service.set_sharing(wallet, issued.id, True)
    kit.platform.status.revoke(kit.admin, kit.issuer.id, issued.id, "awarded in error")
    with pytest.raises(Conflict, match="revoked"):
        service.set_sharing(wallet, issued.id, True)
    # still on its page (with a failing verdict), until the learner withdraws it
    shared = service.shared_credential(service.credential(wallet, issued.id).share.share_id or "")
    assert shared.credential.state is CredentialState.REVOKED
    assert not kit.verify(shared.credential.document).verified
    assert not service.set_sharing(wallet, issued.id, False).shared
    with pytest.raises(Conflict):
        service.open_wallet(token(issued))
    assert service.preview_claim(token(issued)).problem == "The issuer has revoked this credential."


def test_presentation_of_several_credentials_verifies(kit: Kit) -> None:
    service = sharing(kit)
    first = issue(kit)
    second = kit.issuance.issue(
        kit.registrar,
        kit.issuer.id,
        kit.request(
            kit.published("second-course"), learner={"name": "Ana", "externalId": "s-1001"}
        ),
    )
    wallet = service.wallet(service.open_wallet(token(first)).secret)
    presentation = service.presentation(wallet, [second.id, first.id, second.id])
    assert presentation["type"] == ["VerifiablePresentation"]
    assert [c["id"] for c in presentation["verifiableCredential"]] == [
        second.credential_uri,
        first.credential_uri,
    ]
    report = kit.engine.verifier.verify_presentation(presentation)
    assert report.verified, report.failures
    assert "presentation.proof" in {c.code for c in report.warnings}  # unsigned, said so
    with pytest.raises(InvalidInput):
        service.presentation(wallet, [])
    with pytest.raises(InvalidInput):
        service.presentation(wallet, [uuid.uuid4() for _ in range(51)])
