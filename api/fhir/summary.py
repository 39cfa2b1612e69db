"""``_summary`` and ``_elements`` on reads and searches of CodeSystem, ValueSet and ConceptMap (R5
search.html "Summary" and "Elements").

* ``_summary=true``: only the elements the resource's definition marks as summary (``isSummary``), in
  backbone elements too, plus the mandatory ones; ``text``: ``text``, ``id``, ``meta`` and the mandatory
  top-level elements; ``data``: everything but ``text``; ``count``: the search answers only ``total``;
  ``false``: the whole resource.
* ``_elements=a,b``: those top-level elements plus ``id``, ``meta`` and the mandatory ones.

A resource cut down this way carries the ``SUBSETTED`` tag in ``meta.tag``, as the specification requires.
Which elements are summary or mandatory is read from the ``fhir.resources`` R5 models (the stored form;
R4 answers are converted after), once per type.
"""

from __future__ import annotations

import functools
import typing

from fastapi import Request

import terminology as t

SUBSETTED = {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "SUBSETTED",
             "display": "Resource encoded in summary mode"}
SUMMARY_VALUES = ("true", "text", "data", "count", "false")


def presentation(request: Request) -> tuple[str | None, tuple[str, ...] | None]:
    """``(_summary, _elements)`` of a request; InvalidRequest on a ``_summary`` value the spec does not define."""
    summary = request.query_params.get("_summary")
    if summary is not None and summary not in SUMMARY_VALUES:
        raise t.InvalidRequest("OP_INVALID_PARAM", "_summary", summary, f"use {', '.join(SUMMARY_VALUES)}")
    elements = request.query_params.get("_elements")
    names = tuple(x.strip() for x in elements.split(",") if x.strip()) if elements is not None else None
    return summary, names


def apply(resource: dict, summary: str | None, elements: tuple[str, ...] | None) -> dict:
    """The resource as ``_summary`` / ``_elements`` ask (a new dict; the resource is not changed)."""
    kind = resource.get("resourceType", "")
    if summary in (None, "false", "count") and elements is None:
        return resource
    if summary == "data":
        return {k: v for k, v in resource.items() if k != "text"}
    required = _flags(kind)[1]
    if summary == "true":
        out = _summary_of(resource, kind)
    else:
        keep = {"resourceType", "id", "meta", *required, *(["text"] if summary == "text" else []),
                *(elements or ())}
        out = {k: v for k, v in resource.items() if k in keep}
    meta = dict(out.get("meta") or {})
    meta["tag"] = [*meta.get("tag", []), SUBSETTED]
    out["meta"] = meta
    return out


def _summary_of(value: dict, kind: str) -> dict:
    summary, required, backbones = _flags(kind)
    out = {}
    for key, item in value.items():
        if key != "resourceType" and key not in summary and key not in required:
            continue
        if key in backbones:
            child = backbones[key]
            item = [_summary_of(x, child) for x in item] if isinstance(item, list) else _summary_of(item, child)
        out[key] = item
    return out


@functools.lru_cache(maxsize=64)
def _flags(kind: str) -> tuple[frozenset[str], frozenset[str], dict[str, str]]:
    """(summary elements, mandatory elements, backbone element -> its class name) of an R5 model class."""
    model = _model(kind)
    if model is None:
        return frozenset(), frozenset(), {}
    summary, required, backbones = set(), set(), {}
    for name, field in model.model_fields.items():
        extra = field.json_schema_extra or {}
        if extra.get("summary_element_property"):
            summary.add(name)
        if extra.get("element_required"):
            required.add(name)
        child = _child(field.annotation)
        if child is not None:
            backbones[name] = child
    return frozenset(summary | {"id", "meta", "implicitRules", "modifierExtension"} & set(model.model_fields)), \
        frozenset(required), backbones


def _model(kind: str):
    from fhir.resources import get_fhir_model_class

    try:
        return get_fhir_model_class(kind)
    except (KeyError, ValueError, ImportError):
        return None


def _child(annotation) -> str | None:
    """The class name of a backbone element field (``List[abc.CodeSystemFilterType]`` -> CodeSystemFilter)."""
    for arg in (annotation, *typing.get_args(annotation), *(a for x in typing.get_args(annotation)
                                                             for a in typing.get_args(x))):
        name = getattr(arg, "__name__", "")
        if name.endswith("Type") and name[:-4]:
            candidate = _model(name[:-4])
            if candidate is not None and any(b.__name__ == "BackboneElement" for b in candidate.__mro__):
                return name[:-4]
    return None
