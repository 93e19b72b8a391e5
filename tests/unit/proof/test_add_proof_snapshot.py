"""add_proof returns a snapshot: later changes to the caller's document (or to the
secured one) never reach the other, whichever copy path the document takes."""

from __future__ import annotations

import copy
import enum
from typing import Any

import pytest
from proof_testkit import CREATED, Methods, credential, did_of, key_pair, vm_of

from microcred.proof.cryptosuites.eddsa_jcs_2022 import EddsaJcs2022
from microcred.proof.data_integrity import add_proof, verify_proofs
from microcred.proof.options import ProofOptions
from microcred.proof.registry import CryptosuiteRegistry

KEY = key_pair(7)


class Level(enum.StrEnum):  # not marshal-able: takes the JSON-tree copy path
    HIGH = "high"


def _sign(document: dict[str, Any]) -> dict[str, Any]:
    options = ProofOptions(
        cryptosuite="eddsa-jcs-2022", verification_method=vm_of(KEY), created=CREATED
    )
    return add_proof(document, EddsaJcs2022(), options, KEY.signer(vm_of(KEY)))


def _verified(document: dict[str, Any]) -> bool:
    results = verify_proofs(document, CryptosuiteRegistry([EddsaJcs2022()]), Methods().add(KEY))
    return bool(results) and all(r.verified for r in results)


@pytest.mark.parametrize(
    "extra",
    [
        {"credentialSubject": {"id": "did:example:a", "scores": [1, 2.5, {"x": [None]}]}},
        {"credentialSubject": {"id": "did:example:a", "level": Level.HIGH, "tags": ["t"]}},
    ],
)
def test_secured_document_is_independent_of_the_input(extra: dict[str, Any]) -> None:
    unsigned = credential(did_of(KEY), **extra)
    before = copy.deepcopy(unsigned)
    secured = _sign(unsigned)
    signed_copy = copy.deepcopy(secured)
    assert unsigned == before

    unsigned["credentialSubject"]["id"] = "did:example:changed"
    unsigned["type"].append("Changed")
    assert secured == signed_copy
    assert _verified(secured)

    listed = "tags" if "tags" in extra["credentialSubject"] else "scores"
    secured["credentialSubject"][listed].append("later")
    assert "later" not in unsigned["credentialSubject"][listed]
    assert "later" not in extra["credentialSubject"][listed]


def test_a_proof_set_keeps_its_earlier_proofs_independent() -> None:
    first = _sign(credential(did_of(KEY)))
    second = _sign(first)
    first["proof"]["proofValue"] = "z1111"
    assert second["proof"][0]["proofValue"] != "z1111"
    assert _verified(second)
