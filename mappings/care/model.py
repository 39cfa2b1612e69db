"""The care directory's records (care-search.md "Domain model", after the Swedish eHealth Agency's draft
catalogue model: Organisation, OrganisatoriskEnhet, Plats, Tjänst, Målgrupp, Villkor, Uppdrag, Avtal).

Plain frozen dataclasses; the FHIR shape of each lives in :mod:`mappings.care.fhir` and the table shape in
:mod:`mappings.care.store`. Dates are ISO strings (``YYYY-MM-DD``), an open end is None; references between
records are record ids.

=====================  ==========================================  =========================
Record                 Swedish                                     FHIR resource
=====================  ==========================================  =========================
Organization           Region, vårdgivare, vårdenhet (``kind``)    Organization
Location               Plats                                       Location
CareService            Tjänst, with Målgrupp and Villkor           HealthcareService
Commission             Uppdrag (region orders, provider performs)  OrganizationAffiliation
Agreement              Avtal                                       Contract
WaitingTime            Väntetid                                    MeasureReport
Capacity               Tillfällig ledig kapacitet                  Observation
Event                  Händelse (change history)                   (read through the library and CLI)
=====================  ==========================================  =========================
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Union

import terminology as t


@dataclass(frozen=True, kw_only=True)
class Organization:
    """A region (``kind="region"``, with its län code), a provider (vårdgivare, a legal entity with an
    orgnr) or a unit (vårdenhet, with an HSA-id, part of a provider or region)."""

    id: str
    kind: str
    name: str
    orgnr: str | None = None
    hsa_id: str | None = None
    county: str | None = None
    part_of: str | None = None
    activity_codes: tuple[t.Coding, ...] = ()
    """HSA verksamhetskod(er)."""
    care_forms: tuple[t.Coding, ...] = ()
    """HSA vård- och omsorgsform(er)."""
    opening_hours: str | None = None
    phone: str | None = None
    email: str | None = None
    web: str | None = None
    active: bool = True


@dataclass(frozen=True, kw_only=True)
class Location:
    """A place (plats): address, postal code, kommun and län, WGS84 position; ``unit`` manages it."""

    id: str
    name: str
    unit: str | None = None
    address: str | None = None
    postal_code: str | None = None
    city: str | None = None
    municipality: str | None = None
    county: str | None = None
    lat: float | None = None
    lon: float | None = None
    active: bool = True


@dataclass(frozen=True, kw_only=True)
class Eligibility:
    """Målgrupp: each limit applies only when stated (None = not stated). Ages in whole years; ASA class and
    BMI limits are maxima (care-search.md "Eligibility")."""

    age_min: int | None = None
    age_max: int | None = None
    sex: str | None = None
    asa_max: int | None = None
    bmi_max: float | None = None


@dataclass(frozen=True, kw_only=True)
class CareService:
    """Tjänst: an offered care service of a unit, typed by coded concepts (SNOMED CT, KVÅ, ...)."""

    id: str
    name: str
    unit: str
    types: tuple[t.Coding, ...]
    meeting_forms: tuple[str, ...] = ("physical",)
    description: str | None = None
    valid_from: str | None = None
    valid_to: str | None = None
    locations: tuple[str, ...] = ()
    """Places where it is given; none means the unit's places."""
    eligibility: Eligibility = field(default_factory=Eligibility)
    referral: str | None = None
    """Villkor: ``none``, ``region``, ``profession`` or ``any`` (remiss), None when not stated."""
    payment_commitment: bool = False
    """Villkor: a betalningsförbindelse from the ordering region is needed."""
    conditions: str | None = None
    active: bool = True


@dataclass(frozen=True, kw_only=True)
class Commission:
    """Uppdrag: ``region`` (beställare) orders, ``provider`` (utförare) performs ``services`` for a period."""

    id: str
    region: str
    provider: str
    services: tuple[str, ...]
    valid_from: str | None = None
    valid_to: str | None = None
    name: str | None = None
    active: bool = True


@dataclass(frozen=True, kw_only=True)
class Agreement:
    """Avtal between ``region`` and a provider, covering ``commissions``."""

    id: str
    identifier: str
    """The agreement id (avtals-id) the region uses."""
    region: str
    commissions: tuple[str, ...]
    title: str | None = None
    type: str | None = None
    status: str = "active"
    valid_from: str | None = None
    valid_to: str | None = None
    extension_option: str | None = None
    description: str | None = None
    contact: str | None = None
    document_url: str | None = None
    confidential: bool = False
    registered_by: str | None = None
    """The region that registered it (an organisation id); usually ``region``."""
    channel: str | None = None
    """How it was registered: ``manual``, ``file``, ``api`` or ``generator``."""


@dataclass(frozen=True, kw_only=True)
class WaitingTime:
    """Väntetid of a unit for a service (``service``) or an activity code (``activity``) in a period."""

    id: str
    unit: str
    measure: str
    value: float
    reported: str
    period_start: str | None = None
    period_end: str | None = None
    service: str | None = None
    activity: t.Coding | None = None
    source: str | None = None


@dataclass(frozen=True, kw_only=True)
class Capacity:
    """Tillfällig ledig kapacitet reported by a unit (or region) for a service or activity in a period."""

    id: str
    unit: str
    period_start: str
    period_end: str
    reported_at: str
    service: str | None = None
    activity: t.Coding | None = None
    region: str | None = None
    volume: int | None = None
    available: bool = True
    conditions: str | None = None
    contact: str | None = None


@dataclass(frozen=True)
class Event:
    """Händelse: one change of one record."""

    seq: int
    at: str
    who: str
    channel: str
    action: str
    resource_type: str
    resource_id: str
    version_id: int
    what: str


Record = Union[Organization, Location, CareService, Commission, Agreement, WaitingTime, Capacity]

RESOURCE_TYPES: dict[str, type] = {
    "Organization": Organization, "Location": Location, "HealthcareService": CareService,
    "OrganizationAffiliation": Commission, "Contract": Agreement, "MeasureReport": WaitingTime,
    "Observation": Capacity,
}
"""FHIR resource type -> record class."""

RESOURCE_TYPE_OF = {cls: name for name, cls in RESOURCE_TYPES.items()}


@dataclass(frozen=True)
class Stored:
    """A record as stored, with its version."""

    record: Record
    version_id: int
    last_updated: str


def resource_type(record: Record) -> str:
    """The FHIR resource type of a record."""
    return RESOURCE_TYPE_OF[type(record)]


def changed_fields(old: Record, new: Record) -> list[str]:
    """Names of the fields that differ between two versions of a record (for the change history)."""
    return [f.name for f in fields(new) if getattr(old, f.name) != getattr(new, f.name)]
