"""Code-list maintenance (issue 17): author, review, version and publish code systems, value sets and concept
maps. The facade is :class:`Authoring`; the pieces it is made of are private to this package except the result
types listed in ``__all__``."""

from . import codesystem, compose, subsets
from .compare import FIELD_NAMES, Comparison, FieldChange, Member
from .describe import KNOWN_SYSTEMS, compose_lines, definition_lines, ecl_of, system_name
from .facade import DISPLAY_LANGUAGE, Authoring, Review
from .membership import RefreshReport

__all__ = ["codesystem", "compose", "subsets", "DISPLAY_LANGUAGE", "FIELD_NAMES", "Authoring", "Comparison", "FieldChange", "KNOWN_SYSTEMS", "Member", "RefreshReport", "Review",
           "compose_lines", "definition_lines", "ecl_of", "system_name"]
