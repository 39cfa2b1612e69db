"""Identifier systems, code systems and identifier formats of the care directory (care-search.md "Domain model").

Identifier formats checked on every write:

* **Organisationsnummer** (``urn:oid:2.5.4.97``): ten digits ``NNNNNN-NNNN`` (the hyphen optional, a
  ``16`` century prefix accepted), the last digit a Luhn (mod 10) check digit over the first nine, as
  Bolagsverket and Skatteverket define it. Stored as ``NNNNNN-NNNN``.
* **HSA-id** (``urn:oid:1.2.752.29.4.19``; the older ``urn:oid:1.2.752.129.2.1.4.1`` is accepted and
  stored under the first): ``SE`` + the ten-digit orgnr of the issuing organisation + ``-`` + a suffix of
  letters or digits, the whole id at most 31 characters, so the suffix has 1 to 18 (Inera's HSA-id format);
  the embedded orgnr must pass the Luhn check too.

Code systems the care directory speaks (URIs as in ``../shared/data/se-codes/README.md``): SNOMED CT, KVÅ,
ICD-10-SE, HSA verksamhetskod and vård- och omsorgsform. Codes of the project's own small vocabularies
(meeting form, waiting-time measure, agreement type, ...) live under :data:`NS`, a placeholder namespace
(``.example`` is reserved by RFC 2606) until the project has a published canonical base.
"""

from __future__ import annotations

import re

import terminology as t

SNOMED = t.snomed.SYSTEM
KVA = "urn:oid:1.2.752.116.1.3.2.1.4"
ICD10SE = "urn:oid:1.2.752.116.1.1.1.1.3"
VERKSAMHETSKOD = "urn:oid:1.2.752.129.2.2.1.3"
VARDFORM = "urn:oid:1.2.752.129.2.2.1.13"

ORGNR_SYSTEM = "urn:oid:2.5.4.97"
HSA_SYSTEM = "urn:oid:1.2.752.29.4.19"
HSA_SYSTEMS = (HSA_SYSTEM, "urn:oid:1.2.752.129.2.1.4.1")

NS = "https://vardterm.example/fhir"
"""Base of the project's own StructureDefinition, CodeSystem and NamingSystem URLs."""

COUNTY_SYSTEM = f"{NS}/CodeSystem/lanskod"
MUNICIPALITY_SYSTEM = f"{NS}/CodeSystem/kommunkod"
ORG_KIND_SYSTEM = f"{NS}/CodeSystem/organisation-kind"
MEETING_FORM_SYSTEM = f"{NS}/CodeSystem/meeting-form"
MEASURE_SYSTEM = f"{NS}/CodeSystem/waiting-time-measure"
AGREEMENT_TYPE_SYSTEM = f"{NS}/CodeSystem/agreement-type"
CHANNEL_SYSTEM = f"{NS}/CodeSystem/channel"
REFERRAL_SYSTEM = f"{NS}/CodeSystem/referral"
CAPACITY_CODE = (f"{NS}/CodeSystem/care-observation", "temporary-free-capacity")
AGREEMENT_ID_SYSTEM = f"{NS}/NamingSystem/agreement-id"
CONFIDENTIALITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
GENDER_SYSTEM = "http://hl7.org/fhir/administrative-gender"

ORG_KINDS = ("region", "provider", "unit")
MEETING_FORMS = ("physical", "virtual")
SEXES = ("female", "male")
MEASURES = {
    "current-estimate": ("Aktuell väntetid (uppskattning)", "d"),
    "median-completed": ("Median för genomförda", "d"),
    "share-within-90": ("Andel inom 90 dagar", "%"),
    "number-waiting": ("Antal väntande", "{st}"),
}
"""Waiting-time measures: code -> (Swedish label, UCUM unit). The first two are waits in days."""
WAIT_MEASURES_IN_DAYS = ("current-estimate", "median-completed")
AGREEMENT_TYPES = {
    "vardavtal": "Vårdavtal",
    "upphandlat": "Upphandlat avtal (LOU)",
    "vardval": "Vårdval (LOV)",
    "samverkan": "Samverkansavtal mellan regioner",
    "riksavtal": "Utomlänsvård enligt riksavtalet",
}
AGREEMENT_STATUSES = ("draft", "active", "suspended", "terminated", "cancelled")
CHANNELS = ("manual", "file", "api", "generator")
REFERRALS = {"none": "Ingen remiss krävs", "region": "Remiss från regionen krävs",
             "profession": "Remiss från läkare krävs", "any": "Remiss krävs"}

_DIGITS = re.compile(r"\d+")
_ORGNR = re.compile(r"(?:16)?(\d{6})-?(\d{4})")
HSA_ID_MAX_LENGTH = 31
_HSA = re.compile(r"SE(\d{10})-([A-Za-z0-9]+)")


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check used by Swedish personnummer and organisationsnummer."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def luhn_digit(first_nine: str) -> str:
    """The check digit that makes ``first_nine`` + digit Luhn-valid."""
    for d in "0123456789":
        if luhn_ok(first_nine + d):
            return d
    raise AssertionError("unreachable")  # pragma: no cover


def orgnr_problem(value: str) -> str | None:
    """Why ``value`` is not an organisationsnummer, or None."""
    m = _ORGNR.fullmatch(value.strip())
    if not m:
        return f"'{value}' is not an organisationsnummer (NNNNNN-NNNN, ten digits)"
    if not luhn_ok(m.group(1) + m.group(2)):
        return f"'{value}' is not an organisationsnummer: the check digit (Luhn) is wrong"
    return None


def normal_orgnr(value: str) -> str:
    """``value`` (already checked) as ``NNNNNN-NNNN``."""
    m = _ORGNR.fullmatch(value.strip())
    assert m is not None
    return f"{m.group(1)}-{m.group(2)}"


def hsa_problem(value: str) -> str | None:
    """Why ``value`` is not an HSA-id, or None."""
    m = _HSA.fullmatch(value.strip())
    if not m:
        return f"'{value}' is not an HSA-id (SE + ten-digit organisationsnummer + '-' + letters or digits)"
    if len(value.strip()) > HSA_ID_MAX_LENGTH:
        return (f"'{value}' is not an HSA-id: it has {len(value.strip())} characters, an HSA-id has at most "
                f"{HSA_ID_MAX_LENGTH} characters")
    if not luhn_ok(m.group(1)):
        return f"'{value}' is not an HSA-id: the organisationsnummer in it has a wrong check digit"
    return None


def make_orgnr(first_nine: str) -> str:
    """An organisationsnummer from its first nine digits (for generated data)."""
    return f"{first_nine[:6]}-{first_nine[6:]}{luhn_digit(first_nine)}"
