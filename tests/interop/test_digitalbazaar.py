"""Interoperability with Digital Bazaar's JavaScript VC stack (PRODUCT.md §4).

Python -> JS: credentials issued by microcred's real engine (``compose_credential`` +
``IssuancePipeline`` with a fixed-seed did:key issuer) are verified by ``@digitalbazaar/vc``
``verifyCredential`` with the ``eddsa-rdfc-2022`` and ``eddsa-jcs-2022`` suites: with and
without the EU extension context, with Bitstring Status List entries (checked by
``@digitalbazaar/vc-bitstring-status-list`` against our signed list credentials), and with
anchor proofs (ADR 0004) appended the way the anchoring service appends them.

JS -> Python: credentials signed by that stack (``vc.issue``, did:key from
``@digitalbazaar/ed25519-multikey`` / ``did-method-key``) are verified by microcred's
``Verifier`` (``wiring.build_engine``).

Both directions run in one ``node`` process each (``tests/interop/js/verify.mjs`` and
``sign.mjs``; JSON on stdin/stdout). The JS document loader serves only the contexts bundled
in ``src/microcred/jsonld/contexts`` (checked against the manifest's SHA-256), did:key, and the
status list credentials handed over in the request. ``make test`` installs ``node_modules``
(``npm ci``); without it these tests are skipped.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from microcred.anchoring.backends.null import NullAnchor
from microcred.anchoring.batch import anchor_credential, batch_tree
from microcred.anchoring.proof import ANCHOR_CRYPTOSUITE, credential_digest, signature_proofs
from microcred.clock import FixedClock
from microcred.definition import compose_credential
from microcred.definition.samples import sample_achievement, sample_issuer
from microcred.did.key import did_key_from_public, did_key_verification_method
from microcred.issuance import IssuancePipeline
from microcred.jsonld.urls import MICROCRED_EU_V1
from microcred.keys.ed25519 import Ed25519KeyPair
from microcred.model import hash_email
from microcred.proof.data_integrity import add_proof
from microcred.proof.options import ProofOptions
from microcred.status import StatusBitstring
from microcred.status.credentials import build_status_list_credential
from microcred.status.fetchers import LocalStatusListFetcher
from microcred.status.lists import status_list_entry
from microcred.verification.checks.anchor import AnchorCheck
from microcred.verification.checks.status import StatusCheck
from microcred.wiring import Engine, build_engine

ROOT = Path(__file__).resolve().parents[2]
JS_DIR = Path(__file__).resolve().parent / "js"
NODE_MODULES = ROOT / "node_modules"
JS_PACKAGES = (
    "@digitalbazaar/vc",
    "@digitalbazaar/data-integrity",
    "@digitalbazaar/eddsa-rdfc-2022-cryptosuite",
    "@digitalbazaar/eddsa-jcs-2022-cryptosuite",
    "@digitalbazaar/ed25519-multikey",
    "@digitalbazaar/did-method-key",
    "@digitalbazaar/vc-bitstring-status-list",
)
_MISSING = [p for p in JS_PACKAGES if not (NODE_MODULES / p / "package.json").is_file()]

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(
        bool(_MISSING),
        reason=(
            "node_modules is missing (run `make test` or `npm ci`)"
            if not NODE_MODULES.is_dir()
            else f"node_modules lacks {', '.join(_MISSING)} (run `make test` or `npm ci`)"
        ),
    ),
]

SIGNED_AT = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)
ANCHORED_AT = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
VERIFY_AT = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
VERIFY_AT_TEXT = "2026-03-10T12:00:00Z"

ISSUER_KEY = Ed25519KeyPair.from_seed(hashlib.sha256(b"microcred interop: python issuer").digest())
ISSUER = did_key_from_public(ISSUER_KEY.public_bytes)
ISSUER_VM = did_key_verification_method(ISSUER_KEY.public_bytes)
LEDGER_KEY = Ed25519KeyPair.from_seed(hashlib.sha256(b"microcred interop: ledger").digest())
EMBEDDED_LEDGER_ID = did_key_from_public(LEDGER_KEY.public_bytes)
EVM_LEDGER_ID = "eip155:31337:0x5FbDB2315678afecb367f032d93F642f64180aa3"
JS_SEED = hashlib.sha256(b"microcred interop: javascript issuer").digest()
HOLDER_KEY = Ed25519KeyPair.from_seed(hashlib.sha256(b"microcred interop: holder").digest())
HOLDER = did_key_from_public(HOLDER_KEY.public_bytes)
HOLDER_VM = did_key_verification_method(HOLDER_KEY.public_bytes)
CHALLENGE = "c0ae1c8e-c7e7-469f-b252-86e6a0e7387e"
DOMAIN = "verifier.example"

STATUS_BASE = "https://credentials.example.edu/status/interop"
REVOCATION_LIST = f"{STATUS_BASE}/revocation/1"
SUSPENSION_LIST = f"{STATUS_BASE}/suspension/1"
REVOKED_INDEX = 71690


def run_node(script: str, request: Mapping[str, Any]) -> dict[str, Any]:
    """Run ``tests/interop/js/<script>`` once with ``request`` on stdin; its JSON answer."""
    node = shutil.which("node")
    assert node, "node is not on PATH (Node 20 is required for the interop tests)"
    done = subprocess.run(
        [node, str(JS_DIR / script)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"{script} failed:\n{done.stderr}"
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


# --------------------------------------------------------------------------- the engine


class Platform:
    """microcred's engine with the status and anchor families, lists and ledgers in memory."""

    def __init__(self) -> None:
        self.lists: dict[str, dict[str, Any]] = {}
        self.embedded = NullAnchor(FixedClock(ANCHORED_AT), ledger_id=EMBEDDED_LEDGER_ID)
        self.evm = NullAnchor(FixedClock(ANCHORED_AT), ledger_id=EVM_LEDGER_ID)
        holder: list[Engine] = []
        status = StatusCheck(
            LocalStatusListFetcher(self.lists.get),
            lambda doc: holder[0].verifier.verify_credential(doc),
        )
        anchor = AnchorCheck([self.embedded, self.evm])
        self.engine = build_engine(
            allow_network=False, clock=FixedClock(VERIFY_AT), extra_checks=[status, anchor]
        )
        holder.append(self.engine)
        self.pipeline = IssuancePipeline(
            self.engine.registry, self.engine.loader, self.engine.verifier
        )
        self.bits = {"revocation": StatusBitstring(), "suspension": StatusBitstring()}
        for purpose in self.bits:
            self.publish_list(purpose)

    def publish_list(self, purpose: str) -> None:
        """(Re-)sign a list credential with the issuer's key, as StatusService does."""
        url = REVOCATION_LIST if purpose == "revocation" else SUSPENSION_LIST
        unsigned = build_status_list_credential(
            url=url,
            issuer=ISSUER,
            purpose=purpose,
            encoded_list=self.bits[purpose].encode(),
            valid_from=SIGNED_AT,
            ttl_ms=300_000,
        )
        suite = self.engine.registry.get("eddsa-rdfc-2022")
        options = ProofOptions("eddsa-rdfc-2022", ISSUER_VM, created=SIGNED_AT)
        self.lists[url] = add_proof(unsigned, suite, options, ISSUER_KEY.signer(ISSUER_VM))

    def revoke(self, index: int) -> None:
        self.bits["revocation"].set(index)
        self.publish_list("revocation")

    def issue(
        self,
        number: int,
        suite: str,
        *,
        eu: bool = True,
        status_index: int | None = None,
        issuer: str = ISSUER,
    ) -> dict[str, Any]:
        unsigned = compose(number, issuer=issuer, eu=eu, status_index=status_index)
        signer = ISSUER_KEY.signer(ISSUER_VM)
        return self.pipeline.issue(unsigned, signer, suite, now=SIGNED_AT)

    def anchor(self, credentials: list[dict[str, Any]], ledger: NullAnchor) -> list[dict[str, Any]]:
        """Batch, publish and append each anchor proof (what AnchoringService does)."""
        tree = batch_tree([credential_digest(c) for c in credentials])
        receipt = ledger.publish(tree.root, f"batch-{ledger.ledger_id}", issuer=ISSUER)
        return [anchor_credential(c, tree, i, receipt.entry) for i, c in enumerate(credentials)]


def compose(
    number: int, *, issuer: str, eu: bool = True, status_index: int | None = None
) -> dict[str, Any]:
    """An unsigned OB 3.0 credential from the sample definition."""
    status = None
    if status_index is not None:
        status = [
            status_list_entry(REVOCATION_LIST, "revocation", status_index),
            status_list_entry(SUSPENSION_LIST, "suspension", status_index + 1),
        ]
    learner: Any = (
        hash_email(f"learner{number}@uni.example", salt="5a17")
        if eu
        else f"did:example:learner-{number}"
    )
    return compose_credential(
        sample_achievement(awarding_body=issuer, with_eu_elements=eu),
        learner,
        sample_issuer(issuer),
        credential_id=f"urn:uuid:6b1f0c52-8a55-4d1c-9a3e-{number:012d}",
        valid_from=SIGNED_AT,
        credential_status=status,
    )


def presentation(platform: Platform, credentials: list[dict[str, Any]]) -> dict[str, Any]:
    """A presentation of ``credentials`` signed by the holder (authentication, challenge)."""
    unsigned = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": HOLDER,
        "verifiableCredential": credentials,
    }
    options = ProofOptions(
        "eddsa-rdfc-2022",
        HOLDER_VM,
        proof_purpose="authentication",
        created=VERIFY_AT,
        challenge=CHALLENGE,
        domain=DOMAIN,
    )
    suite = platform.engine.registry.get("eddsa-rdfc-2022")
    return add_proof(unsigned, suite, options, HOLDER_KEY.signer(HOLDER_VM))


def tampered(credential: Mapping[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(dict(credential))
    changed["credentialSubject"]["achievement"]["name"] = "Doctorate in Everything"
    return changed


# --------------------------------------------------------------------------- Python -> JS


@pytest.fixture(scope="module")
def python_issued() -> dict[str, Any]:
    """Every credential microcred issues for the JS verifier, plus controls it must reject."""
    platform = Platform()
    creds: dict[str, dict[str, Any]] = {
        "rdfc-eu": platform.issue(1, "eddsa-rdfc-2022"),
        "jcs-eu": platform.issue(2, "eddsa-jcs-2022"),
        "rdfc-no-eu": platform.issue(3, "eddsa-rdfc-2022", eu=False),
        "jcs-no-eu": platform.issue(4, "eddsa-jcs-2022", eu=False),
        "rdfc-status": platform.issue(5, "eddsa-rdfc-2022", status_index=15327),
        "jcs-status": platform.issue(6, "eddsa-jcs-2022", status_index=90210),
        "rdfc-status-revoked": platform.issue(7, "eddsa-rdfc-2022", status_index=REVOKED_INDEX),
    }
    platform.revoke(REVOKED_INDEX)

    batch = [
        platform.issue(10, "eddsa-rdfc-2022"),
        platform.issue(11, "eddsa-jcs-2022"),
        platform.issue(12, "eddsa-rdfc-2022", status_index=4242),
        platform.issue(13, "eddsa-rdfc-2022", eu=False),
    ]
    anchored = platform.anchor(batch, platform.embedded)
    creds["anchored-rdfc"] = anchored[0]
    creds["anchored-jcs"] = anchored[1]
    creds["anchored-rdfc-status"] = anchored[2]
    # the same credential anchored on a second ledger too (EVM-style ledger id): two anchors
    creds["anchored-twice"] = platform.anchor([anchored[3]], platform.evm)[0]

    controls = {
        "tampered-rdfc": tampered(creds["rdfc-eu"]),
        "tampered-jcs": tampered(creds["jcs-eu"]),
        "tampered-anchored": tampered(creds["anchored-rdfc"]),
        "anchor-proof-only": {
            **anchored[0],
            "proof": [p for p in anchored[0]["proof"] if p["cryptosuite"] == ANCHOR_CRYPTOSUITE],
        },
    }
    # anchored credentials inside a holder's presentation: the holder's signature covers each
    # embedded credential with its whole proof set, anchor proofs included
    vp = presentation(
        platform,
        [creds["anchored-rdfc-status"], creds["anchored-jcs"], creds["anchored-twice"]],
    )
    vp_changed = copy.deepcopy(vp)
    vp_changed["verifiableCredential"][2]["proof"][2]["created"] = "2026-03-03T11:00:00Z"
    vp_undefined = copy.deepcopy(vp)
    vp_undefined["verifiableCredential"][0]["proof"][1]["anchorPath"] = "not a defined term"
    presentations = {
        "vp-anchored": vp,
        "vp-anchor-changed": vp_changed,
        "vp-undefined-term": vp_undefined,
    }
    request = {
        "now": VERIFY_AT_TEXT,
        "documents": platform.lists,
        "credentials": [
            {"name": name, "credential": c} for name, c in {**creds, **controls}.items()
        ],
        "presentations": [
            {"name": name, "presentation": p, "challenge": CHALLENGE, "domain": DOMAIN}
            for name, p in presentations.items()
        ],
    }
    answer = run_node("verify.mjs", request)
    return {
        "platform": platform,
        "credentials": creds,
        "controls": controls,
        "presentations": presentations,
        "js": {r["name"]: r for r in answer["results"]},
        "js_presentations": {r["name"]: r for r in answer["presentations"]},
        "loaded": answer["loaded"],
    }


VERIFIED_IN_JS = [
    "rdfc-eu",
    "jcs-eu",
    "rdfc-no-eu",
    "jcs-no-eu",
    "rdfc-status",
    "jcs-status",
    "rdfc-status-revoked",
    "anchored-rdfc",
    "anchored-jcs",
    "anchored-rdfc-status",
    "anchored-twice",
]


@pytest.mark.parametrize("name", VERIFIED_IN_JS)
def test_microcred_credential_verifies_in_digitalbazaar(
    python_issued: dict[str, Any], name: str
) -> None:
    result = python_issued["js"][name]
    assert result["verified"], result["errors"]
    credential = python_issued["credentials"][name]
    signatures = signature_proofs(credential)
    # DB verified the (one) signature, with the suite named in it, and no other proof
    assert [(p["cryptosuite"], p["verified"]) for p in result["proofs"]] == [
        (signatures[0]["cryptosuite"], True)
    ]


def test_the_same_credentials_verify_in_microcred(python_issued: dict[str, Any]) -> None:
    verifier = python_issued["platform"].engine.verifier
    for name in VERIFIED_IN_JS:
        report = verifier.verify_credential(python_issued["credentials"][name])
        failed = [c.code for c in report.checks if c.outcome == "failed"]
        if name == "rdfc-status-revoked":
            assert failed == ["status.revocation"], name
        else:
            assert report.verified, (name, failed)


def test_eu_context_is_processed_by_the_js_stack(python_issued: dict[str, Any]) -> None:
    creds = python_issued["credentials"]
    assert MICROCRED_EU_V1 in creds["rdfc-eu"]["@context"]
    assert MICROCRED_EU_V1 not in creds["rdfc-no-eu"]["@context"]
    # RDFC canonicalisation in jsonld.js had to load our EU context to verify
    assert MICROCRED_EU_V1 in python_issued["loaded"]


def test_js_loader_served_only_bundled_contexts_did_key_and_our_lists(
    python_issued: dict[str, Any],
) -> None:
    manifest = json.loads(
        (ROOT / "src/microcred/jsonld/contexts/manifest.json").read_text(encoding="utf-8")
    )
    bundled = {c["url"] for c in manifest["contexts"]}
    lists = {REVOCATION_LIST, SUSPENSION_LIST}
    for url in python_issued["loaded"]:
        assert url in bundled or url in lists or url.startswith("did:key:"), url
    assert lists <= set(python_issued["loaded"])


def test_status_entries_are_read_by_the_js_status_checker(python_issued: dict[str, Any]) -> None:
    js = python_issued["js"]
    for name in ("rdfc-status", "jcs-status", "anchored-rdfc-status"):
        status = js[name]["status"]
        assert status["verified"], status["errors"]
        assert sorted((e["purpose"], e["status"]) for e in status["entries"]) == [
            ("revocation", False),
            ("suspension", False),
        ]
    revoked = js["rdfc-status-revoked"]["status"]
    # DB's checkStatus verifies the list and *reports* the bit; it does not fail on it
    assert revoked["verified"]
    assert {e["purpose"]: (int(e["index"]), e["status"]) for e in revoked["entries"]} == {
        "revocation": (REVOKED_INDEX, True),
        "suspension": (REVOKED_INDEX + 1, False),
    }
    for name in ("rdfc-eu", "anchored-rdfc"):
        assert js[name]["status"] is None


def test_anchor_proof_is_ignored_by_the_js_stack(python_issued: dict[str, Any]) -> None:
    creds = python_issued["credentials"]
    twice = creds["anchored-twice"]
    assert [p["cryptosuite"] for p in twice["proof"]] == [
        "eddsa-rdfc-2022",
        ANCHOR_CRYPTOSUITE,
        ANCHOR_CRYPTOSUITE,
    ]
    assert {p["verificationMethod"] for p in twice["proof"][1:]} == {
        EMBEDDED_LEDGER_ID,
        EVM_LEDGER_ID,
    }
    # only the signature is handed to a suite: the anchors match no suite
    for name in ("anchored-rdfc", "anchored-jcs", "anchored-rdfc-status", "anchored-twice"):
        assert len(python_issued["js"][name]["proofs"]) == 1


def test_anchor_proof_alone_is_not_accepted_as_a_signature(
    python_issued: dict[str, Any],
) -> None:
    result = python_issued["js"]["anchor-proof-only"]
    assert not result["verified"]
    assert result["proofs"] == []
    assert any("insufficient proofs matched" in e for e in result["errors"]), result["errors"]


def test_presentation_of_anchored_credentials_verifies_in_digitalbazaar(
    python_issued: dict[str, Any],
) -> None:
    result = python_issued["js_presentations"]["vp-anchored"]
    assert result["verified"], result["errors"]
    assert [(p["cryptosuite"], p["verified"]) for p in result["proofs"]] == [
        ("eddsa-rdfc-2022", True)
    ]
    assert [c["verified"] for c in result["credentials"]] == [True, True, True]
    assert result["credentials"][0]["status"]["verified"]
    # and microcred agrees
    verifier = python_issued["platform"].engine.verifier
    report = verifier.verify_presentation(
        python_issued["presentations"]["vp-anchored"], challenge=CHALLENGE, domain=DOMAIN
    )
    assert report.verified, [c.code for c in report.checks if c.outcome == "failed"]


def test_presentation_signature_covers_the_anchor_proofs(python_issued: dict[str, Any]) -> None:
    """A changed anchor proof inside a presentation breaks the holder's signature in JS."""
    result = python_issued["js_presentations"]["vp-anchor-changed"]
    assert not result["verified"]
    assert [p["verified"] for p in result["proofs"]] == [False]
    assert any("Invalid signature" in e for e in result["errors"]), result["errors"]
    # each credential alone still verifies there: DB ignores the (now wrong) anchor
    assert [c["verified"] for c in result["credentials"]] == [True, True, True]


def test_presentation_check_is_in_safe_mode(python_issued: dict[str, Any]) -> None:
    """Why the anchor proof uses only defined terms: an undefined one inside an embedded
    proof makes DB's canonicalisation of the presentation fail (JSON-LD safe mode)."""
    result = python_issued["js_presentations"]["vp-undefined-term"]
    assert not result["verified"]
    assert "Safe mode validation error." in result["errors"], result["errors"]


@pytest.mark.parametrize("name", ["tampered-rdfc", "tampered-jcs", "tampered-anchored"])
def test_js_stack_rejects_a_changed_credential(python_issued: dict[str, Any], name: str) -> None:
    result = python_issued["js"][name]
    assert not result["verified"]
    assert [p["verified"] for p in result["proofs"]] == [False]
    assert any("Invalid signature" in e for e in result["errors"]), result["errors"]


# --------------------------------------------------------------------------- JS -> Python


JS_KEY = Ed25519KeyPair.from_seed(JS_SEED)
JS_ISSUER = did_key_from_public(JS_KEY.public_bytes)

# An OB 3.0 credential written by hand (not by our composer), with only the VC 2.0 and
# OB 3.0.3 contexts.
MINIMAL_OB3 = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ],
    "id": "urn:uuid:0d3cc8a4-3c1e-4c1b-9f3b-7c2f0b0f1a01",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "name": "Teamwork badge",
    "issuer": {"id": JS_ISSUER, "type": ["Profile"], "name": "JS Test Academy"},
    "validFrom": "2026-03-01T00:00:00Z",
    "credentialSubject": {
        "id": "did:example:learner-js",
        "type": ["AchievementSubject"],
        "achievement": {
            "id": "https://academy.example/achievements/teamwork",
            "type": ["Achievement"],
            "name": "Teamwork",
            "description": "Works well in a team.",
            "criteria": {"narrative": "Completed three group projects."},
        },
    },
}


@pytest.fixture(scope="module")
def js_signed() -> dict[str, Any]:
    unsigned = {
        "js-rdfc-eu": ("eddsa-rdfc-2022", compose(20, issuer=JS_ISSUER)),
        "js-jcs-eu": ("eddsa-jcs-2022", compose(21, issuer=JS_ISSUER)),
        "js-rdfc-no-eu": ("eddsa-rdfc-2022", compose(22, issuer=JS_ISSUER, eu=False)),
        "js-rdfc-minimal": ("eddsa-rdfc-2022", MINIMAL_OB3),
        "js-jcs-minimal": ("eddsa-jcs-2022", MINIMAL_OB3),
    }
    answer = run_node(
        "sign.mjs",
        {
            "seed": JS_SEED.hex(),
            "created": "2026-03-03T09:30:00Z",
            "credentials": [
                {"name": n, "cryptosuite": s, "credential": c} for n, (s, c) in unsigned.items()
            ],
        },
    )
    return {
        "did": answer["did"],
        "verificationMethod": answer["verificationMethod"],
        "unsigned": {n: c for n, (_, c) in unsigned.items()},
        "signed": {s["name"]: s["credential"] for s in answer["signed"]},
    }


JS_NAMES = ["js-rdfc-eu", "js-jcs-eu", "js-rdfc-no-eu", "js-rdfc-minimal", "js-jcs-minimal"]


def test_js_derives_the_same_did_key_from_the_seed(js_signed: dict[str, Any]) -> None:
    assert js_signed["did"] == JS_ISSUER
    assert js_signed["verificationMethod"] == did_key_verification_method(JS_KEY.public_bytes)


@pytest.fixture(scope="module")
def python_verifier() -> Callable[[Any], Any]:
    engine = build_engine(allow_network=False, clock=FixedClock(VERIFY_AT))
    return engine.verifier.verify_credential


@pytest.mark.parametrize("name", JS_NAMES)
def test_digitalbazaar_credential_verifies_in_microcred(
    js_signed: dict[str, Any], python_verifier: Callable[[Any], Any], name: str
) -> None:
    credential = js_signed["signed"][name]
    assert credential["proof"]["verificationMethod"] == js_signed["verificationMethod"]
    report = python_verifier(credential)
    failed = [(c.code, c.message) for c in report.checks if c.outcome == "failed"]
    assert report.verified is True, failed
    codes = {c.code: c.outcome for c in report.checks}
    assert codes["proof.verified"] == "passed"


@pytest.mark.parametrize("name", JS_NAMES)
def test_microcred_signs_the_same_bytes_as_digitalbazaar(
    js_signed: dict[str, Any], name: str
) -> None:
    """Ed25519 is deterministic: same document, key and options -> the same proofValue."""
    js_proof = js_signed["signed"][name]["proof"]
    engine = build_engine(allow_network=False, clock=FixedClock(VERIFY_AT))
    suite = engine.registry.get(js_proof["cryptosuite"])
    vm = did_key_verification_method(JS_KEY.public_bytes)
    ours = add_proof(
        js_signed["unsigned"][name],
        suite,
        ProofOptions(js_proof["cryptosuite"], vm, created=SIGNED_AT),
        JS_KEY.signer(vm),
    )["proof"]
    assert ours == {k: js_proof[k] for k in ours}
    assert set(ours) == set(js_proof)


def test_microcred_rejects_a_changed_js_credential(
    js_signed: dict[str, Any], python_verifier: Callable[[Any], Any]
) -> None:
    for name in ("js-rdfc-eu", "js-jcs-eu"):
        report = python_verifier(tampered(js_signed["signed"][name]))
        assert not report.verified
        assert {c.code for c in report.checks if c.outcome == "failed"} == {
            "proof.signature_invalid"
        }
