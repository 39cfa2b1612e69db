"""SNOMED CT implicit value sets (FHIR "Using SNOMED CT with FHIR" §"Implicit Value Sets"; snomed-fhir.md §1.4).

The URL is a SNOMED CT base (``http://snomed.info/sct`` or an edition/version URI) followed by one of
``?fhir_vs`` (all concepts), ``?fhir_vs=isa/[sctid]`` (the concept and its descendants),
``?fhir_vs=refset`` (all refsets), ``?fhir_vs=refset/[sctid]`` (active members of a refset) or
``?fhir_vs=ecl/[ecl]`` (an ECL expression, URI-encoded).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from . import snomed
from .errors import InvalidRequest

_BASE = re.compile(r"^http://snomed\.info/(?:sct|xsct)(?:/\d{6,18}(?:/version/\d{8})?)?/?$")


@dataclass(frozen=True)
class ImplicitValueSet:
    url: str
    version: str | None
    """The edition/version URI in the base, or None for plain ``http://snomed.info/sct``."""
    kind: str
    """``all``, ``isa``, ``refsets``, ``refset`` or ``ecl``."""
    argument: str | None = None


def is_implicit(url: str) -> bool:
    """True when ``url`` looks like a SNOMED CT implicit value set URL."""
    return url.startswith(("http://snomed.info/sct", "http://snomed.info/xsct")) and "fhir_vs" in url


def parse(url: str) -> ImplicitValueSet:
    """Parse an implicit value set URL; InvalidRequest names what is wrong with it."""
    base, sep, query = url.replace("%3F", "?").replace("%3f", "?").partition("?")
    if not sep or not _BASE.match(base):
        raise InvalidRequest("FHIR_VS_UNSUPPORTED", url, "expected http://snomed.info/sct[/module[/version/date]]?fhir_vs...")
    version = base.rstrip("/") if base.rstrip("/") != snomed.SYSTEM else None
    query = unquote(query)
    if query == "fhir_vs":
        return ImplicitValueSet(url, version, "all")
    if not query.startswith("fhir_vs="):
        raise InvalidRequest("FHIR_VS_UNSUPPORTED", url, "the query part must be fhir_vs or fhir_vs=...")
    value = query[len("fhir_vs="):]
    if value == "refset":
        return ImplicitValueSet(url, version, "refsets")
    for kind in ("isa", "refset"):
        if value.startswith(kind + "/"):
            sctid = value[len(kind) + 1:]
            if not snomed.is_concept_id(sctid):
                raise InvalidRequest("FHIR_VS_UNSUPPORTED", url, f"{sctid!r} is not a concept id")
            return ImplicitValueSet(url, version, kind, sctid)
    if value.startswith("ecl/"):
        return ImplicitValueSet(url, version, "ecl", value[4:])
    raise InvalidRequest("FHIR_VS_UNSUPPORTED", url, "use fhir_vs, fhir_vs=isa/X, fhir_vs=refset, "
                                                     "fhir_vs=refset/X or fhir_vs=ecl/...")
