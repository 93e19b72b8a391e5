"""Which column of the file holds which field, and a suggestion from the header names.

A :class:`ColumnMapping` maps :class:`ImportField` -> header. :func:`suggest_mapping` proposes
one from the headers, insensitive to case, accents, punctuation and spacing, in English and
the most common EU languages (German, French, Spanish, Italian, Dutch, Portuguese, Polish,
Swedish, Danish/Norwegian, Finnish, Czech): ``E-Mail``, ``Courriel``, ``Nachname``,
``Matrikelnummer``, ``Fecha de emisión``... The suggestion is only a proposal for a person to
confirm; :meth:`ColumnMapping.require_complete` enforces the required fields.

Required: the learner's name (one ``name`` column, or ``given_name`` *and* ``family_name``) and a
way to reach the learner (``email`` or ``did``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from microcred.errors import InvalidInput

__all__ = [
    "DATE_FIELDS",
    "ColumnMapping",
    "HeaderMatch",
    "ImportField",
    "MappingSuggestion",
    "normalise_header",
    "suggest_mapping",
]


class ImportField(StrEnum):
    NAME = "name"
    GIVEN_NAME = "given_name"
    FAMILY_NAME = "family_name"
    EMAIL = "email"
    DID = "did"
    EXTERNAL_ID = "external_id"
    RESULT = "result"
    EVIDENCE_URL = "evidence_url"
    ISSUE_DATE = "issue_date"
    VALID_UNTIL = "valid_until"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    ImportField.NAME: "learner name",
    ImportField.GIVEN_NAME: "given name",
    ImportField.FAMILY_NAME: "family name",
    ImportField.EMAIL: "e-mail",
    ImportField.DID: "DID",
    ImportField.EXTERNAL_ID: "student id",
    ImportField.RESULT: "grade / result",
    ImportField.EVIDENCE_URL: "evidence URL",
    ImportField.ISSUE_DATE: "issue date",
    ImportField.VALID_UNTIL: "valid until",
}

DATE_FIELDS = frozenset({ImportField.ISSUE_DATE, ImportField.VALID_UNTIL})

F = ImportField

# Normalised synonyms (see normalise_header): exact matches score highest.
# fmt: off
_SYNONYMS: dict[ImportField, tuple[str, ...]] = {
    F.NAME: (
        # en
        "name", "full name", "learner", "learner name", "student", "student name",
        "participant", "participant name", "recipient", "recipient name", "holder",
        "display name", "candidate", "candidate name", "name of learner",
        # de
        "vollstandiger name", "name vorname", "vorname name", "vor und nachname",
        "vor und zuname", "teilnehmer", "teilnehmerin", "teilnehmer in", "teilnehmername",
        "studierende", "studierender", "student in", "absolvent", "absolventin",
        # fr
        "nom complet", "nom et prenom", "prenom et nom", "nom prenom", "prenom nom",
        "etudiant", "etudiante", "apprenant", "apprenante", "titulaire", "beneficiaire",
        # es
        "nombre completo", "nombre y apellidos", "apellidos y nombre", "alumno", "alumna",
        "estudiante", "participante",
        # it
        "nome completo", "nome e cognome", "cognome e nome", "studente", "studentessa",
        "partecipante",
        # nl
        "naam", "volledige naam", "deelnemer", "cursist",
        # pt
        "aluno", "aluna", "formando",
        # pl, sv, da/no, fi, cs
        "imie i nazwisko", "imie nazwisko", "nazwisko i imie", "uczestnik", "namn",
        "fullstandigt namn", "deltagare", "navn", "fulde navn", "fullt navn", "deltager",
        "nimi", "koko nimi", "osallistuja", "jmeno a prijmeni", "cele jmeno",
    ),
    F.GIVEN_NAME: (
        "first name", "firstname", "given name", "givenname", "given names", "forename",
        "forenames", "first names", "vorname", "vornamen", "rufname", "prenom", "prenoms",
        "nombre", "nombres", "nome", "nome proprio", "primeiro nome", "voornaam",
        "voornamen", "imie", "imiona", "fornamn", "fornavn", "etunimi", "etunimet", "jmeno",
        "krestni jmeno",
    ),
    F.FAMILY_NAME: (
        "last name", "lastname", "surname", "family name", "familyname", "nachname",
        "familienname", "zuname", "nom", "nom de famille", "nom d usage", "apellido",
        "apellidos", "primer apellido", "cognome", "sobrenome", "apelido", "apelidos",
        "ultimo nome", "achternaam", "familienaam", "nazwisko", "efternamn", "etternavn",
        "efternavn", "sukunimi", "prijmeni",
    ),
    F.EMAIL: (
        "email", "e mail", "mail", "email address", "e mail address", "mail address",
        "electronic mail", "student email", "learner email", "recipient email",
        "e mail adresse", "emailadresse", "mailadresse", "email adresse", "courriel",
        "adresse courriel", "adresse e mail", "adresse email", "adresse mail",
        "adresse electronique", "mel", "correo", "correo electronico", "direccion de correo",
        "email institucional", "posta elettronica", "indirizzo email",
        "indirizzo e mail", "indirizzo di posta elettronica", "e mailadres", "emailadres",
        "mailadres", "correio eletronico", "correio electronico", "endereco de email",
        "adres e mail", "adres email", "poczta", "e post", "epost", "e postadress",
        "e postadresse", "sahkoposti", "sahkopostiosoite",
    ),
    F.DID: (
        "did", "decentralized identifier", "decentralised identifier", "wallet did",
        "holder did", "learner did", "subject did", "recipient did", "student did",
    ),
    F.EXTERNAL_ID: (
        "student id", "student number", "student no", "student nr", "studentid",
        "learner id", "learner number", "external id", "id", "participant id", "candidate id",
        "candidate number", "registration number", "matriculation number", "enrolment number",
        "enrollment number", "sis id", "person id", "personal id", "employee id",
        "employee number", "personnel number", "matrikelnummer", "matrikel nr", "matrikelnr",
        "matr nr", "matrikel", "studierendennummer", "personenkennzeichen",
        "personalnummer", "teilnehmernummer", "kennung", "numero etudiant",
        "numero d etudiant", "no etudiant", "n etudiant", "identifiant", "ine",
        "numero de matricule", "matricule", "matricula", "numero de matricula",
        "numero de estudiante", "identificador", "matricola", "numero di matricola",
        "studentnummer", "studentennummer", "leerlingnummer", "nr albumu", "numer albumu",
        "numero de aluno", "numero de estudante", "studentnummer", "elevnummer",
        "opiskelijanumero", "studijni cislo", "osobni cislo",
    ),
    F.RESULT: (
        "grade", "result", "score", "mark", "marks", "points", "final grade", "grade value",
        "final mark", "final result", "note", "endnote", "gesamtnote", "abschlussnote",
        "ergebnis", "bewertung", "punkte", "punktzahl", "resultat", "note finale",
        "notation", "nota", "nota final", "calificacion", "resultado", "puntuacion", "voto",
        "voto finale", "risultato", "punteggio", "cijfer", "eindcijfer", "resultaat",
        "beoordeling", "ocena", "wynik", "betyg", "karakter", "arvosana", "znamka",
        "hodnoceni", "classificacao",
    ),
    F.EVIDENCE_URL: (
        "evidence", "evidence url", "evidence link", "evidence uri", "portfolio",
        "portfolio url", "portfolio link", "nachweis", "nachweis url", "nachweislink",
        "beleg", "preuve", "lien preuve", "lien de la preuve", "justificatif", "evidencia",
        "url evidencia", "enlace evidencia", "prova", "evidenza", "link evidenza", "bewijs",
        "bewijsstuk", "link bewijs", "dowod", "evidencias", "url", "link",
    ),
    F.ISSUE_DATE: (
        "issue date", "date of issue", "issued", "issued on", "issuance date", "date issued",
        "award date", "awarded", "awarded on", "date awarded", "completion date",
        "date completed", "completed on", "date", "ausstellungsdatum", "ausgestellt am",
        "verleihungsdatum", "abschlussdatum", "datum", "date de delivrance", "delivre le",
        "date d obtention", "date d emission", "date de certification", "fecha",
        "fecha de emision", "fecha de expedicion", "fecha de finalizacion",
        "data di rilascio", "data di emissione", "data di conseguimento", "data",
        "uitgiftedatum", "datum van uitgifte", "behaald op", "data wydania",
        "data de emissao", "data de conclusao", "utfardandedatum", "udstedelsesdato",
        "utstedelsesdato", "myontamispaiva", "datum vydani",
    ),
    F.VALID_UNTIL: (
        "valid until", "valid to", "valid till", "valid thru", "valid through", "expiry",
        "expiry date", "expires", "expires on", "expiration", "expiration date", "end date",
        "gultig bis", "ablaufdatum", "ablauf", "gultigkeit", "gultigkeit bis", "befristet bis",
        "valable jusqu au", "valide jusqu au", "date d expiration", "date de fin de validite",
        "fin de validite", "valido hasta", "fecha de caducidad", "fecha de vencimiento",
        "vigencia", "valido fino al", "valido fino a", "data di scadenza", "scadenza",
        "geldig tot", "geldig tot en met", "vervaldatum", "wazny do", "data waznosci",
        "valido ate", "data de validade", "giltig till", "gyldig til", "voimassa",
        "voimassa asti", "platnost do",
    ),
}
# fmt: on

# A header containing one of these words is about someone or something else (a supervisor, a
# course, remarks): it is never matched by containment, only exactly.
_FOREIGN_TEXT = (
    "course kurs cours curso corso cursus module modul programme program programm "
    "programa programma studiengang supervisor teacher instructor lecturer tutor dozent "
    "betreuer enseignant professeur profesor docente issuer aussteller parent guardian "
    "contact emergency notfall notes notizen remarks comment comments bemerkung bemerkungen "
    "remarque remarques commentaire commentaires"
)
_FOREIGN_WORDS = frozenset(_FOREIGN_TEXT.split())
# Organisation words: "University e-mail" and "University ID" are the learner's, but
# "University name" is not the learner's name.
_ORGANISATION_TEXT = (
    "organisation organization institution university universitat universite universidad "
    "universita hochschule school schule ecole escuela company firma employer"
)
_ORGANISATION_WORDS = frozenset(_ORGANISATION_TEXT.split())
_ORGANISATION_OK = frozenset({ImportField.EMAIL, ImportField.EXTERNAL_ID, ImportField.DID})

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise_header(header: str) -> str:
    """Lower-case ASCII words: accents dropped, punctuation and spacing folded.

    ``"  E-Mail-Adresse "`` -> ``"e mail adresse"``; ``"Prénom"`` -> ``"prenom"``;
    ``"Straße"`` -> ``"strasse"``; ``"N° étudiant"`` -> ``"n etudiant"``.
    """
    decomposed = unicodedata.normalize("NFKD", header.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("ø", "o").replace("æ", "ae").replace("ł", "l").replace("đ", "d")
    return " ".join(_NON_ALNUM.sub(" ", stripped).split())


def _compact(normalised: str) -> str:
    return normalised.replace(" ", "")


_EXACT: dict[str, ImportField] = {}
_COMPACT_EXACT: dict[str, ImportField] = {}
for _field, _words in _SYNONYMS.items():
    for _word in _words:
        _EXACT.setdefault(_word, _field)
        _COMPACT_EXACT.setdefault(_compact(_word), _field)


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Field -> header of the file. Build with :meth:`from_dict` to have it checked."""

    columns: Mapping[ImportField, str] = field(default_factory=dict)

    @classmethod
    def from_dict(
        cls, mapping: Mapping[str, str], headers: Sequence[str] | None = None
    ) -> ColumnMapping:
        """Check a ``{field name: header}`` mapping (as an API or the CLI gives it).

        Unknown field names, headers the file does not have, and one header used for two
        fields are :class:`InvalidInput`. Empty headers mean "not mapped".
        """
        columns: dict[ImportField, str] = {}
        problems: list[str] = []
        known = {h.casefold(): h for h in headers} if headers is not None else None
        used: dict[str, ImportField] = {}
        for key, header in mapping.items():
            try:
                target = ImportField(str(key).strip().lower())
            except ValueError:
                problems.append(
                    f"{key!r} is not a field (fields: {', '.join(f.value for f in ImportField)})"
                )
                continue
            if not isinstance(header, str) or not header.strip():
                continue
            name = header.strip()
            if known is not None:
                actual = known.get(name.casefold())
                if actual is None:
                    problems.append(f"the file has no column {name!r} (for {target.value})")
                    continue
                name = actual
            if name.casefold() in used:
                problems.append(
                    f"column {name!r} is mapped to both {used[name.casefold()].value} "
                    f"and {target.value}"
                )
                continue
            used[name.casefold()] = target
            columns[target] = name
        if problems:
            raise InvalidInput("invalid column mapping: " + "; ".join(problems))
        return cls(dict(sorted(columns.items(), key=lambda kv: list(ImportField).index(kv[0]))))

    def to_dict(self) -> dict[str, str]:
        """``{field name: header}`` (JSON-friendly, what an import job stores)."""
        return {key.value: header for key, header in self.columns.items()}

    def header_for(self, target: ImportField) -> str | None:
        return self.columns.get(target)

    def missing(self) -> list[str]:
        """What a complete mapping still lacks, in words (empty when complete)."""
        missing: list[str] = []
        has = self.columns.__contains__
        if not has(F.NAME) and not (has(F.GIVEN_NAME) and has(F.FAMILY_NAME)):
            if has(F.GIVEN_NAME):
                missing.append("family name (or one full-name column)")
            elif has(F.FAMILY_NAME):
                missing.append("given name (or one full-name column)")
            else:
                missing.append("learner name (one column, or given name and family name)")
        if not has(F.EMAIL) and not has(F.DID):
            missing.append("e-mail (or DID)")
        return missing

    def require_complete(self) -> None:
        missing = self.missing()
        if missing:
            raise InvalidInput(
                "the column mapping lacks required fields: " + "; ".join(missing),
                missing=missing,
            )


@dataclass(frozen=True, slots=True)
class HeaderMatch:
    header: str
    field: ImportField
    score: float


@dataclass(frozen=True, slots=True)
class MappingSuggestion:
    """A proposed mapping, how sure we are of each column, and what is still missing."""

    mapping: ColumnMapping
    matches: tuple[HeaderMatch, ...]
    unmatched_headers: tuple[str, ...]

    @property
    def missing(self) -> list[str]:
        return self.mapping.missing()


def _score(normalised: str) -> tuple[ImportField, float] | None:
    if not normalised:
        return None
    if normalised in _EXACT:
        target = _EXACT[normalised]
        # "note" is a grade in German and French but a remark in English
        return target, 0.6 if normalised == "note" else 1.0
    if _compact(normalised) in _COMPACT_EXACT:
        return _COMPACT_EXACT[_compact(normalised)], 0.95
    words = normalised.split()
    if any(word in _FOREIGN_WORDS for word in words):
        return None
    organisational = any(word in _ORGANISATION_WORDS for word in words)
    best: tuple[ImportField, float] | None = None
    padded = f" {normalised} "
    for synonym, target in _EXACT.items():
        if len(synonym) < 3 or synonym in ("id", "data", "date", "url", "link", "nom", "note"):
            continue  # too short or generic to find inside a longer header
        if organisational and target not in _ORGANISATION_OK:
            continue
        if f" {synonym} " in padded:
            score = 0.5 + 0.4 * len(synonym.split()) / len(words)
            if best is None or score > best[1]:
                best = (target, score)
    return best


def suggest_mapping(headers: Iterable[str]) -> MappingSuggestion:
    """Propose a mapping from header names; each field and each header used at most once."""
    header_list = list(headers)
    candidates: list[tuple[float, int, ImportField, str]] = []
    for index, header in enumerate(header_list):
        scored = _score(normalise_header(header))
        if scored is not None:
            candidates.append((scored[1], -index, scored[0], header))
    candidates.sort(reverse=True)
    chosen: dict[ImportField, HeaderMatch] = {}
    used: set[str] = set()
    for score, _, target, header in candidates:
        if target in chosen or header in used:
            continue
        chosen[target] = HeaderMatch(header, target, round(score, 2))
        used.add(header)
    _resolve_name_columns(chosen)
    ordered = {f: chosen[f] for f in ImportField if f in chosen}
    mapping = ColumnMapping({f: m.header for f, m in ordered.items()})
    mapped = {m.header for m in ordered.values()}
    return MappingSuggestion(
        mapping=mapping,
        matches=tuple(ordered.values()),
        unmatched_headers=tuple(h for h in header_list if h not in mapped),
    )


def _resolve_name_columns(chosen: dict[ImportField, HeaderMatch]) -> None:
    """Fix the usual name-column patterns after the greedy match.

    - German/Dutch/Nordic exports pair ``Name`` with ``Vorname``: there ``Name`` is the
      family name.
    - A lone given-name or family-name column (Spanish ``Nombre``, French ``Nom``) without
      its partner is most likely the full name.
    """
    given = chosen.get(F.GIVEN_NAME)
    family = chosen.get(F.FAMILY_NAME)
    name = chosen.get(F.NAME)
    if given and not family and name and normalise_header(name.header) in _BARE_NAME_WORDS:
        chosen[F.FAMILY_NAME] = HeaderMatch(name.header, F.FAMILY_NAME, name.score)
        del chosen[F.NAME]
        return
    if name is None and (given is None) != (family is None):
        lone = given or family
        assert lone is not None
        chosen[F.NAME] = HeaderMatch(lone.header, F.NAME, round(lone.score * 0.8, 2))
        chosen.pop(F.GIVEN_NAME, None)
        chosen.pop(F.FAMILY_NAME, None)


_BARE_NAME_WORDS = frozenset({"name", "naam", "namn", "navn", "nimi"})
