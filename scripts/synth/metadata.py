"""The fixed metadata that makes a synthetic release self-describing (synthetic-rf2.md §6.2 "Fixed metadata").

Every concept here uses its real SCTID (§1.5, §1.6, and ``terminology/snomed.py``) so that loaders and
ECL written against real releases work unchanged, but carries a neutral synthetic term with the
right semantic tag. The tree below places each concept under a plausible parent; it is not a copy of
the real metadata hierarchy.

Ids that ``terminology/snomed.py`` does not hold (refset descriptor attributes and their types) come
from the SNOMED CT Release File Specification's reference set design page and appendix E
(``SNOMED-Documents/snomed-release-file-specification``), and the RF1/RF2 metadata tables of IHTSDO
tooling found with the code index; each was checked for a valid Verhoeff digit. Fields whose real
descriptor concepts were not found (MRCM fields, the OWL expression field) get synthetic concepts,
listed in ``SYNTHETIC_DESCRIPTOR_ATTRIBUTES``.
"""

from __future__ import annotations

from dataclasses import dataclass

from terminology import snomed as s

# --- refset descriptor attributes and types (not in terminology/snomed.py) -----------------------------
REFSET_ATTRIBUTE = 900000000000457003
ATTRIBUTE_DESCRIPTION = 900000000000458008
ATTRIBUTE_TYPE = 900000000000459000
ATTRIBUTE_ORDER = 900000000000479008
REFERENCED_COMPONENT = 449608002
DESCRIPTION_IN_DIALECT = 900000000000510002
ACCEPTABILITY = 900000000000511003
ASSOCIATION_SOURCE = 900000000000532006
ASSOCIATION_TARGET = 900000000000533001
ATTRIBUTE_VALUE = 900000000000491004
MAP_SOURCE_CONCEPT = 900000000000500006
SCHEME_VALUE = 900000000000499002
DEPENDENCY_TARGET = 900000000000535008
SOURCE_EFFECTIVE_TIME = 900000000000536009
TARGET_EFFECTIVE_TIME = 900000000000537000
COMPONENT_TYPE = 900000000000460005
CONCEPT_TYPE_COMPONENT = 900000000000461009
DESCRIPTION_TYPE_COMPONENT = 900000000000462002
STRING_TYPE = 900000000000465000
PARSABLE_STRING = 707000009
OWL2_SYNTAX = 762678002
TIME_TYPE = 900000000000475002
INTEGER_TYPE = 900000000000476001
UNSIGNED_INTEGER = 900000000000478000

# --- other metadata groupers ----------------------------------------------------------------------------
LINKAGE_CONCEPT = 106237007
ATTRIBUTE = 246061005
CORE_METADATA = 900000000000442005
FOUNDATION_METADATA = 900000000000454005
IHTSDO_MODULE = 900000000000445007
DEFINITION_STATUS = 900000000000444006
DESCRIPTION_TYPE = 900000000000446008
CASE_SIGNIFICANCE = 900000000000447004
CHARACTERISTIC_TYPE = 900000000000449001
DEFINING_RELATIONSHIP = 900000000000006009
MODIFIER = 900000000000450001
UNIVERSAL = 900000000000452009
CONCEPT_INACTIVATION_VALUE = 900000000000481005
DESCRIPTION_INACTIVATION_VALUE = 900000000000493001
ENGLISH_LANGUAGE_REFSET = 900000000000507009
NAMESPACE_CONCEPT = 370136006
NAVIGATIONAL_CONCEPT = 363743006

FOUNDATION = "foundation metadata concept"
CORE = "core metadata concept"


@dataclass(frozen=True)
class MetaConcept:
    """One fixed concept: real id, its parent in the synthetic tree, a neutral term and a semantic tag."""

    sctid: int
    parent: int | None
    term: str
    tag: str


def _group(parent: int, tag: str, rows: list[tuple[int, str]]) -> list[MetaConcept]:
    return [MetaConcept(i, parent, term, tag) for i, term in rows]


TOP_LEVEL = _group(
    s.ROOT,
    "",
    [
        (s.CLINICAL_FINDING, "Clinical finding hierarchy"),
        (s.PROCEDURE, "Procedure hierarchy"),
        (s.BODY_STRUCTURE, "Body structure hierarchy"),
        (s.ORGANISM, "Organism hierarchy"),
        (s.SUBSTANCE, "Substance hierarchy"),
        (s.PHARMACEUTICAL_PRODUCT, "Pharmaceutical or biologic product hierarchy"),
        (s.PHYSICAL_OBJECT, "Physical object hierarchy"),
        (s.QUALIFIER_VALUE, "Qualifier value hierarchy"),
        (s.OBSERVABLE_ENTITY, "Observable entity hierarchy"),
        (s.SITUATION, "Situation with explicit context hierarchy"),
        (s.SOCIAL_CONTEXT, "Social context hierarchy"),
        (s.EVENT, "Event hierarchy"),
        (s.MODEL_COMPONENT, "Synthetic model component"),
        (s.ENVIRONMENT_OR_LOCATION, "Environment or geographical location hierarchy"),
        (s.SPECIMEN, "Specimen hierarchy"),
        (s.STAGING_AND_SCALES, "Staging and scales hierarchy"),
        (s.RECORD_ARTIFACT, "Record artifact hierarchy"),
        (s.PHYSICAL_FORCE, "Physical force hierarchy"),
        (s.SPECIAL_CONCEPT, "Special concept hierarchy"),
    ],
)
"""The top-level concepts; the tag is filled in from the hierarchy table in ``profile.py``."""

_METADATA: list[MetaConcept] = [
    MetaConcept(s.ROOT, None, "Synthetic SNOMED CT root concept", "SNOMED RT+CTV3"),
    *_group(
        s.MODEL_COMPONENT,
        "linkage concept",
        [(LINKAGE_CONCEPT, "Synthetic linkage grouper")],
    ),
    *_group(LINKAGE_CONCEPT, "attribute", [(ATTRIBUTE, "Synthetic attribute grouper")]),
    *_group(ATTRIBUTE, "attribute", [(s.CONCEPT_MODEL_ATTRIBUTE, "Concept model attribute grouper")]),
    *_group(
        s.CONCEPT_MODEL_ATTRIBUTE,
        "attribute",
        [
            (s.IS_A, "Is a relation"),
            (s.CONCEPT_MODEL_OBJECT_ATTRIBUTE, "Concept model object attribute grouper"),
            (s.CONCEPT_MODEL_DATA_ATTRIBUTE, "Concept model data attribute grouper"),
        ],
    ),
    *_group(s.CONCEPT_MODEL_OBJECT_ATTRIBUTE, "attribute", [(s.ROLE_GROUP, "Role grouping relation")]),
    *_group(
        s.MODEL_COMPONENT,
        CORE,
        [(CORE_METADATA, "Core metadata grouper")],
    ),
    *_group(
        s.MODEL_COMPONENT,
        FOUNDATION,
        [(FOUNDATION_METADATA, "Foundation metadata grouper")],
    ),
    *_group(
        s.MODEL_COMPONENT,
        "namespace concept",
        [(NAMESPACE_CONCEPT, "Namespace grouper")],
    ),
    *_group(
        CORE_METADATA,
        CORE,
        [
            (s.MODULE, "Module grouper"),
            (DEFINITION_STATUS, "Definition status grouper"),
            (DESCRIPTION_TYPE, "Description type grouper"),
            (CASE_SIGNIFICANCE, "Case significance grouper"),
            (CHARACTERISTIC_TYPE, "Characteristic type grouper"),
            (MODIFIER, "Relationship modifier grouper"),
            (s.MRCM_RULE_STRENGTH, "Concept model rule strength grouper"),
            (s.MRCM_CONTENT_TYPE, "Concept model content type grouper"),
        ],
    ),
    *_group(s.MODULE, CORE, [(IHTSDO_MODULE, "Synthetic maintained module grouper")]),
    *_group(
        IHTSDO_MODULE,
        CORE,
        [(s.CORE_MODULE, "Synthetic core module"), (s.MODEL_MODULE, "Synthetic model component module")],
    ),
    *_group(
        DEFINITION_STATUS,
        CORE,
        [(s.PRIMITIVE, "Not sufficiently defined status"), (s.DEFINED, "Sufficiently defined status")],
    ),
    *_group(
        DESCRIPTION_TYPE,
        CORE,
        [
            (s.FSN, "Fully specified name description type"),
            (s.SYNONYM, "Synonym description type"),
            (s.DEFINITION, "Text definition description type"),
        ],
    ),
    *_group(
        CASE_SIGNIFICANCE,
        CORE,
        [
            (s.CASE_INSENSITIVE, "Whole term case insensitive"),
            (s.INITIAL_CHARACTER_CASE_INSENSITIVE, "Only initial character case insensitive"),
            (s.ENTIRE_TERM_CASE_SENSITIVE, "Whole term case sensitive"),
        ],
    ),
    *_group(
        CHARACTERISTIC_TYPE,
        CORE,
        [(DEFINING_RELATIONSHIP, "Defining relationship type"), (s.ADDITIONAL, "Additional relationship type")],
    ),
    *_group(
        DEFINING_RELATIONSHIP,
        CORE,
        [(s.INFERRED, "Inferred relationship type"), (s.STATED, "Stated relationship type")],
    ),
    *_group(
        MODIFIER,
        CORE,
        [(s.EXISTENTIAL, "Some-values restriction modifier"), (UNIVERSAL, "All-values restriction modifier")],
    ),
    *_group(
        s.MRCM_RULE_STRENGTH,
        CORE,
        [(s.MRCM_MANDATORY, "Mandatory concept model rule"), (s.MRCM_OPTIONAL, "Optional concept model rule")],
    ),
    *_group(
        s.MRCM_CONTENT_TYPE,
        CORE,
        [
            (s.MRCM_ALL_CONTENT, "Applies to all content"),
            (s.MRCM_ALL_PRECOORDINATED, "Applies to all precoordinated content"),
            (s.MRCM_ALL_NEW_PRECOORDINATED, "Applies to new precoordinated content"),
            (s.MRCM_ALL_POSTCOORDINATED, "Applies to postcoordinated content"),
        ],
    ),
    *_group(
        FOUNDATION_METADATA,
        FOUNDATION,
        [
            (s.REFSET_ROOT, "Reference set grouper"),
            (REFSET_ATTRIBUTE, "Reference set attribute grouper"),
            (CONCEPT_INACTIVATION_VALUE, "Concept inactivation reason grouper"),
            (DESCRIPTION_INACTIVATION_VALUE, "Description inactivation reason grouper"),
        ],
    ),
    *_group(
        s.REFSET_ROOT,
        FOUNDATION,
        [
            (s.SIMPLE_TYPE_REFSET, "Simple reference set pattern"),
            (s.SIMPLE_MAP_TYPE_REFSET, "Simple map reference set pattern"),
            (s.LANGUAGE_TYPE_REFSET, "Language reference set pattern"),
            (s.ASSOCIATION_TYPE_REFSET, "Association reference set pattern"),
            (s.ATTRIBUTE_VALUE_TYPE_REFSET, "Attribute value reference set pattern"),
            (s.OWL_EXPRESSION_TYPE_REFSET, "OWL expression reference set pattern"),
            (s.REFSET_DESCRIPTOR_REFSET, "Reference set descriptor set"),
            (s.MODULE_DEPENDENCY_REFSET, "Module dependency set"),
            (s.MRCM_REFSET, "Concept model rule reference set grouper"),
        ],
    ),
    *_group(s.LANGUAGE_TYPE_REFSET, FOUNDATION, [(ENGLISH_LANGUAGE_REFSET, "English language set grouper")]),
    *_group(
        ENGLISH_LANGUAGE_REFSET,
        FOUNDATION,
        [(s.US_ENGLISH, "US English dialect set"), (s.GB_ENGLISH, "GB English dialect set")],
    ),
    *_group(
        s.ASSOCIATION_TYPE_REFSET,
        FOUNDATION,
        [(s.HISTORICAL_ASSOCIATION, "Historical association grouper")],
    ),
    *_group(
        s.HISTORICAL_ASSOCIATION,
        FOUNDATION,
        [
            (s.SAME_AS, "SAME AS history set"),
            (s.REPLACED_BY, "REPLACED BY history set"),
            (s.POSSIBLY_EQUIVALENT_TO, "POSSIBLY EQUIVALENT TO history set"),
            (s.ALTERNATIVE, "ALTERNATIVE history set"),
            (s.WAS_A, "WAS A history set"),
            (s.MOVED_TO, "MOVED TO history set"),
            (s.MOVED_FROM, "MOVED FROM history set"),
            (s.SIMILAR_TO, "SIMILAR TO history set"),
            (s.REFERS_TO, "REFERS TO description history set"),
            (s.POSSIBLY_REPLACED_BY, "POSSIBLY REPLACED BY history set"),
            (s.PARTIALLY_EQUIVALENT_TO, "PARTIALLY EQUIVALENT TO history set"),
        ],
    ),
    *_group(
        s.ATTRIBUTE_VALUE_TYPE_REFSET,
        FOUNDATION,
        [
            (s.CONCEPT_INACTIVATION_INDICATOR, "Concept inactivation indicator set"),
            (s.DESCRIPTION_INACTIVATION_INDICATOR, "Description inactivation indicator set"),
        ],
    ),
    *_group(
        s.OWL_EXPRESSION_TYPE_REFSET,
        FOUNDATION,
        [(s.OWL_AXIOM_REFSET, "OWL axiom set"), (s.OWL_ONTOLOGY_REFSET, "OWL ontology header set")],
    ),
    *_group(
        s.OWL_EXPRESSION_TYPE_REFSET,
        "OWL metadata concept",
        [
            (s.OWL_ONTOLOGY_NAMESPACE, "OWL ontology namespace marker"),
            (s.OWL_ONTOLOGY_HEADER, "OWL ontology header marker"),
        ],
    ),
    *_group(
        s.MRCM_REFSET,
        FOUNDATION,
        [
            (s.MRCM_DOMAIN_TYPE_REFSET, "Concept model domain set pattern"),
            (s.MRCM_ATTRIBUTE_DOMAIN_TYPE_REFSET, "Concept model attribute domain set pattern"),
            (s.MRCM_ATTRIBUTE_RANGE_TYPE_REFSET, "Concept model attribute range set pattern"),
            (s.MRCM_MODULE_SCOPE, "Concept model module scope set"),
        ],
    ),
    *_group(
        s.MRCM_DOMAIN_TYPE_REFSET, FOUNDATION, [(s.MRCM_DOMAIN_INTERNATIONAL, "Synthetic concept model domain set")]
    ),
    *_group(
        s.MRCM_ATTRIBUTE_DOMAIN_TYPE_REFSET,
        FOUNDATION,
        [(s.MRCM_ATTRIBUTE_DOMAIN_INTERNATIONAL, "Synthetic concept model attribute domain set")],
    ),
    *_group(
        s.MRCM_ATTRIBUTE_RANGE_TYPE_REFSET,
        FOUNDATION,
        [(s.MRCM_ATTRIBUTE_RANGE_INTERNATIONAL, "Synthetic concept model attribute range set")],
    ),
    *_group(
        REFSET_ATTRIBUTE,
        FOUNDATION,
        [
            (ATTRIBUTE_DESCRIPTION, "Refset field description grouper"),
            (ATTRIBUTE_TYPE, "Refset field type grouper"),
            (ATTRIBUTE_ORDER, "Refset field position"),
        ],
    ),
    *_group(
        ATTRIBUTE_DESCRIPTION,
        FOUNDATION,
        [
            (REFERENCED_COMPONENT, "Member's referenced component field"),
            (DESCRIPTION_IN_DIALECT, "Description in a dialect field"),
            (ACCEPTABILITY, "Acceptability grouper"),
            (ASSOCIATION_SOURCE, "Association source field"),
            (ASSOCIATION_TARGET, "Association target field"),
            (ATTRIBUTE_VALUE, "Attribute value field"),
            (MAP_SOURCE_CONCEPT, "Map source field"),
            (SCHEME_VALUE, "Map scheme value field"),
            (DEPENDENCY_TARGET, "Module dependency target field"),
            (SOURCE_EFFECTIVE_TIME, "Dependency source time field"),
            (TARGET_EFFECTIVE_TIME, "Dependency target time field"),
        ],
    ),
    *_group(
        ACCEPTABILITY,
        FOUNDATION,
        [(s.PREFERRED, "Preferred acceptability"), (s.ACCEPTABLE, "Acceptable acceptability")],
    ),
    *_group(
        ATTRIBUTE_TYPE,
        FOUNDATION,
        [
            (COMPONENT_TYPE, "Component field type"),
            (STRING_TYPE, "Text field type"),
            (TIME_TYPE, "Date field type"),
            (INTEGER_TYPE, "Whole number field type"),
        ],
    ),
    *_group(
        COMPONENT_TYPE,
        FOUNDATION,
        [(CONCEPT_TYPE_COMPONENT, "Concept field type"), (DESCRIPTION_TYPE_COMPONENT, "Description field type")],
    ),
    *_group(
        STRING_TYPE,
        FOUNDATION,
        [(PARSABLE_STRING, "Machine parsable text field type"), (OWL2_SYNTAX, "OWL 2 functional syntax field type")],
    ),
    *_group(INTEGER_TYPE, FOUNDATION, [(UNSIGNED_INTEGER, "Non-negative whole number field type")]),
    *_group(
        CONCEPT_INACTIVATION_VALUE,
        FOUNDATION,
        [
            (s.DUPLICATE, "Duplicate component reason"),
            (s.OUTDATED, "Outdated component reason"),
            (s.AMBIGUOUS, "Ambiguous component reason"),
            (s.ERRONEOUS, "Erroneous component reason"),
            (s.LIMITED, "Limited value component reason"),
            (s.MOVED_ELSEWHERE, "Moved elsewhere reason"),
            (s.PENDING_MOVE, "Pending move reason"),
            (s.INAPPROPRIATE, "Inappropriate component reason"),
            (s.NONCONFORMANCE_TO_EDITORIAL_POLICY, "Editorial policy nonconformance reason"),
            (s.CLASSIFICATION_DERIVED_COMPONENT, "Classification derived reason"),
            (s.MEANING_OF_COMPONENT_UNKNOWN, "Unknown meaning reason"),
        ],
    ),
    *_group(
        DESCRIPTION_INACTIVATION_VALUE,
        FOUNDATION,
        [
            (s.CONCEPT_NON_CURRENT, "Concept no longer current reason"),
            (s.NOT_SEMANTICALLY_EQUIVALENT, "Not semantically equivalent reason"),
        ],
    ),
    *_group(s.SPECIAL_CONCEPT, "navigational concept", [(NAVIGATIONAL_CONCEPT, "Synthetic navigational grouper")]),
]

SYNTHETIC_DESCRIPTOR_ATTRIBUTES: dict[str, str] = {
    "owlExpression": "OWL expression field",
    "domainConstraint": "Concept model domain constraint field",
    "parentDomain": "Concept model parent domain field",
    "proximalPrimitiveConstraint": "Concept model proximal primitive constraint field",
    "proximalPrimitiveRefinement": "Concept model proximal primitive refinement field",
    "domainTemplateForPrecoordination": "Concept model precoordination template field",
    "domainTemplateForPostcoordination": "Concept model postcoordination template field",
    "guideURL": "Concept model editorial guide link field",
    "domainId": "Concept model attribute domain field",
    "grouped": "Concept model grouped flag field",
    "attributeCardinality": "Concept model attribute cardinality field",
    "attributeInGroupCardinality": "Concept model in-group cardinality field",
    "ruleStrengthId": "Concept model rule strength field",
    "contentTypeId": "Concept model content type field",
    "rangeConstraint": "Concept model range constraint field",
    "attributeRule": "Concept model attribute rule field",
    "mrcmRuleRefsetId": "Concept model rule set field",
}
"""Refset fields whose real descriptor concepts were not found: synthetic concepts under ATTRIBUTE_DESCRIPTION."""


def fixed_metadata(top_level_tags: dict[int, str]) -> list[MetaConcept]:
    """All fixed concepts in topological order (each parent before its children)."""
    top = [MetaConcept(c.sctid, c.parent, c.term, top_level_tags[c.sctid]) for c in TOP_LEVEL]
    rows = [_METADATA[0], *top, *_METADATA[1:]]
    seen: set[int] = set()
    for row in rows:
        if row.parent is not None and row.parent not in seen:
            raise AssertionError(f"metadata parent {row.parent} of {row.sctid} comes after its child")
        if row.sctid in seen:
            raise AssertionError(f"metadata concept {row.sctid} listed twice")
        seen.add(row.sctid)
    return rows
