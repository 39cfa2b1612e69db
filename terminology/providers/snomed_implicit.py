"""SNOMED CT implicit value sets as the ValueSet definitions they stand for.

"Using SNOMED CT with FHIR" §"Implicit Value Sets" (snomed-fhir.md §1.4): the URL is a SNOMED CT base
(``http://snomed.info/sct`` or an edition/version URI) followed by

* ``?fhir_vs``: all concepts (inactive ones too) -> an include of the whole code system;
* ``?fhir_vs=isa/[sctid]``: the concept and its descendants -> filter ``concept is-a [sctid]``;
* ``?fhir_vs=refset``: every concept that is a reference set -> filter ``refset exists true`` (this server's
  SNOMED CT filter for it; ECL has no operator for "is a refset with members");
* ``?fhir_vs=refset/[sctid]``: the members of a refset -> filter ``concept in [sctid]``;
* ``?fhir_vs=ecl/[ecl]``: an ECL expression, URI-encoded -> filter ``constraint = [ecl]``.

An edition/version in the base becomes the include's ``version``. A URL that names something that is not a
concept (``isa/abc``), or a concept that is not a refset of the version (``refset/<concept>``, checked by
:class:`~.snomed.SnomedSource`), names no value set: ``Unable_to_resolve_value_Set_`` (not-found), as tx.fhir.org
answers. The definition is evaluated by the one value set engine, so an implicit value set carries the same expansion parameters, paging, languages, version
rules and errors as a stored ValueSet with the same ``compose``.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import unquote

from .. import snomed
from ..errors import InvalidRequest, UnknownValueSet

_BASE = re.compile(r"^http://snomed\.info/(?:sct|xsct)(?:/\d{6,18}(?:/version/\d{8})?)?/?$")


def is_implicit(url: str) -> bool:
    """True when ``url`` looks like a SNOMED CT implicit value set URL."""
    return url.startswith(("http://snomed.info/sct", "http://snomed.info/xsct")) and "fhir_vs" in url


@functools.lru_cache(maxsize=1024)
def definition(url: str) -> dict:
    """The ValueSet an implicit value set URL stands for (remembered, so shared: read it, never change it);
    InvalidRequest names what is wrong with the URL."""
    base, sep, query = url.replace("%3F", "?").replace("%3f", "?").partition("?")
    if not sep or not _BASE.match(base):
        raise InvalidRequest("FHIR_VS_UNSUPPORTED", url,
                             "expected http://snomed.info/sct[/module[/version/date]]?fhir_vs...")
    include: dict = {"system": snomed.SYSTEM}
    if base.rstrip("/") != snomed.SYSTEM:
        include["version"] = base.rstrip("/")
    include.update(_selection(url, unquote(query)))
    return {"resourceType": "ValueSet", "url": url, "status": "active", "compose": {"include": [include]}}


def _selection(url: str, query: str) -> dict:
    if query == "fhir_vs":
        return {}
    if not query.startswith("fhir_vs="):
        raise InvalidRequest("FHIR_VS_UNSUPPORTED", url, "the query part must be fhir_vs or fhir_vs=...")
    value = query[len("fhir_vs="):]
    if value == "refset":
        return {"filter": [{"property": "refset", "op": "exists", "value": "true"}]}
    for kind, op in (("isa", "is-a"), ("refset", "in")):
        if value.startswith(kind + "/"):
            sctid = value[len(kind) + 1:]
            if not snomed.is_concept_id(sctid):
                raise UnknownValueSet("Unable_to_resolve_value_Set_", url, tx_code="not-found")
            return {"filter": [{"property": "concept", "op": op, "value": sctid}]}
    if value.startswith("ecl/"):
        return {"filter": [{"property": "constraint", "op": "=", "value": value[4:]}]}
    raise InvalidRequest("FHIR_VS_UNSUPPORTED", url, "use fhir_vs, fhir_vs=isa/X, fhir_vs=refset, "
                                                     "fhir_vs=refset/X or fhir_vs=ecl/...")
