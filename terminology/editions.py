"""Which loaded SNOMED CT edition and version answers a request.

FHIR "Using SNOMED CT with FHIR" §1 (snomed-fhir.md §1.1): a version is
``http://snomed.info/sct/[module]/version/[YYYYMMDD]``; without a date the latest version of that edition
is used; without any version, the default edition (International unless configured otherwise). A
date-only version SHOULD be rejected. Unpublished content uses ``http://snomed.info/xsct/...``.
"""

from __future__ import annotations

import re

from . import snomed
from .errors import InvalidRequest, UnknownCodeSystem, UnknownCodeSystemVersion
from .model import CodeSystemVersion

_VERSION = re.compile(r"^http://snomed\.info/(?P<x>x?sct)/(?P<module>\d{6,18})(?:/version/(?P<date>\d{8}))?/?$")


def parse_version(version: str) -> tuple[bool, str, str | None]:
    """``(experimental, module, date or None)`` of a SNOMED CT version URI; InvalidRequest if malformed."""
    m = _VERSION.match(version.strip())
    if not m:
        raise InvalidRequest("INVALID_SNOMED_VERSION", version)
    return m["x"] == "xsct", m["module"], m["date"]


def resolve(versions: list[CodeSystemVersion], requested: str | None,
            default_module: str | None = None) -> CodeSystemVersion:
    """The loaded version for ``requested`` (a version URI, a module-only URI, or None for the default)."""
    if not versions:
        raise UnknownCodeSystem("UNKNOWN_CODESYSTEM", snomed.SYSTEM)
    if requested:
        exact = [v for v in versions if v.version == requested]
        if exact:
            return exact[0]
        try:
            experimental, module, date = parse_version(requested)
        except InvalidRequest:
            raise UnknownCodeSystemVersion("UNKNOWN_CODESYSTEM_VERSION", snomed.SYSTEM, requested,
                                           _valid(versions)) from None
        if date is None:
            same = [v for v in versions if v.module_id == module and _experimental(v) == experimental]
            if same:
                return _latest(same)
        raise UnknownCodeSystemVersion("UNKNOWN_CODESYSTEM_VERSION", snomed.SYSTEM, requested, _valid(versions))
    for module in (default_module, str(snomed.INTERNATIONAL_EDITION)):
        same = [v for v in versions if module and v.module_id == module]
        if same:
            return _latest(same)
    return _latest(versions)


def _experimental(v: CodeSystemVersion) -> bool:
    return v.version.startswith(snomed.EXPERIMENTAL_VERSION_PREFIX)


def _latest(versions: list[CodeSystemVersion]) -> CodeSystemVersion:
    return max(versions, key=lambda v: (v.effective_date or "", v.key))


def _valid(versions: list[CodeSystemVersion]) -> str:
    return ",".join(sorted(v.version for v in versions))
