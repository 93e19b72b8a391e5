"""Audit log actions in plain words, for the console's pages.

Each action code (``credential.revoke``) has a subject and what happened to it (``Credential``,
``revoked``). The dashboard's "Recent activity" shows both (:func:`activity_words`: "Credential
revoked"); a credential's own history shows only what happened (:func:`history_words`:
"revoked"), since the page is about that credential. The code itself stays on the page, small,
for whoever searches the log for it.
"""

from __future__ import annotations

from typing import Final

__all__ = ["activity_words", "history_words"]

_CREDENTIAL: Final = "Credential"

#: action code -> (subject, what happened to it)
_WORDS: Final[dict[str, tuple[str, str]]] = {
    "anchor.batch_published": ("Anchoring batch", "published"),
    "anchor.batch_reanchored": ("Anchoring batch", "anchored again"),
    "anchor.batch_sealed": ("Anchoring batch", "sealed"),
    "clr.export": ("Learner record (CLR)", "exported"),
    "credential.claim": (_CREDENTIAL, "claimed by the learner"),
    "credential.issue": (_CREDENTIAL, "issued"),
    "credential.issue_unsigned": (_CREDENTIAL, "signed through the VC-API"),
    "credential.reinstate": (_CREDENTIAL, "reinstated"),
    "credential.reissue": (_CREDENTIAL, "re-issued with corrections"),
    "credential.revoke": (_CREDENTIAL, "revoked"),
    "credential.share": (_CREDENTIAL, "public page turned on by the learner"),
    "credential.suspend": (_CREDENTIAL, "suspended"),
    "credential.unshare": (_CREDENTIAL, "public page turned off by the learner"),
    "definition.create": ("Definition", "created"),
    "definition.new_version": ("Definition", "new version started"),
    "definition.publish": ("Definition", "published"),
    "definition.request_changes": ("Definition", "sent back with requested changes"),
    "definition.retire": ("Definition", "retired"),
    "definition.submit": ("Definition", "submitted for review"),
    "definition.update_draft": ("Definition", "draft changed"),
    "endorsement.create": ("Endorsement", "added"),
    "endorsement.withdraw": ("Endorsement", "withdrawn"),
    "import.cancel": ("Bulk import", "cancelled"),
    "import.complete": ("Bulk import", "finished"),
    "import.create": ("Bulk import", "started"),
    "import.fail": ("Bulk import", "stopped by an error"),
    "issuer.create": ("Issuer", "created"),
    "issuer.key_compromise": ("Signing key", "reported compromised"),
    "issuer.key_rotate": ("Signing key", "replaced by a new one"),
    "issuer.update": ("Issuer profile", "changed"),
    "learner.create": ("Learner", "added"),
    "learner.update": ("Learner", "changed"),
    "member.add": ("Staff member", "added"),
    "member.remove": ("Staff member", "removed"),
    "member.role_change": ("Staff member", "given another role"),
    "partner.create": ("Endorsement partner", "added"),
    "pathway.award": ("Pathway award", "issued"),
    "pathway.award_approve": ("Pathway award", "approved"),
    "pathway.award_pending": ("Pathway award", "waiting for approval"),
    "pathway.award_reject": ("Pathway award", "rejected"),
    "pathway.create": ("Pathway", "created"),
    "pathway.update": ("Pathway", "changed"),
    "recognition.decide": ("Recognition request", "decided"),
    "recognition.import": ("External credential", "received for recognition"),
    "recognition.reverify_failed": ("External credential", "failed its new verification"),
    "session.end": ("Session", "ended"),
    "session.start": ("Session", "started"),
    "status.resign": ("Status list", "signed again"),
    "token.create": ("API token", "created"),
    "token.revoke": ("API token", "revoked"),
    "user.create": ("User", "created"),
    "user.disable": ("User", "disabled"),
    "user.enable": ("User", "enabled again"),
    "user.login": ("User", "signed in"),
    "user.login_failed": ("Sign-in", "failed"),
    "user.operator_set": ("Operator rights", "changed"),
    "user.password_change": ("Password", "changed"),
}


def _words(action: str) -> tuple[str, str]:
    known = _WORDS.get(action)
    if known is not None:
        return known
    # an action without words yet: its code, made readable ("thing.did_this" -> "Thing", "did this")
    subject, _, verb = action.partition(".")
    subject = subject.replace("_", " ").strip() or action
    return subject[:1].upper() + subject[1:], verb.replace("_", " ").strip() or "changed"


def activity_words(action: str) -> str:
    """``action`` as a short sentence with its subject: ``credential.revoke`` -> "Credential
    revoked"."""
    subject, happened = _words(action)
    return f"{subject} {happened}"


def history_words(action: str) -> str:
    """What ``action`` did to a credential, on that credential's own page: "revoked"; an
    action about something else keeps its subject ("Recognition request decided")."""
    subject, happened = _words(action)
    return happened if subject == _CREDENTIAL else f"{subject} {happened}"
