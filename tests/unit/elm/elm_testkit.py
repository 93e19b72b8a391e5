"""Shared inputs for the ELM / EDC tests: a sample OB micro-credential, keys, SHACL helpers."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from microcred.definition.compose import compose_credential
from microcred.definition.samples import sample_achievement, sample_issuer
from microcred.did.key import did_key_from_public, did_key_verification_method
from microcred.keys.ed25519 import Ed25519KeyPair
from microcred.model.openbadges import Result

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
ISSUED = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
STANDARDS = Path(__file__).resolve().parents[3] / ".." / "shared" / "standards"
ELM_DIR = STANDARDS / "eu-elm"
ISSUER_KEY = Ed25519KeyPair.from_seed(bytes(range(32)))
ISSUER_DID = did_key_from_public(ISSUER_KEY.public_bytes)
ISSUER_VM = did_key_verification_method(ISSUER_KEY.public_bytes)
LEARNER_DID = "did:example:learner-ana"

SAMPLES = (
    "Sample-MC-Annex1-unsigned.jsonld",
    "Sample-CertOfPart-unsigned.jsonld",
    "credential-sample.jsonld",
)


def elm_file(relative: str) -> Path:
    path = ELM_DIR / relative
    if not path.exists():
        pytest.skip(f"eu-elm/{relative} is not available (../shared/standards is absent)")
    return path


def load_sample(name: str) -> dict[str, Any]:
    return json.loads(elm_file(f"samples/{name}").read_text(encoding="utf-8"))


def ob_credential(**changes: Any) -> dict[str, Any]:
    """An issued-looking OB 3.0 micro-credential with every EU element (issuer: ISSUER_DID)."""
    issuer = sample_issuer().model_copy(update={"id": ISSUER_DID})
    achievement = sample_achievement()
    doc = compose_credential(
        achievement,
        LEARNER_DID,
        issuer,
        credential_id="https://uni.example/credentials/7b0c6f7e-8d3b-4c1e-9a55-0f3e1d2c4b5a",
        valid_from=ISSUED,
        result=[Result(value="Merit")] if changes.pop("with_grade", True) else None,
    )
    doc.update(changes)
    return doc


def shacl_conforms(document: dict[str, Any], shapes: tuple[str, ...]) -> tuple[bool, str]:
    """Expand ``document`` with the shared ELM context, validate it with pyshacl."""
    pyshacl = pytest.importorskip("pyshacl")
    rdflib = pytest.importorskip("rdflib")
    from pyld import jsonld

    contexts = {
        "https://www.w3.org/2018/credentials/v1": json.loads(
            (
                Path(__file__).resolve().parents[3]
                / "src"
                / "microcred"
                / "jsonld"
                / "contexts"
                / "credentials-v1.jsonld"
            ).read_text()
        ),
        "http://data.europa.eu/snb/model/context/edc-ap": json.loads(
            elm_file("context/edc-ap-context.jsonld").read_text(encoding="utf-8")
        ),
    }

    def loader(url: str, options: Any = None) -> dict[str, Any]:
        if url not in contexts:
            raise KeyError(url)
        return {"contextUrl": None, "documentUrl": url, "document": contexts[url]}

    unsigned = {k: val for k, val in document.items() if k != "proof"}
    nquads = jsonld.to_rdf(unsigned, {"documentLoader": loader, "format": "application/n-quads"})
    data = rdflib.Graph()
    data.parse(data=nquads, format="nt")  # one default graph: N-Triples lines
    shape_graph = rdflib.Graph()
    for name in shapes:
        shape_graph.parse(elm_file(f"shacl/{name}"), format="turtle")
    with warnings.catch_warnings():
        # pyshacl 0.40 calls an rdflib API that rdflib 7.6 marks deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        conforms, _graph, text = pyshacl.validate(data, shacl_graph=shape_graph, inference="none")
    return bool(conforms), str(text)


class FakeJadesSealer:
    """Test double of :class:`microcred.elm.sealing.Sealer`: a JAdES-shaped general JWS JSON
    serialisation with an unencoded payload (RFC 7797) and a random, meaningless signature."""

    def seal(self, document: dict[str, Any]) -> dict[str, Any]:
        import base64
        import os

        header = {
            "alg": "ES256",
            "cty": "application/json",
            "b64": False,
            "crit": ["sigT", "b64"],
            "sigT": "2026-03-10T12:00:00Z",
            "x5t#S256": base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="),
        }
        protected = base64.urlsafe_b64encode(json.dumps(header).encode()).decode().rstrip("=")
        signature = base64.urlsafe_b64encode(os.urandom(64)).decode().rstrip("=")
        return {
            "payload": json.dumps(document, ensure_ascii=False),
            "signatures": [
                {"protected": protected, "header": {"etsiU": []}, "signature": signature}
            ],
        }
