"""A deterministic generator of a realistic synthetic care directory (care-search.md "Data").

The same ``seed``, ``size`` and ``today`` give the same records, byte for byte. What is real: the 21
regions (names, län codes), kommuner, postal codes and kommun positions (``geo``), the SNOMED CT concept ids
of the demo terminology (``tests/data/mini``) and the KVÅ, verksamhetskod and vård- och omsorgsform codes
(``codelists``). What is made up: every provider, unit, orgnr and HSA-id (valid format, Luhn check digits),
address, agreement, waiting time and capacity report, and the two ConceptMaps (SNOMED CT -> KVÅ for the care
services, ICD-10-SE / SNOMED CT findings -> care services), which are the project's own content.

Sizes: ``demo`` (about 500 services, every region has agreements in every specialty) and ``care-50k``
(benchmarks.md: 21 regions, ~2,000 providers, ~6,000 units, ~50,000 services, ~10,000 agreements, waiting
times and capacity). The service types are the care-service concepts of the demo terminology (about 60
SNOMED CT concepts and KVÅ codes), not the ~3,000 distinct concepts of the benchmark workload: the demo
terminology has no more.

Relative to ``today``: most agreements are valid, some expired, some not yet started, some end within 90
days; waiting times are fresh (reported within 42 days), stale (older) or missing; capacity reports fall in
the coming weeks. A unit is named after the town it is in.

So that the questions a vårdlots asks first have answers in every region on the day the directory is made
(issue 16), each region has, for every specialty, a unit with a position within 100 km of its biggest town
(not its own hospital), and two *anchor*
agreements that are valid around ``today``, with units that offer the specialty's headline services
(:attr:`Specialty.headline`: kataraktoperation, primär total höftledsplastik, total knäledsplastik, koloskopi,
...) without a validity end, with a fresh waiting time of at most 85 days, and, for MR knä, free capacity in
the coming two weeks. The first anchor is in the region and open to the typical patient (ortopedi: ASA 1-3,
NPF: children 6-17, also digitally); the second limits ortopedi to ASA 1-2, so an ASA 3 patient sees one
provider excluded with the reason.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, replace

import terminology as t

from . import codes as c
from . import geo
from . import model as m
from .codelists import local_code_systems
from .fhir import render


def sct(code: str, display: str) -> t.Coding:
    return t.Coding(c.SNOMED, code, display)


def kva(code: str) -> t.Coding:
    return t.Coding(c.KVA, code, local_code_systems()[c.KVA][code].display)


@dataclass(frozen=True)
class Specialty:
    key: str
    verksamhetskod: str
    word: str
    """Used in made-up clinic names."""
    services: tuple[t.Coding, ...]
    wait_days: tuple[int, int]
    headline: tuple[str, ...] = ()
    """Codes of the services a vårdlots asks for first; every region's anchor agreements cover them."""


SPECIALTIES = (
    Specialty("eye", "1335", "Ögonklinik", (
        sct("110473004", "Kataraktoperation"), sct("415089008", "Fakoemulsifikation av katarakt med linsimplantat"),
        sct("84149000", "Fakoemulsifikation och aspiration av katarakt"),
        sct("860930005", "Kataraktoperation, vänster öga"), sct("860934001", "Kataraktoperation, höger öga"),
        kva("CJE20")), (20, 160), ("110473004",)),
    Specialty("ortho", "1324", "Ortopedi", (
        sct("99900041000052105", "Primär total höftledsplastik"), sct("52734007", "Total höftledsplastik"),
        sct("265160007", "Ocementerad total höftledsplastik"), sct("112727005", "Revision av höftprotes"),
        sct("609588000", "Total knäledsplastik"), sct("179344006", "Primär cementerad total knäledsplastik"),
        sct("99900031000052104", "Revision av total knäledsplastik"), sct("309431009", "Knäartroskopi"),
        sct("84877006", "Knäartroskopi med menisksutur"), sct("42262007", "Total axelledsplastik"),
        kva("NFB49"), kva("NGB49")), (40, 240), ("99900041000052105", "609588000")),
    Specialty("endo", "1130", "Endoskopicenter", (
        sct("73761001", "Koloskopi"), sct("444783004", "Screeningkoloskopi"), sct("446745002", "Koloskopi med biopsi"),
        sct("311774002", "Polypektomi vid koloskopi"), sct("24420007", "Sigmoideoskopi"), sct("76009000", "Gastroskopi"),
        sct("275978004", "Screening för tjocktarmscancer"), kva("UJF32")), (10, 120), ("73761001",)),
    Specialty("colorectal", "1307", "Kirurgi", (
        sct("23968004", "Kolektomi"), sct("43075005", "Partiell kolektomi"), sct("26390003", "Total kolektomi"),
        sct("787874000", "Laparoskopisk total kolektomi"), kva("JFB30"), kva("JFH00")), (14, 90), ("23968004",)),
    Specialty("uro", "1332", "Urologmottagning", (
        sct("90470006", "Prostatektomi"), sct("26294005", "Radikal prostatektomi"),
        sct("99900011000052109", "Laparoskopisk radikal prostatektomi"),
        sct("99900021000052101", "Robotassisterad radikal prostatektomi"),
        sct("65551008", "Radikal retropubisk prostatektomi"), sct("90199006", "Transuretral resektion av prostata"),
        kva("KEC00")), (20, 150), ("90470006",)),
    Specialty("gyn", "1311", "Gynekologimottagning", (
        sct("99900051000052108", "Operation för framfall"), sct("13910004", "Främre och bakre kolporrafi"),
        sct("236886002", "Hysterektomi"), sct("265056007", "Vaginal hysterektomi"), kva("LEF00")), (30, 200),
        ("99900051000052108",)),
    Specialty("mri", "1706", "Röntgen", (sct("241641004", "MR knä"), kva("AN042")), (5, 60), ("241641004",)),
    Specialty("npf", "1020", "NPF-center", (
        sct("99900061000052106", "Neuropsykiatrisk utredning"), sct("99900071000052102", "Utredning av ADHD")),
        (60, 400), ("99900061000052106",)),
)

NAME_PARTS = ("Nord", "Syd", "Väst", "Öst", "Mitt", "Sjö", "Berg", "Ek", "Lind", "Björk", "Gran", "Strand", "Ljus",
              "Klar", "Älv", "Dal", "Ås", "Vik", "Hav", "Skog", "Fjäll", "Ängs", "Sol", "Kust", "Bro", "Torg")
STREETS = ("Storgatan", "Kungsgatan", "Drottninggatan", "Sjukhusvägen", "Vårdvägen", "Parkgatan", "Järnvägsgatan",
           "Skolgatan", "Hamngatan", "Torggatan", "Industrivägen", "Läkarvägen")


@dataclass(frozen=True)
class Size:
    providers: int
    units_per_provider: tuple[int, int]
    hospital_units: tuple[int, int]
    services_per_unit: tuple[int, int]
    agreements_per_region_specialty: tuple[int, int]


SIZES = {
    "demo": Size(providers=40, units_per_provider=(1, 2), hospital_units=(2, 2), services_per_unit=(3, 6),
                 agreements_per_region_specialty=(1, 2)),
    "care-50k": Size(providers=1980, units_per_provider=(2, 4), hospital_units=(3, 5), services_per_unit=(6, 11),
                     agreements_per_region_specialty=(55, 65)),
}


@dataclass(frozen=True)
class Generated:
    """The records in the order they can be stored, and the ConceptMaps that go with them."""

    records: tuple[m.Record, ...]
    concept_maps: tuple[dict, ...]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for r in self.records:
            out[m.resource_type(r)] += 1
        return dict(out)


def generate(size: str = "demo", *, seed: int = 7, today: dt.date | None = None,
             concepts: tuple[t.Coding, ...] | None = None) -> Generated:
    """A synthetic directory of ``size`` (``demo`` or ``care-50k``), the same for the same arguments.

    ``concepts``: type the services with these concepts instead of the demo care-service concepts (dealt
    out over the specialties in turn), e.g. 3,000 procedures of a synthetic International-size release for
    the benchmark workload (benchmarks.md ``care-50k``: ~3,000 distinct service concepts); the first concept
    of each specialty is then its headline service.
    """
    if size not in SIZES:
        raise t.InvalidRequest.plain(f"size must be one of {', '.join(SIZES)}, not {size!r}")
    specialties = SPECIALTIES
    if concepts:
        specialties = tuple(replace(sp, services=tuple(concepts[i::len(SPECIALTIES)]),
                                    headline=(concepts[i].code,)) for i, sp in enumerate(SPECIALTIES))
    return _Builder(SIZES[size], random.Random(seed), today or dt.date.today(), specialties).build()


@dataclass
class _Unit:
    record: m.Organization
    place: m.Location
    owner: m.Organization
    county: str
    specialties: list[Specialty]
    services: list[int]
    """Positions of the unit's services in the builder's record list."""


ANCHOR_FORMS = {"npf": ("physical", "virtual")}
LOCAL_KM = 100
"""A unit this close to the län's biggest town counts as near home for the anchors."""


def _anchor_eligibility(key: str, first: bool) -> m.Eligibility:
    """Eligibility of an anchor's headline services: the first anchor takes the typical patient (an adult;
    ASA 3; a child for NPF), the second limits ortopedi to ASA 1-2 (care-search.md question 2)."""
    return {
        "eye": m.Eligibility(age_min=18),
        "ortho": m.Eligibility(age_min=18, asa_max=3 if first else 2, bmi_max=40.0 if first else 35.0),
        "endo": m.Eligibility(age_min=18),
        "colorectal": m.Eligibility(age_min=18, asa_max=3),
        "uro": m.Eligibility(age_min=18, sex="male"),
        "gyn": m.Eligibility(sex="female"),
        "npf": m.Eligibility(age_min=6, age_max=17) if first else m.Eligibility(age_min=18),
    }.get(key, m.Eligibility())


class _Builder:
    def __init__(self, size: Size, rng: random.Random, today: dt.date, specialties: tuple[Specialty, ...]) -> None:
        self.size, self.rng, self.today, self.specialties = size, rng, today, specialties
        self.munis_by_county: dict[str, list[geo.Municipality]] = defaultdict(list)
        for mu in geo.municipalities().values():
            self.munis_by_county[mu.county].append(mu)
        self.postal_by_muni: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for code, (locality, muni) in sorted(geo.postal_codes().items()):
            self.postal_by_muni[muni].append((code, locality))
        self.records: list[m.Record] = []
        self.regions: dict[str, m.Organization] = {}
        self.providers: list[tuple[m.Organization, list[Specialty]]] = []
        self.units: list[_Unit] = []
        self.unit_names: set[str] = set()
        self.services_by_owner: dict[tuple[str, str], list[str]] = defaultdict(list)
        """(provider or region id, specialty) -> service ids."""
        self.owner_counties: dict[str, set[str]] = defaultdict(set)
        self.anchored: dict[str, bool] = {}
        """Service id -> True for the headline services of a first anchor, False for a second one's."""
        self.serial = 0

    def day(self, offset: int) -> str:
        return (self.today + dt.timedelta(days=offset)).isoformat()

    def build(self) -> Generated:
        for county in sorted(geo.REGION_NAMES):
            self.region(county)
        for i in range(self.size.providers):
            self.provider(i)
        self.local_units()
        anchors = self.anchors()
        self.agreements(anchors)
        services = [r for r in self.records if isinstance(r, m.CareService)]
        self.waits(services)
        self.capacity(services)
        return Generated(tuple(self.records), tuple(concept_maps()))

    # --- organisations and places -------------------------------------------------------------------

    def region(self, county: str) -> None:
        orgnr = c.make_orgnr(f"2321000{int(county):02d}")
        short = geo.counties()[county].short
        region = m.Organization(id=f"region-{county}", kind="region", name=geo.REGION_NAMES[county], orgnr=orgnr,
                                county=county, phone=f"010-{100 + int(county)} 00 00",
                                web=f"https://region-{_slug(short)}.example")
        self.regions[county] = region
        self.records.append(region)
        for j in range(min(self.rng.randint(*self.size.hospital_units), len(self.munis_by_county[county]))):
            specialties = self.rng.sample(self.specialties, k=4)
            self.unit(region, county, specialties, "Universitetssjukhuset" if j == 0 else "Länssjukhuset", j, rank=j)

    def provider(self, i: int) -> None:
        home = self.rng.choice(sorted(geo.REGION_NAMES))
        specialties = self.rng.sample(self.specialties, k=1 if self.rng.random() < 0.8 else 2)
        name = f"{self.rng.choice(NAME_PARTS)}{self.rng.choice(NAME_PARTS).lower()} {specialties[0].word} AB"
        orgnr = c.make_orgnr(f"559{i:06d}")
        provider = m.Organization(id=f"provider-{i:04d}", kind="provider", name=name, orgnr=orgnr,
                                  phone=f"0{self.rng.randint(10, 99)}-{self.rng.randint(100000, 999999)}",
                                  web=f"https://{_slug(name)}.example")
        self.records.append(provider)
        self.providers.append((provider, specialties))
        for j in range(self.rng.randint(*self.size.units_per_provider)):
            county = home if j == 0 or self.rng.random() < 0.7 else self.rng.choice(sorted(geo.REGION_NAMES))
            self.unit(provider, county, specialties, name.removesuffix(" AB"), j)

    def unit(self, owner: m.Organization, county: str, specialties: list[Specialty], prefix: str, j: int, *,
             located: bool = False, services: tuple[int, int] | None = None, rank: int | None = None) -> _Unit:
        """A unit named after the town its place is in ("Klarhav Endoskopicenter Motala" is in Motala); ``rank``
        puts it in the län's biggest kommun (0), second biggest (1), ...; ``services``: how many it offers."""
        where = self.place(county, located, prefix, rank)
        name = f"{prefix} {where[2]}"
        if name in self.unit_names:  # a second unit of the owner in a one-kommun län
            name = f"{name} {sum(1 for x in self.unit_names if x.startswith(name)) + 1}"
        self.unit_names.add(name)
        digits = owner.orgnr.replace("-", "") if owner.orgnr else "0000000000"
        unit_id = f"{owner.id}-unit-{j + 1}"
        unit = m.Organization(
            id=unit_id, kind="unit", name=name, hsa_id=f"SE{digits}-{'E' if owner.kind == 'region' else 'P'}{j + 1:03d}",
            part_of=owner.id,
            activity_codes=tuple(t.Coding(c.VERKSAMHETSKOD, s.verksamhetskod) for s in specialties),
            care_forms=(t.Coding(c.VARDFORM, "01"),) + ((t.Coding(c.VARDFORM, "02"),) if owner.kind == "region" else ()),
            opening_hours=self.rng.choice(("Mån–fre 08–17", "Mån–tors 07.30–16.30, fre 07.30–15", "Alla dagar 08–20")),
            phone=f"0{self.rng.randint(10, 99)}-{self.rng.randint(100000, 999999)}")
        self.records.append(unit)
        self.owner_counties[owner.id].add(county)
        loc = self.location(unit_id, county, name, where)
        made = _Unit(unit, loc, owner, county, list(specialties), [])
        self.units.append(made)
        offered = [(s, x) for s in specialties for x in s.services]
        how_many = services or self.size.services_per_unit
        k = min(len(offered), self.rng.randint(*how_many))
        chosen = self.rng.sample(offered, k)
        if how_many[1] > len(offered):
            extra = self.rng.randint(0, max(0, how_many[1] - len(offered)))
            chosen += [self.rng.choice(offered) for _ in range(extra)]
        for specialty, coding in chosen:
            self.service(made, specialty, coding)
        return made

    def place(self, county: str, located: bool, prefix: str, rank: int | None = None
              ) -> tuple[geo.Municipality, str | None, str, float | None, float | None]:
        """(kommun, postal code, town, lat, lon) in the län: the kommun's main town (the locality named like
        the kommun, else its most common one) and a position near the kommun's point; 3% of places have no
        position unless ``located``. A town the prefix already has a unit in is avoided when there is another.
        ``rank`` picks the kommun by size (the number of its postal codes stands in for its population)."""
        munis = [mu for mu in self.munis_by_county[county] if mu.lat is not None] if located \
            else self.munis_by_county[county]
        if rank is not None:
            mu = self.by_size(munis)[min(rank, len(munis) - 1)]
            return (mu, *self.town(mu), *self.near(mu, True))
        mu = self.rng.choice(munis)
        for _ in range(5):
            if f"{prefix} {self.town(mu)[1]}" not in self.unit_names:
                break
            mu = self.rng.choice(munis)
        return (mu, *self.town(mu), *self.near(mu, located))

    def by_size(self, munis: list[geo.Municipality]) -> list[geo.Municipality]:
        """Kommuner biggest first (the number of postal codes stands in for the population)."""
        return sorted(munis, key=lambda x: (-len(self.postal_by_muni.get(x.code, ())), x.code))

    def hub(self, county: str) -> tuple[float, float]:
        """The point of the län's biggest kommun that has one."""
        mu = self.by_size([x for x in self.munis_by_county[county] if x.lat is not None])[0]
        return mu.lat, mu.lon

    def near(self, mu: geo.Municipality, located: bool) -> tuple[float | None, float | None]:
        """A position a few km from the kommun's point (none for 3% of places unless ``located``)."""
        if mu.lat is None or not located and self.rng.random() <= 0.03:
            return None, None
        return round(mu.lat + self.rng.uniform(-0.04, 0.04), 5), round(mu.lon + self.rng.uniform(-0.07, 0.07), 5)

    def town(self, mu: geo.Municipality) -> tuple[str | None, str]:
        """(a postal code, the town) of a kommun's main town."""
        postal = self.postal_by_muni.get(mu.code)
        if not postal:
            return None, mu.short
        towns = Counter(locality for _, locality in postal)
        town = mu.short if mu.short.upper() in {x.upper() for x in towns} else towns.most_common(1)[0][0]
        code = next(code for code, locality in postal if locality.upper() == town.upper())
        return code, town.title() if town.isupper() else town

    def location(self, unit_id: str, county: str, name: str, where) -> m.Location:
        mu, code, town, lat, lon = where
        loc = m.Location(id=f"{unit_id}-place", name=name, unit=unit_id,
                         address=f"{self.rng.choice(STREETS)} {self.rng.randint(1, 80)}", postal_code=code,
                         city=town, municipality=mu.code, county=county, lat=lat, lon=lon)
        self.records.append(loc)
        return loc

    def service(self, unit: _Unit, specialty: Specialty, coding: t.Coding) -> None:
        rng = self.rng
        self.serial += 1
        e = m.Eligibility()
        forms: tuple[str, ...] = ("physical",)
        referral = rng.choice(("region", "region", "profession", "none"))
        if specialty.key in ("eye", "endo", "colorectal") and rng.random() < 0.6:
            e = replace(e, age_min=18)
        if specialty.key in ("ortho", "colorectal", "gyn") and rng.random() < 0.7:
            e = replace(e, asa_max=rng.choice((2, 3)), age_min=18)
        if specialty.key in ("ortho", "gyn") and rng.random() < 0.5:
            e = replace(e, bmi_max=rng.choice((35.0, 40.0)))
        if specialty.key == "uro":
            e = replace(e, sex="male", age_min=18)
        if specialty.key == "gyn":
            e = replace(e, sex="female")
        if specialty.key == "npf":
            e = replace(e, age_min=rng.choice((0, 6)), age_max=17) if rng.random() < 0.7 else replace(e, age_min=18)
            forms = ("physical", "virtual") if rng.random() < 0.7 else ("virtual",)
            referral = rng.choice(("region", "profession"))
        valid_from = valid_to = None
        roll = rng.random()
        if roll < 0.03:
            valid_from, valid_to = self.day(-900), self.day(-rng.randint(1, 200))
        elif roll < 0.05:
            valid_from = self.day(rng.randint(1, 120))
        name = unit.record.name
        service = m.CareService(
            id=f"hs-{self.serial:06d}", name=f"{coding.display} – {name}", unit=unit.record.id, types=(coding,),
            meeting_forms=forms, valid_from=valid_from, valid_to=valid_to, locations=(unit.place.id,), eligibility=e,
            referral=referral, payment_commitment=rng.random() < 0.3,
            conditions="Remissen ska innehålla aktuell medicinlista." if rng.random() < 0.2 else None,
            description=f"{coding.display} vid {name}.")
        unit.services.append(len(self.records))
        self.records.append(service)
        self.services_by_owner[(unit.owner.id, specialty.key)].append(service.id)

    def local_units(self) -> None:
        """Every län gets, for every specialty, a unit with a position within 100 km of its biggest town that
        another owner than its own region runs (a provider of the specialty opens one in that town when there
        is none): the distance questions have an answer near home."""
        for county in sorted(self.regions):
            for sp in self.specialties:
                if self._local(county, sp):
                    continue
                offering = [(p, sps) for p, sps in self.providers if sp in sps]
                provider, _ = self.rng.choice(offering) if offering else self.rng.choice(self.providers)
                j = sum(1 for u in self.units if u.owner.id == provider.id)
                self.unit(provider, county, [sp], provider.name.removesuffix(" AB"), j, located=True,
                          services=(1, 3), rank=0)

    def _local(self, county: str, sp: Specialty) -> list[_Unit]:
        hub = self.hub(county)
        return [u for u in self.units if u.county == county and sp in u.specialties and u.place.lat is not None
                and u.owner.id != self.regions[county].id
                and geo.haversine_km(hub, (u.place.lat, u.place.lon)) <= LOCAL_KM]

    # --- agreements --------------------------------------------------------------------------------------

    def anchors(self) -> dict[tuple[str, str], list[_Unit]]:
        """(län, specialty) -> the two units of different owners whose headline services the region's anchor
        agreements cover: one in the län, the other the nearest one elsewhere (or in the län)."""
        out: dict[tuple[str, str], list[_Unit]] = {}
        for county in sorted(self.regions):
            own = self.regions[county].id
            for sp in self.specialties:
                first = self.rng.choice(self._local(county, sp))
                others = [u for u in self.units if sp in u.specialties and u.place.lat is not None
                          and u.owner.id not in (own, first.owner.id)]
                point = (first.place.lat, first.place.lon)
                second = min(others, key=lambda u: (geo.haversine_km(point, (u.place.lat, u.place.lon)), u.record.id),
                             default=None)
                out[(county, sp.key)] = [first] + ([second] if second is not None else [])
                for rank, unit in enumerate(out[(county, sp.key)]):
                    self.headline(unit, sp, first=rank == 0)
        return out

    def headline(self, unit: _Unit, sp: Specialty, *, first: bool) -> None:
        """Make the unit offer the specialty's headline services, valid without end, to the anchor's patients."""
        for code in sp.headline:
            have = [i for i in unit.services if self.records[i].types[0].code == code]
            if not have:
                self.service(unit, sp, next(x for x in sp.services if x.code == code))
                have = [unit.services[-1]]
            for i in have:
                old = self.records[i]
                if self.anchored.get(old.id) is True:
                    continue  # a first anchor of another län keeps the more open terms
                self.records[i] = replace(old, valid_from=None, valid_to=None,
                                          eligibility=_anchor_eligibility(sp.key, first),
                                          meeting_forms=ANCHOR_FORMS.get(sp.key, ("physical",)))
                self.anchored[old.id] = first

    def agreements(self, anchors: dict[tuple[str, str], list[_Unit]]) -> None:
        rng = self.rng
        owners_by_specialty: dict[str, list[str]] = defaultdict(list)
        for (owner, key) in sorted(self.services_by_owner):
            owners_by_specialty[key].append(owner)
        number = 0
        for county, region in self.regions.items():
            for specialty in self.specialties:
                anchored = [u.owner.id for u in anchors[(county, specialty.key)]]
                for owner in anchored:
                    number += 1
                    self.agreement(region, owner, specialty, number, anchor=True)
                candidates = [o for o in owners_by_specialty[specialty.key] if o != region.id and o not in anchored]
                local = [o for o in candidates if county in self.owner_counties[o]]
                k = min(len(candidates), rng.randint(*self.size.agreements_per_region_specialty))
                picked = list(dict.fromkeys(rng.sample(local, min(len(local), (k + 1) // 2)) +
                                            rng.sample(candidates, k)))[:k]
                for owner in picked:
                    number += 1
                    self.agreement(region, owner, specialty, number)

    def agreement(self, region: m.Organization, owner: str, specialty: Specialty, number: int, *,
                  anchor: bool = False) -> None:
        """An agreement of the region with the owner for the specialty; an anchor covers every service of it and
        is valid around today (started up to two years ago, ending in 4 to 33 months), else it may be expired,
        not yet started, ending within 90 days, terminated or confidential."""
        rng = self.rng
        services = self.services_by_owner[(owner, specialty.key)]
        covered = services if anchor else [s for s in services if rng.random() < 0.9] or services[:1]
        roll = rng.random()
        length = rng.choice((730, 1095, 1460))
        if anchor:
            end_day = rng.randint(120, 1000)
            length = max(length, end_day + rng.randint(30, 700))
        elif roll < 0.08:
            end_day = rng.randint(0, 90)
        elif roll < 0.13:
            end_day = -rng.randint(1, 300)
        elif roll < 0.17:
            end_day = rng.randint(1, 90) + length
        else:
            end_day = rng.randint(100, 1000)
        start, end = self.day(end_day - length), self.day(end_day)
        status = "terminated" if not anchor and rng.random() < 0.02 else "executed"
        regional = owner.startswith("region-")
        short = geo.counties()[region.county].short
        commission = m.Commission(id=f"oa-{number:05d}", region=region.id, provider=owner,
                                  services=tuple(covered), valid_from=start, valid_to=end,
                                  name=f"Uppdrag {specialty.word.lower()}")
        agreement = m.Agreement(
            id=f"ct-{number:05d}", identifier=f"{_letters(short)}-{start[:4]}-{number:04d}", region=region.id,
            commissions=(commission.id,), title=f"{specialty.word} – {region.name}",
            type="samverkan" if regional else rng.choice(("upphandlat", "upphandlat", "vardval", "vardavtal")),
            status=status, valid_from=start, valid_to=end,
            extension_option=rng.choice((None, "Option att förlänga 1 + 1 år", "Option att förlänga 2 år")),
            description=f"Avtal om {specialty.word.lower()} för patienter från {region.name}.",
            contact=f"avtal@region-{_slug(short)}.example", document_url=f"https://avtal.example/{number:05d}.pdf",
            confidential=not anchor and rng.random() < 0.1, registered_by=region.id,
            channel=rng.choice(("manual", "file", "api")))
        self.records += [commission, agreement]

    # --- waiting times and capacity ---------------------------------------------------------------------

    def waits(self, services: list[m.CareService]) -> None:
        """Fresh, stale or missing waits; an anchor's headline services have a fresh one of at most 85 days."""
        rng = self.rng
        specialty_of = {x: s for s in self.specialties for x in s.services}
        for service in services:
            anchor = service.id in self.anchored
            roll = rng.random()
            if roll < 0.15 and not anchor:
                continue
            age = rng.randint(0, 28) if anchor else rng.randint(0, 42) if roll < 0.8 else rng.randint(43, 200)
            reported = self.day(-age)
            coding = service.types[0]
            low, high = specialty_of[coding].wait_days
            by_activity = coding.system == c.KVA
            month_start = (dt.date.fromisoformat(reported).replace(day=1) - dt.timedelta(days=1)).replace(day=1)
            month_end = dt.date.fromisoformat(reported).replace(day=1) - dt.timedelta(days=1)
            base = dict(unit=service.unit, reported=reported, period_start=month_start.isoformat(),
                        period_end=month_end.isoformat(), service=None if by_activity else service.id,
                        activity=coding if by_activity else None,
                        source=rng.choice(("Väntetider i vården", "Enhetens rapport", "Regionens uppföljning")))
            days = rng.randint(low, max(low, min(high, 85))) if anchor else rng.randint(low, high)
            self.records.append(m.WaitingTime(id=f"mr-{service.id}", measure="current-estimate", value=days, **base))
            if rng.random() < 0.3:
                share = max(0, min(100, round(100 - days / 3)))
                self.records.append(m.WaitingTime(id=f"mr-{service.id}-90", measure="share-within-90", value=share,
                                                  **base))

    def capacity(self, services: list[m.CareService]) -> None:
        """Reports of free capacity in the coming weeks; an anchor's MR knä has some in the coming two weeks."""
        rng = self.rng
        headline_mri = {code for sp in self.specialties if sp.key == "mri" for code in sp.headline}
        for service in services:
            anchor = service.id in self.anchored and service.types[0].code in headline_mri
            chance = 0.4 if service.types[0].code in ("241641004", "AN042") else 0.05
            if rng.random() >= chance and not anchor:
                continue
            start = -rng.randint(0, 3) if anchor else rng.randint(-5, 20)
            end = rng.randint(14, 30) if anchor else start + rng.randint(3, 30)
            volume = rng.choice((None, rng.randint(1, 20)))
            self.records.append(m.Capacity(
                id=f"obs-{service.id}", unit=service.unit, service=service.id, period_start=self.day(start),
                period_end=self.day(end),
                reported_at=f"{self.day(min(0, start) - rng.randint(0, 5))}T08:00:00+01:00", volume=volume,
                available=True, conditions="Gäller patienter med remiss." if rng.random() < 0.3 else None,
                contact=f"kapacitet@{service.unit}.example"))


def _slug(text: str) -> str:
    table = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", " ": "-", "–": "-"})
    return "".join(ch for ch in text.lower().translate(table) if ch.isalnum() or ch == "-").strip("-")


def _letters(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalpha())[:3]


# --- ConceptMaps ---------------------------------------------------------------------------------------


def concept_maps() -> list[dict]:
    """The project's own example maps (R5 ConceptMap JSON) for ``mapped`` hits."""
    snomed_kva = [
        ("110473004", [("CJE20", "source-is-broader-than-target"), ("CJE00", "source-is-broader-than-target")]),
        ("415089008", [("CJE20", "equivalent")]), ("84149000", [("CJE00", "equivalent")]),
        ("99900041000052105", [("NFB29", "source-is-broader-than-target"),
                               ("NFB49", "source-is-broader-than-target")]),
        ("179344006", [("NGB49", "equivalent")]), ("609588000", [("NGB49", "source-is-broader-than-target")]),
        ("73761001", [("UJF32", "equivalent")]), ("446745002", [("UJF35", "equivalent")]),
        ("24420007", [("UJF42", "related-to")]), ("26294005", [("KEC00", "source-is-broader-than-target")]),
        ("99900051000052108", [("LEF96", "source-is-broader-than-target"), ("LEF00", "source-is-broader-than-target")]),
        ("241641004", [("AN042", "equivalent")]), ("43075005", [("JFB30", "source-is-broader-than-target")]),
        ("26390003", [("JFH00", "source-is-broader-than-target")]),
    ]
    care = [
        (c.ICD10SE, "C18", "Malign tumör i tjocktarmen", ["73761001", "275978004", "23968004", "43075005"]),
        (c.ICD10SE, "H25", "Åldersstarr", ["110473004"]), (c.ICD10SE, "H26", "Annan katarakt", ["110473004"]),
        (c.ICD10SE, "M16", "Koxartros [höftledsartros]", ["52734007"]),
        (c.ICD10SE, "M17", "Gonartros [knäledsartros]", ["609588000"]),
        (c.ICD10SE, "N81", "Framfall av kvinnliga könsorgan", ["99900051000052108"]),
        (c.ICD10SE, "F90", "Hyperaktivitetsstörningar", ["99900071000052102"]),
        (c.SNOMED, "363406005", "Tjocktarmscancer", ["73761001", "275978004", "23968004"]),
        (c.SNOMED, "193570009", "Katarakt", ["110473004"]),
    ]
    kva_codes = local_code_systems()[c.KVA]
    groups_care: dict[str, list[dict]] = defaultdict(list)
    for system, code, display, targets in care:
        groups_care[system].append({"code": code, "display": display, "target": [
            {"code": x, "relationship": "related-to"} for x in targets]})
    return [
        {"resourceType": "ConceptMap", "url": f"{c.NS}/ConceptMap/care-snomed-kva", "version": "1.0.0",
         "name": "CareServicesSnomedToKva", "title": "Vårdtjänster: SNOMED CT till KVÅ", "status": "active",
         "description": "The project's own example map from the demo care-service concepts to KVÅ codes.",
         "group": [{"source": c.SNOMED, "target": c.KVA, "element": [
             {"code": code, "target": [{"code": k, "display": kva_codes[k].display, "relationship": rel}
                                       for k, rel in targets]} for code, targets in snomed_kva]}]},
        {"resourceType": "ConceptMap", "url": f"{c.NS}/ConceptMap/care-pathways", "version": "1.0.0",
         "name": "CarePathways", "title": "Vårdtjänster vid diagnos (utredning och behandling)", "status": "active",
         "description": "The project's own example map from diagnoses (ICD-10-SE, SNOMED CT findings) to the care "
                        "services used to investigate and treat them.",
         "group": [{"source": system, "target": c.SNOMED, "element": elements}
                   for system, elements in groups_care.items()]},
    ]


def to_bundle(records: tuple[m.Record, ...] | list[m.Record]) -> dict:
    """A transaction Bundle (R5) that creates or replaces the records with their ids (PUT)."""
    entries = []
    for r in records:
        resource = render(m.Stored(r, 1, ""))
        meta = {k: v for k, v in resource.pop("meta").items() if k not in ("versionId", "lastUpdated")}
        if meta:
            resource["meta"] = meta
        rtype = m.resource_type(r)
        entries.append({"resource": resource, "request": {"method": "PUT", "url": f"{rtype}/{r.id}"}})
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}
