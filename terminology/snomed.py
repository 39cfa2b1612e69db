"""SNOMED CT well-known identifiers and SCTID rules.

Identifiers come from the SNOMED CT Release File Specification and the metadata hierarchy
(see ``shared/design/synthetic-rf2.md`` §1.5 and §1.6); ``tests/test_snomed_constants.py`` checks each one
against the fixture release (its FSN semantic tag), so a typo cannot hide here.

SCTID structure (Technical Implementation Guide §6.1 "SCTID data structure"): the digits are the item
identifier, then (long format only) a 7-digit namespace, then the 2-digit partition identifier, then a
Verhoeff check digit. Partition digit 1 is ``0`` for the short (International) format and ``1`` for the long
(extension) format; digit 2 is the component type: ``0`` concept, ``1`` description, ``2`` relationship.
An SCTID has 6 to 18 digits and no leading zero.
"""

from __future__ import annotations

SYSTEM = "http://snomed.info/sct"
"""The FHIR code system URI for SNOMED CT (FHIR "Using SNOMED CT with FHIR" §1)."""

VERSION_PREFIX = "http://snomed.info/sct/"
EXPERIMENTAL_VERSION_PREFIX = "http://snomed.info/xsct/"

# --- the hierarchy ---------------------------------------------------------------------------------
ROOT = 138875005
IS_A = 116680003
CONCEPT_MODEL_ATTRIBUTE = 410662002
CONCEPT_MODEL_OBJECT_ATTRIBUTE = 762705008
CONCEPT_MODEL_DATA_ATTRIBUTE = 762706009
MODEL_COMPONENT = 900000000000441003

# --- modules ---------------------------------------------------------------------------------------
MODULE = 900000000000443000
CORE_MODULE = 900000000000207008
MODEL_MODULE = 900000000000012004
SWEDISH_MODULE = 45991000052106
"""The Swedish extension module; also the Swedish edition id in version URIs."""
INTERNATIONAL_EDITION = CORE_MODULE
"""The International edition is addressed by the core module in version URIs."""

# --- definition status -----------------------------------------------------------------------------
PRIMITIVE = 900000000000074008
DEFINED = 900000000000073002

# --- descriptions ----------------------------------------------------------------------------------
FSN = 900000000000003001
SYNONYM = 900000000000013009
DEFINITION = 900000000000550004
DESCRIPTION_TYPES = {FSN: "fsn", SYNONYM: "synonym", DEFINITION: "definition"}

CASE_INSENSITIVE = 900000000000448009
INITIAL_CHARACTER_CASE_INSENSITIVE = 900000000000020002
ENTIRE_TERM_CASE_SENSITIVE = 900000000000017005

# --- language refsets and acceptability --------------------------------------------------------------
PREFERRED = 900000000000548007
ACCEPTABLE = 900000000000549004
US_ENGLISH = 900000000000509007
GB_ENGLISH = 900000000000508004
SWEDISH_LANGUAGE_REFSET = 46011000052107

DIALECT_REFSETS: dict[str, int] = {
    "en-us": US_ENGLISH,
    "en-gb": GB_ENGLISH,
    "sv-se": SWEDISH_LANGUAGE_REFSET,
}
"""BCP 47 dialect tags and the language refset that carries them (Snowstorm's `search.dialect.config`)."""

LANGUAGE_DEFAULT_REFSETS: dict[str, int] = {"en": US_ENGLISH, "sv": SWEDISH_LANGUAGE_REFSET}
"""The language refset used for a bare language tag."""

# --- relationships ---------------------------------------------------------------------------------
INFERRED = 900000000000011006
STATED = 900000000000010007
ADDITIONAL = 900000000000227009
EXISTENTIAL = 900000000000451002

# --- refsets ---------------------------------------------------------------------------------------
REFSET_ROOT = 900000000000455006
SIMPLE_TYPE_REFSET = 446609009
LANGUAGE_TYPE_REFSET = 900000000000506000
ASSOCIATION_TYPE_REFSET = 900000000000521006
ATTRIBUTE_VALUE_TYPE_REFSET = 900000000000480006
SIMPLE_MAP_TYPE_REFSET = 900000000000496009
COMPLEX_MAP_TYPE_REFSET = 447250001
EXTENDED_MAP_TYPE_REFSET = 609331003
MODULE_DEPENDENCY_REFSET = 900000000000534007
REFSET_DESCRIPTOR_REFSET = 900000000000456007
OWL_AXIOM_REFSET = 733073007
OWL_ONTOLOGY_REFSET = 762103008

CONCEPT_INACTIVATION_INDICATOR = 900000000000489007
DESCRIPTION_INACTIVATION_INDICATOR = 900000000000490003
HISTORICAL_ASSOCIATION = 900000000000522004

# inactivation reasons (valueId of the indicator refsets)
DUPLICATE = 900000000000482003
OUTDATED = 900000000000483008
AMBIGUOUS = 900000000000484002
ERRONEOUS = 900000000000485001
LIMITED = 900000000000486000
MOVED_ELSEWHERE = 900000000000487009
PENDING_MOVE = 900000000000492006
INAPPROPRIATE = 900000000000494007
CONCEPT_NON_CURRENT = 900000000000495008
NONCONFORMANCE_TO_EDITORIAL_POLICY = 723277005
NOT_SEMANTICALLY_EQUIVALENT = 723278000
CLASSIFICATION_DERIVED_COMPONENT = 1186917008
MEANING_OF_COMPONENT_UNKNOWN = 1186919006

# historical association refsets
SAME_AS = 900000000000527005
REPLACED_BY = 900000000000526001
POSSIBLY_EQUIVALENT_TO = 900000000000523009
ALTERNATIVE = 900000000000530003
WAS_A = 900000000000528000
MOVED_TO = 900000000000524003
MOVED_FROM = 900000000000525002
SIMILAR_TO = 900000000000529008
REFERS_TO = 900000000000531004
POSSIBLY_REPLACED_BY = 1186921001
PARTIALLY_EQUIVALENT_TO = 1186924009

HISTORICAL_ASSOCIATIONS = (
    SAME_AS,
    REPLACED_BY,
    POSSIBLY_EQUIVALENT_TO,
    ALTERNATIVE,
    WAS_A,
    MOVED_TO,
    MOVED_FROM,
    SIMILAR_TO,
    REFERS_TO,
    POSSIBLY_REPLACED_BY,
    PARTIALLY_EQUIVALENT_TO,
)

# ECL history profiles (ECL 2.2 §6.11 "History supplements"), as association refset lists.
HISTORY_MIN = (SAME_AS,)
HISTORY_MOD = (SAME_AS, REPLACED_BY, WAS_A, PARTIALLY_EQUIVALENT_TO)
HISTORY_MAX = HISTORICAL_ASSOCIATIONS

# --- top-level hierarchies -------------------------------------------------------------------------
# The children of ROOT, as listed per hierarchy in synthetic-rf2.md §2.1; ids from the MRCM domain rows
# and Snowstorm's Concepts.java (IHTSDO/snowstorm), which name them with their semantic tags.
CLINICAL_FINDING = 404684003
PROCEDURE = 71388002
BODY_STRUCTURE = 123037004
ORGANISM = 410607006
SUBSTANCE = 105590001
PHARMACEUTICAL_PRODUCT = 373873005
PHYSICAL_OBJECT = 260787004
QUALIFIER_VALUE = 362981000
OBSERVABLE_ENTITY = 363787002
SITUATION = 243796009
SOCIAL_CONTEXT = 48176007
EVENT = 272379006
ENVIRONMENT_OR_LOCATION = 308916002
SPECIMEN = 123038009
STAGING_AND_SCALES = 254291000
RECORD_ARTIFACT = 419891008
PHYSICAL_FORCE = 78621006
SPECIAL_CONCEPT = 370115009

ROLE_GROUP = 609096000
"""Role group, the property that wraps grouped attributes in OWL axioms (§1.5)."""

# --- OWL and MRCM refsets (§1.4; IHTSDO/snowstorm Concepts.java, IHTSDO/snomed-owl-toolkit Concepts.java) ---
OWL_EXPRESSION_TYPE_REFSET = 762676003
OWL_ONTOLOGY_NAMESPACE = 734146004
OWL_ONTOLOGY_HEADER = 734147008
MRCM_REFSET = 723564002
MRCM_DOMAIN_TYPE_REFSET = 723589008
MRCM_DOMAIN_INTERNATIONAL = 723560006
MRCM_ATTRIBUTE_DOMAIN_TYPE_REFSET = 723604009
MRCM_ATTRIBUTE_DOMAIN_INTERNATIONAL = 723561005
MRCM_ATTRIBUTE_RANGE_TYPE_REFSET = 723592007
MRCM_ATTRIBUTE_RANGE_INTERNATIONAL = 723562003
MRCM_MODULE_SCOPE = 723563008
MRCM_RULE_STRENGTH = 723573005
MRCM_MANDATORY = 723597001
MRCM_OPTIONAL = 723598006
MRCM_CONTENT_TYPE = 723574004
MRCM_ALL_CONTENT = 723596005
MRCM_ALL_PRECOORDINATED = 723594008
MRCM_ALL_NEW_PRECOORDINATED = 723593002
MRCM_ALL_POSTCOORDINATED = 723595009


# --- SCTID rules -----------------------------------------------------------------------------------

PARTITION_CONCEPT = "0"
PARTITION_DESCRIPTION = "1"
PARTITION_RELATIONSHIP = "2"

# Verhoeff tables (dihedral group D5 multiplication, permutation, inverse).
_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_INV = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)

VERHOEFF_TABLES = (_D, _P, _INV)
"""The Verhoeff multiplication, permutation and inverse tables, for vectorised check-digit code."""


def verhoeff_check_digit(digits: str) -> str:
    """Return the Verhoeff check digit for a string of decimal digits."""
    c = 0
    for i, ch in enumerate(reversed(digits)):
        c = _D[c][_P[(i + 1) % 8][ord(ch) - 48]]
    return str(_INV[c])


def verhoeff_valid(digits: str) -> bool:
    """True when the last digit of ``digits`` is the Verhoeff check digit of the rest."""
    c = 0
    for i, ch in enumerate(reversed(digits)):
        c = _D[c][_P[i % 8][ord(ch) - 48]]
    return c == 0


def sctid_problem(value: str, partition: str | None = None) -> str | None:
    """Why ``value`` is not a valid SCTID (of component type ``partition``), or None when it is.

    ``partition`` is one of the ``PARTITION_*`` component digits; None accepts any component type.
    """
    if not value.isascii() or not value.isdigit():
        return "not a number"
    if not 6 <= len(value) <= 18:
        return "must have 6 to 18 digits"
    if value[0] == "0":
        return "must not start with 0"
    fmt, kind = value[-3], value[-2]
    if fmt not in "01" or kind not in "0125":
        return f"partition {value[-3:-1]} is not a known partition"
    if fmt == "1" and len(value) < 11:
        return "long-format SCTID is too short to hold a namespace"
    if partition is not None and kind != partition:
        wanted = {"0": "concept", "1": "description", "2": "relationship"}.get(partition, partition)
        return f"partition {value[-3:-1]} is not a {wanted} partition"
    if not verhoeff_valid(value):
        return "Verhoeff check digit is wrong"
    return None


def is_valid_sctid(value: str, partition: str | None = None) -> bool:
    """True when ``value`` is a valid SCTID (optionally of the given component partition)."""
    return sctid_problem(value, partition) is None


def is_concept_id(value: str) -> bool:
    """True when ``value`` is a valid concept SCTID (partition 00 or 10)."""
    return sctid_problem(value, PARTITION_CONCEPT) is None


def make_sctid(item: int, partition: str, namespace: int | None = None) -> int:
    """Build an SCTID from an item id, a component digit (``PARTITION_*``) and an optional namespace.

    Without a namespace the short format (partition ``0x``) is used; with one, the long format
    (partition ``1x``) with the 7-digit namespace.
    """
    if namespace is None:
        body = f"{item}0{partition}"
    else:
        body = f"{item}{namespace:07d}1{partition}"
    return int(body + verhoeff_check_digit(body))


def namespace_of(sctid: int | str) -> int | None:
    """The namespace of a long-format SCTID, or None for the short (International) format."""
    s = str(sctid)
    if s[-3] != "1":
        return None
    return int(s[-10:-3])
