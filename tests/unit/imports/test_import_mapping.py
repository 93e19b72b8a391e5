"""Column mapping: suggestions from headers in several languages, and checked mappings."""

from __future__ import annotations

import pytest

from microcred.errors import InvalidInput
from microcred.imports import ColumnMapping, ImportField, normalise_header, suggest_mapping

F = ImportField


@pytest.mark.parametrize(
    ("header", "normalised"),
    [
        ("  E-Mail-Adresse ", "e mail adresse"),
        ("Prénom", "prenom"),
        ("Straße", "strasse"),
        ("N° étudiant", "n etudiant"),
        ("Matr.-Nr.", "matr nr"),
        ("ÆØÅ Łódź", "aeoa lodz"),
        ("E_MAIL", "e mail"),
        ("", ""),
    ],
)
def test_normalise_header(header: str, normalised: str) -> None:
    assert normalise_header(header) == normalised


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        # English registrar export
        (
            ["Full Name", "Email Address", "Student ID", "Grade", "Evidence URL", "Valid until"],
            {
                F.NAME: "Full Name",
                F.EMAIL: "Email Address",
                F.EXTERNAL_ID: "Student ID",
                F.RESULT: "Grade",
                F.EVIDENCE_URL: "Evidence URL",
                F.VALID_UNTIL: "Valid until",
            },
        ),
        # German: "Name" next to "Vorname" is the family name
        (
            ["Matrikelnummer", "Name", "Vorname", "E-Mail", "Note", "Gültig bis"],
            {
                F.EXTERNAL_ID: "Matrikelnummer",
                F.FAMILY_NAME: "Name",
                F.GIVEN_NAME: "Vorname",
                F.EMAIL: "E-Mail",
                F.RESULT: "Note",
                F.VALID_UNTIL: "Gültig bis",
            },
        ),
        (
            ["Nachname", "Vorname", "E-Mail-Adresse", "Ausstellungsdatum"],
            {
                F.FAMILY_NAME: "Nachname",
                F.GIVEN_NAME: "Vorname",
                F.EMAIL: "E-Mail-Adresse",
                F.ISSUE_DATE: "Ausstellungsdatum",
            },
        ),
        # French
        (
            ["NOM", "Prénom", "Courriel", "N° étudiant", "Date de délivrance", "Résultat"],
            {
                F.FAMILY_NAME: "NOM",
                F.GIVEN_NAME: "Prénom",
                F.EMAIL: "Courriel",
                F.EXTERNAL_ID: "N° étudiant",
                F.ISSUE_DATE: "Date de délivrance",
                F.RESULT: "Résultat",
            },
        ),
        # Spanish: a lone "Nombre" is the whole name
        (
            ["Nombre", "Correo electrónico", "Calificación", "Fecha de emisión"],
            {
                F.NAME: "Nombre",
                F.EMAIL: "Correo electrónico",
                F.RESULT: "Calificación",
                F.ISSUE_DATE: "Fecha de emisión",
            },
        ),
        (
            ["Nombre", "Apellidos", "Correo", "DNI"],
            {F.GIVEN_NAME: "Nombre", F.FAMILY_NAME: "Apellidos", F.EMAIL: "Correo"},
        ),
        # Italian
        (
            ["Cognome", "Nome", "Indirizzo e-mail", "Matricola", "Voto", "Data di scadenza"],
            {
                F.FAMILY_NAME: "Cognome",
                F.GIVEN_NAME: "Nome",
                F.EMAIL: "Indirizzo e-mail",
                F.EXTERNAL_ID: "Matricola",
                F.RESULT: "Voto",
                F.VALID_UNTIL: "Data di scadenza",
            },
        ),
        # Dutch
        (
            ["Studentnummer", "Voornaam", "Achternaam", "E-mailadres", "Cijfer"],
            {
                F.EXTERNAL_ID: "Studentnummer",
                F.GIVEN_NAME: "Voornaam",
                F.FAMILY_NAME: "Achternaam",
                F.EMAIL: "E-mailadres",
                F.RESULT: "Cijfer",
            },
        ),
        # Polish, Portuguese, Swedish
        (
            ["Imię i nazwisko", "Adres e-mail", "Nr albumu", "Ocena"],
            {
                F.NAME: "Imię i nazwisko",
                F.EMAIL: "Adres e-mail",
                F.EXTERNAL_ID: "Nr albumu",
                F.RESULT: "Ocena",
            },
        ),
        (
            ["Nome completo", "Correio eletrónico", "Número de aluno"],
            {
                F.NAME: "Nome completo",
                F.EMAIL: "Correio eletrónico",
                F.EXTERNAL_ID: "Número de aluno",
            },
        ),
        (
            ["Förnamn", "Efternamn", "E-post", "Betyg"],
            {
                F.GIVEN_NAME: "Förnamn",
                F.FAMILY_NAME: "Efternamn",
                F.EMAIL: "E-post",
                F.RESULT: "Betyg",
            },
        ),
        # a DID column, and words inside longer headers
        (
            ["Learner", "Wallet DID", "Learner e-mail address (university)"],
            {
                F.NAME: "Learner",
                F.DID: "Wallet DID",
                F.EMAIL: "Learner e-mail address (university)",
            },
        ),
    ],
)
def test_suggestions(headers: list[str], expected: dict[ImportField, str]) -> None:
    suggestion = suggest_mapping(headers)
    assert dict(suggestion.mapping.columns) == expected
    assert suggestion.missing == []
    assert set(suggestion.unmatched_headers) == set(headers) - set(expected.values())


def test_headers_about_something_else_are_not_taken() -> None:
    suggestion = suggest_mapping(
        ["Course name", "Supervisor e-mail", "Notes", "Participant", "University name"]
    )
    assert dict(suggestion.mapping.columns) == {F.NAME: "Participant"}
    assert suggestion.missing == ["e-mail (or DID)"]


def test_organisation_words_still_allow_the_learners_own_contact_and_id() -> None:
    suggestion = suggest_mapping(["Student", "University e-mail", "University student number"])
    assert dict(suggestion.mapping.columns) == {
        F.NAME: "Student",
        F.EMAIL: "University e-mail",
        F.EXTERNAL_ID: "University student number",
    }


def test_each_field_and_header_used_once() -> None:
    suggestion = suggest_mapping(["Email", "E-Mail", "Name", "Full name"])
    assert dict(suggestion.mapping.columns) == {F.NAME: "Name", F.EMAIL: "Email"}
    assert suggestion.unmatched_headers == ("E-Mail", "Full name")
    scores = {m.header: m.score for m in suggestion.matches}
    assert scores == {"Email": 1.0, "Name": 1.0}


def test_nothing_recognisable() -> None:
    suggestion = suggest_mapping(["Foo", "Bar", ""])
    assert suggestion.mapping.columns == {}
    assert suggestion.missing == [
        "learner name (one column, or given name and family name)",
        "e-mail (or DID)",
    ]


def test_from_dict_is_checked_against_the_headers() -> None:
    headers = ["Name", "E-Mail", "Matrikel"]
    mapping = ColumnMapping.from_dict(
        {"name": "name", "EMAIL": " e-mail ", "external_id": "Matrikel", "did": ""}, headers
    )
    assert mapping.to_dict() == {"name": "Name", "email": "E-Mail", "external_id": "Matrikel"}
    assert mapping.header_for(F.DID) is None
    with pytest.raises(InvalidInput) as caught:
        ColumnMapping.from_dict(
            {"name": "Name", "mail": "E-Mail", "email": "Nope", "external_id": "Name"}, headers
        )
    detail = caught.value.detail
    assert "'mail' is not a field" in detail
    assert "no column 'Nope'" in detail
    assert "column 'Name' is mapped to both name and external_id" in detail


def test_required_fields() -> None:
    ColumnMapping({F.NAME: "n", F.EMAIL: "e"}).require_complete()
    ColumnMapping({F.GIVEN_NAME: "g", F.FAMILY_NAME: "f", F.DID: "d"}).require_complete()
    assert ColumnMapping({F.GIVEN_NAME: "g", F.EMAIL: "e"}).missing() == [
        "family name (or one full-name column)"
    ]
    assert ColumnMapping({F.FAMILY_NAME: "f", F.EMAIL: "e"}).missing() == [
        "given name (or one full-name column)"
    ]
    with pytest.raises(InvalidInput, match="lacks required fields: e-mail") as caught:
        ColumnMapping({F.NAME: "n", F.EXTERNAL_ID: "x"}).require_complete()
    assert caught.value.extra["missing"] == ["e-mail (or DID)"]


def test_field_labels() -> None:
    assert {f.label for f in ImportField} >= {"e-mail", "learner name", "valid until"}
