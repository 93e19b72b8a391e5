"""Identifiers the European Learning Model (ELM v3) fixes: contexts, classes and concepts.

The concept IRIs below are the ones the official ELM v3 sample credentials use (European
Commission, European-Learning-Model repository, ``Sample-MC-Annex1-unsigned.jsonld``,
``Sample-CertOfPart-unsigned.jsonld``): they are identifiers a standard fixes, copied here so
that the package never reads the reference material at run time. Where the EU vocabulary has
a concept we do not know the IRI of (for example the learning mode "onsite"), the exporter
writes a local ``urn:microcred:concept:...`` concept *in the official concept scheme* with an
English label, as the EDC issuer itself does for local concepts (``urn:epass:...``).

Country codes: the EU Publications Office "country" authority table uses ISO 3166-1
alpha-3 codes (``.../country/IRL``); our issuer profiles carry alpha-2 codes, mapped by
:data:`ALPHA3` (EU and EEA members, candidate countries, Switzerland and the United Kingdom).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ALPHA3",
    "ASSESSMENT_TYPE_SCHEME",
    "COUNTRY_SCHEME",
    "CREDENTIAL_TYPE_GENERIC",
    "CREDENTIAL_TYPE_SCHEME",
    "EDC_GENERIC_FULL",
    "ENCODING_BASE64",
    "ENCODING_SCHEME",
    "FILE_TYPE_PNG",
    "FILE_TYPE_SCHEME",
    "EDC_GENERIC_NO_CV",
    "ELM_CONTEXT",
    "ELM_CONTEXTS",
    "ECTS_LABEL",
    "EQF_SCHEME",
    "ESCO_SKILLS_SCHEME",
    "CREDIT_SCHEME",
    "LANGUAGE_ENGLISH",
    "LANGUAGE_SCHEME",
    "LEARNING_OPPORTUNITY_SCHEME",
    "LEARNING_SETTING_NON_FORMAL",
    "LEARNING_SETTING_SCHEME",
    "MODE_CONCEPTS",
    "MODE_SCHEME",
    "SHORT_LEARNING_PROGRAMME",
    "SUPERVISION_CONCEPTS",
    "SUPERVISION_SCHEME",
    "VC_V1",
    "concept",
    "country_concept",
]

#: The W3C VC 1.1 context every EDC credential starts with.
VC_V1 = "https://www.w3.org/2018/credentials/v1"
#: The EDC application profile context (served at this URL by the EU; not bundled, see ADR 0006).
ELM_CONTEXT = "http://data.europa.eu/snb/model/context/edc-ap"
ELM_CONTEXTS = (VC_V1, ELM_CONTEXT)

#: ``credentialSchema`` ids of EDC credentials (SHACL shapes of the application profile).
EDC_GENERIC_FULL = "http://data.europa.eu/snb/model/ap/edc-generic-full"
EDC_GENERIC_NO_CV = "http://data.europa.eu/snb/model/ap/edc-generic-no-cv"

CREDENTIAL_TYPE_SCHEME = "http://data.europa.eu/snb/credential/25831c2"
CREDENTIAL_TYPE_GENERIC = "http://data.europa.eu/snb/credential/e34929035b"

COUNTRY_SCHEME = "http://publications.europa.eu/resource/authority/country"
LANGUAGE_SCHEME = "http://publications.europa.eu/resource/authority/language"
LANGUAGE_ENGLISH = "http://publications.europa.eu/resource/authority/language/ENG"

EQF_SCHEME = "http://data.europa.eu/snb/eqf/25831c2"
CREDIT_SCHEME = "http://data.europa.eu/snb/education-credit/25831c2"
ECTS_LABEL = "European Credit Transfer System"
ESCO_SKILLS_SCHEME = "http://data.europa.eu/esco/concept-scheme/skills"

MODE_SCHEME = "http://data.europa.eu/snb/learning-assessment/25831c2"
#: form of participation -> (concept IRI, English label)
MODE_CONCEPTS: dict[str, tuple[str, str]] = {
    "online": ("http://data.europa.eu/snb/learning-assessment/920fbb3cbe", "Online"),
    "blended": ("http://data.europa.eu/snb/learning-assessment/e92d221e4d", "Blended"),
    "onsite": ("urn:microcred:concept:learning-assessment:onsite", "Onsite"),
}

LEARNING_SETTING_SCHEME = "http://data.europa.eu/snb/learning-setting/25831c2"
LEARNING_SETTING_NON_FORMAL = "http://data.europa.eu/snb/learning-setting/e207a81fc7"

LEARNING_OPPORTUNITY_SCHEME = "http://data.europa.eu/snb/learning-opportunity/25831c2"
SHORT_LEARNING_PROGRAMME = "http://data.europa.eu/snb/learning-opportunity/74a4a268e8"

SUPERVISION_SCHEME = "http://data.europa.eu/snb/supervision-verification/25831c2"
#: supervision and identity verification -> (concept IRI, English label)
SUPERVISION_CONCEPTS: dict[str, tuple[str, str]] = {
    "unsupervised-no-id-verification": (
        "http://data.europa.eu/snb/supervision-verification/c598449d64",
        "Unsupervised without ID Verification",
    ),
    "supervised-no-id-verification": (
        "urn:microcred:concept:supervision-verification:supervised-no-id",
        "Supervised without ID Verification",
    ),
    "supervised-with-id-verification": (
        "urn:microcred:concept:supervision-verification:supervised-with-id",
        "Supervised with ID Verification",
    ),
}

ENCODING_SCHEME = "http://data.europa.eu/snb/encoding/25831c2"
ENCODING_BASE64 = "http://data.europa.eu/snb/encoding/6146cde7dd"
FILE_TYPE_SCHEME = "http://publications.europa.eu/resource/authority/file-type"
FILE_TYPE_PNG = "http://publications.europa.eu/resource/authority/file-type/PNG"

#: Type of assessment is free text in our definitions: a local scheme, as in the Annex I sample.
ASSESSMENT_TYPE_SCHEME = "urn:microcred:concept-scheme:assessment-type"

#: ISO 3166-1 alpha-2 -> alpha-3 (EU, EEA, candidates, CH, GB).
ALPHA3: dict[str, str] = {
    "AT": "AUT", "BE": "BEL", "BG": "BGR", "HR": "HRV", "CY": "CYP", "CZ": "CZE",
    "DK": "DNK", "EE": "EST", "FI": "FIN", "FR": "FRA", "DE": "DEU", "GR": "GRC",
    "HU": "HUN", "IE": "IRL", "IT": "ITA", "LV": "LVA", "LT": "LTU", "LU": "LUX",
    "MT": "MLT", "NL": "NLD", "PL": "POL", "PT": "PRT", "RO": "ROU", "SK": "SVK",
    "SI": "SVN", "ES": "ESP", "SE": "SWE", "IS": "ISL", "LI": "LIE", "NO": "NOR",
    "CH": "CHE", "GB": "GBR", "AL": "ALB", "BA": "BIH", "GE": "GEO", "MD": "MDA",
    "ME": "MNE", "MK": "MKD", "RS": "SRB", "TR": "TUR", "UA": "UKR", "XK": "XKX",
}  # fmt: skip


def concept(iri: str, scheme: str, label: str | None = None) -> dict[str, Any]:
    """An ELM ``Concept`` node in ``scheme`` with an optional English ``prefLabel``."""
    node: dict[str, Any] = {
        "id": iri,
        "type": "Concept",
        "inScheme": {"id": scheme, "type": "ConceptScheme"},
    }
    if label:
        node["prefLabel"] = {"en": label}
    return node


def country_concept(alpha2: str, label: str | None = None) -> dict[str, Any] | None:
    """The country authority concept of an ISO 3166-1 alpha-2 code, or ``None`` if unknown."""
    alpha3 = ALPHA3.get(alpha2.upper())
    if alpha3 is None:
        return None
    node = concept(f"{COUNTRY_SCHEME}/{alpha3}", COUNTRY_SCHEME, label)
    node["notation"] = "country"
    return node
