"""Generator parameters and the shape profile derived from them (synthetic-rf2.md §6.3, §6.4, §6.5).

``SynthParams`` is the public parameter object. ``Profile`` turns it into concrete counts: concepts per
top-level hierarchy (the §2.1 mix), inactive concepts (``inactive_ratio`` and the §2.1 inactive mix),
the V1 → V2 change volume (§6.5, scaled from the July 2025 figures) and the Swedish extension sizes
(§6.4). Every count scales linearly with the number of active concepts, with small floors so the
1 % CI profile still exercises each feature.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from terminology import snomed as s

INTL_ACTIVE = 370_000
CI_ACTIVE = 3_700
SCALES = {"ci": CI_ACTIVE, "intl": INTL_ACTIVE}

HISTORY_START = 20020131
INT_V1, INT_V2 = 20250601, 20250701
SE_V1, SE_V2 = 20250531, 20251130
INT_MODULES = (s.CORE_MODULE, s.MODEL_MODULE)
"""The modules of the International package."""
OWL_START = 20190731
"""OWL axiom refset members start here: the stated view moved to OWL in 2019 (§1.3)."""
CONCRETE_START = 20210731
MRCM_START = 20170731


def international_dates() -> list[int]:
    """All International release dates up to V2: twice a year until 2024, then monthly (§1.7)."""
    dates = [y * 10000 + md for y in range(2002, 2025) for md in (131, 731)]
    dates += [20240000 + m * 100 + 1 for m in range(8, 13)] + [20250000 + m * 100 + 1 for m in range(1, 8)]
    return dates


def swedish_dates() -> list[int]:
    """Swedish extension release dates: 0531 and 1130 each year (§1.7)."""
    return [y * 10000 + md for y in range(2013, 2026) for md in (531, 1130)]


@dataclass(frozen=True)
class SynthParams:
    """Parameters of one synthetic release set (§6.3; defaults are the spec defaults).

    ``scale`` is ``"ci"`` (about 3,700 active concepts), ``"intl"`` (about 370,000) or an int number of
    active International concepts. ``versions`` 2 also writes the V1 packages and V2 Delta files.
    """

    scale: str | int = "ci"
    seed: int = 42
    extension: bool = False
    versions: int = 1
    full: bool = True
    zip: bool = False
    inactive_ratio: float = 0.40
    defined_ratio: float = 0.30
    text_definition_ratio: float = 0.06
    hub_count: int | None = None
    item_base: int = 800_000_000
    se_only_concepts: int | None = None
    se_refset_members: int | None = None
    sv_coverage: float = 0.90
    sv_coverage_other: float = 0.50

    def __post_init__(self) -> None:
        if isinstance(self.scale, str) and self.scale not in SCALES:
            raise ValueError(f"scale must be one of {sorted(SCALES)} or an int, not {self.scale!r}")
        if isinstance(self.scale, int) and self.scale < 1000:
            raise ValueError("scale must be at least 1000 active concepts")
        if self.versions not in (1, 2):
            raise ValueError("versions must be 1 or 2")

    @property
    def active_concepts(self) -> int:
        """The number of active International concepts to generate."""
        return SCALES[self.scale] if isinstance(self.scale, str) else int(self.scale)


@dataclass(frozen=True)
class Hierarchy:
    """Shape of one top-level hierarchy (§2.1 mix, §6.3 per-hierarchy targets)."""

    code: str
    top: int
    tag: str
    tags: tuple[tuple[str, float], ...]
    active_share: float
    inactive_rows: int
    depth_mean: float
    depth_max: int
    parents: tuple[float, ...]
    defined: float
    attributes: float


_MANY = (0.58, 0.28, 0.10, 0.03, 0.01)
_BASE = (0.64, 0.25, 0.08, 0.02, 0.01)
_FEW = (0.85, 0.12, 0.03, 0.0, 0.0)

HIERARCHIES: tuple[Hierarchy, ...] = (
    Hierarchy(
        "finding",
        s.CLINICAL_FINDING,
        "finding",
        (("disorder", 0.6), ("finding", 0.4)),
        0.338,
        57_427,
        6.7,
        14,
        _MANY,
        0.45,
        2.5,
    ),
    Hierarchy(
        "procedure",
        s.PROCEDURE,
        "procedure",
        (("procedure", 0.9), ("regime/therapy", 0.1)),
        0.159,
        31_266,
        6.4,
        13,
        _MANY,
        0.45,
        3.0,
    ),
    Hierarchy(
        "body",
        s.BODY_STRUCTURE,
        "body structure",
        (("body structure", 0.8), ("morphologic abnormality", 0.15), ("cell", 0.05)),
        0.114,
        5_193,
        6.9,
        14,
        _BASE,
        0.27,
        0.8,
    ),
    Hierarchy("organism", s.ORGANISM, "organism", (("organism", 1.0),), 0.092, 7_385, 7.6, 16, _FEW, 0.02, 0.2),
    Hierarchy("substance", s.SUBSTANCE, "substance", (("substance", 1.0),), 0.074, 3_882, 5.6, 12, _BASE, 0.02, 0.2),
    Hierarchy(
        "product",
        s.PHARMACEUTICAL_PRODUCT,
        "product",
        (("medicinal product", 0.4), ("clinical drug", 0.4), ("product", 0.2)),
        0.069,
        17_621,
        5.3,
        10,
        _BASE,
        0.27,
        5.0,
    ),
    Hierarchy(
        "object",
        s.PHYSICAL_OBJECT,
        "physical object",
        (("physical object", 1.0),),
        0.037,
        3_804,
        5.1,
        11,
        _BASE,
        0.02,
        0.0,
    ),
    Hierarchy(
        "qualifier",
        s.QUALIFIER_VALUE,
        "qualifier value",
        (("qualifier value", 1.0),),
        0.033,
        2_827,
        4.7,
        10,
        _FEW,
        0.02,
        0.0,
    ),
    Hierarchy(
        "observable",
        s.OBSERVABLE_ENTITY,
        "observable entity",
        (("observable entity", 1.0),),
        0.029,
        1_285,
        5.1,
        11,
        _BASE,
        0.27,
        2.5,
    ),
    Hierarchy("situation", s.SITUATION, "situation", (("situation", 1.0),), 0.013, 6_775, 5.3, 10, _BASE, 0.27, 2.0),
    Hierarchy(
        "social",
        s.SOCIAL_CONTEXT,
        "social concept",
        (("social concept", 0.5), ("occupation", 0.3), ("person", 0.1), ("ethnic group", 0.1)),
        0.011,
        3_816,
        4.6,
        9,
        _BASE,
        0.27,
        0.0,
    ),
    Hierarchy("event", s.EVENT, "event", (("event", 1.0),), 0.009, 5_204, 4.6, 9, _BASE, 0.27, 0.5),
    Hierarchy(
        "environment",
        s.ENVIRONMENT_OR_LOCATION,
        "environment / location",
        (("environment", 0.5), ("geographic location", 0.5)),
        0.005,
        241,
        4.4,
        8,
        _BASE,
        0.27,
        0.0,
    ),
    Hierarchy("specimen", s.SPECIMEN, "specimen", (("specimen", 1.0),), 0.005, 149, 4.6, 9, _BASE, 0.27, 1.5),
    Hierarchy(
        "staging",
        s.STAGING_AND_SCALES,
        "staging scale",
        (("assessment scale", 0.5), ("staging scale", 0.3), ("tumor staging", 0.2)),
        0.004,
        246,
        4.5,
        8,
        _BASE,
        0.27,
        0.0,
    ),
    Hierarchy(
        "record",
        s.RECORD_ARTIFACT,
        "record artifact",
        (("record artifact", 1.0),),
        0.0014,
        182,
        4.1,
        7,
        _BASE,
        0.27,
        0.0,
    ),
    Hierarchy(
        "force", s.PHYSICAL_FORCE, "physical force", (("physical force", 1.0),), 0.0005, 10, 3.6, 6, _BASE, 0.27, 0.0
    ),
)
"""The clinical top-level hierarchies with generated content, largest first."""

METADATA_SHARE = 0.005
METADATA_INACTIVE = 64
SPECIAL_INACTIVE = 1_963
META_CODE, SPECIAL_CODE, ROOT_CODE = "metadata", "special", "root"

TOP_LEVEL_TAGS: dict[int, str] = {
    **{h.top: h.tag for h in HIERARCHIES},
    s.MODEL_COMPONENT: "metadata",
    s.SPECIAL_CONCEPT: "special concept",
}

HUB_HIERARCHIES = ("organism", "product", "substance", "finding", "procedure", "body")
"""Hierarchies that receive the very wide nodes (§6.3 ``fanout``: hubs in organisms and products)."""


def _scaled(value: float, factor: float, floor: int) -> int:
    return max(floor, round(value * factor))


@dataclass(frozen=True)
class Changes:
    """The V1 → V2 change volume (§6.5 table), scaled."""

    new_concepts: int
    inactivated: int
    changed: int
    description_changes: int
    relationship_changes: int
    refset_changes: int


@dataclass(frozen=True)
class Profile:
    """Concrete counts derived from ``SynthParams``."""

    params: SynthParams
    factor: float
    active: dict[str, int]
    inactive: dict[str, int]
    hub_sizes: tuple[int, ...]
    changes: Changes
    se_only: int
    se_refset: int
    tricky_refset: int
    chains: int
    int_dates: list[int] = field(default_factory=international_dates)
    se_dates: list[int] = field(default_factory=swedish_dates)

    @property
    def hierarchy_by_code(self) -> dict[str, Hierarchy]:
        """The hierarchy table keyed by code."""
        return {h.code: h for h in HIERARCHIES}


def make_profile(params: SynthParams, fixed_metadata: int) -> Profile:
    """Derive all counts for ``params``; ``fixed_metadata`` is the number of fixed metadata concepts."""
    n = params.active_concepts
    factor = n / INTL_ACTIVE
    meta = max(fixed_metadata + 3, round(METADATA_SHARE * n))
    clinical = n - meta - 2
    total_share = sum(h.active_share for h in HIERARCHIES)
    active = {h.code: max(2, round(clinical * h.active_share / total_share)) for h in HIERARCHIES}
    active["finding"] += clinical - sum(active.values())
    active[META_CODE] = meta
    inactive_total = round(params.inactive_ratio * n)
    weights = {h.code: h.inactive_rows for h in HIERARCHIES}
    weights[META_CODE] = METADATA_INACTIVE
    weights[SPECIAL_CODE] = SPECIAL_INACTIVE
    wsum = sum(weights.values())
    inactive = {code: round(inactive_total * w / wsum) for code, w in weights.items()}
    inactive[META_CODE] = 0
    hubs = params.hub_count if params.hub_count is not None else _scaled(30, factor, 3)
    hub_scale = max(factor, 0.02)
    hub_sizes = tuple(max(12, round((500 + 2500 * (i / max(1, hubs - 1)) ** 2) * hub_scale)) for i in range(hubs))
    changes = Changes(
        new_concepts=_scaled(900, factor, 6),
        inactivated=_scaled(700, factor, 6),
        changed=_scaled(75, factor, 2),
        description_changes=_scaled(3000, factor, 12),
        relationship_changes=_scaled(8000, factor, 24),
        refset_changes=_scaled(2000, factor, 12),
    )
    return Profile(
        params=params,
        factor=factor,
        active=active,
        inactive=inactive,
        hub_sizes=hub_sizes,
        changes=changes,
        se_only=params.se_only_concepts if params.se_only_concepts is not None else _scaled(3000, factor, 40),
        se_refset=params.se_refset_members if params.se_refset_members is not None else _scaled(2000, factor, 40),
        tricky_refset=_scaled(200, factor, 10),
        chains=_scaled(150, factor, 3),
    )
