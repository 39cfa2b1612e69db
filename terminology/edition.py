"""One loaded SNOMED CT edition/version, ready to answer: its catalog row, its store, its languages."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property

from . import snomed
from .bounded import Bounded
from .errors import InvalidCode, UnknownCode
from .languages import parse_language_list, refsets_for
from .model import CodeSystemVersion, Coding, Designation
from .store import ConceptRow, SnomedStore


_USE_DISPLAY = {snomed.FSN: "Fully specified name", snomed.SYNONYM: "Synonym", snomed.DEFINITION: "Definition"}


@dataclass
class Edition:
    version: CodeSystemVersion
    store: SnomedStore
    default_language: str = "en"
    _refsets: Bounded = field(default_factory=lambda: Bounded(256), repr=False, compare=False)
    """:meth:`display_refsets` by language list (a version never changes once published)."""

    @cached_property
    def languages(self) -> dict[int, list[str]]:
        """Loaded language refsets and the language codes of their descriptions."""
        raw = json.loads(self.store.meta().get("languages", "{}"))
        return {int(k): v for k, v in raw.items()}

    def display_refsets(self, display_language: str | None) -> list[int]:
        """Language refsets to take displays from: the requested ones, then the default language's
        (remembered per language list; do not change the list returned)."""
        found = self._refsets.get(display_language)
        if found is None:
            found = refsets_for(parse_language_list(display_language), self.languages)
            for refset in refsets_for(parse_language_list(self.default_language), self.languages):
                if refset not in found:
                    found.append(refset)
            self._refsets[display_language] = found
        return found

    def requested_languages(self, display_language: str | None) -> list[str]:
        """Language codes named by ``display_language`` (for messages and designation choice)."""
        return [t.language for t in parse_language_list(display_language) if t.tag != "*"]

    def concept(self, code: str) -> ConceptRow:
        """The concept with SCTID ``code``; UnknownCode (with the catalogue message) when absent."""
        row = self.find(code)
        if row is None:
            raise UnknownCode("Unknown_Code_in_Version", code, snomed.SYSTEM, self.version.version)
        return row

    def find(self, code: str) -> ConceptRow | None:
        """The concept with SCTID ``code``, or None when the code is not an SCTID or not in this version."""
        if not snomed.is_concept_id(code.strip()):
            return None
        return self.store.concept(int(code))

    def check_sctid(self, code: str) -> int:
        """``code`` as an int; InvalidCode when it is not a concept SCTID."""
        problem = snomed.sctid_problem(code.strip(), snomed.PARTITION_CONCEPT)
        if problem:
            raise InvalidCode("INVALID_SCTID", code, problem)
        return int(code)

    def designations(self, concept_id: int) -> tuple[Designation, ...]:
        """Every active description as a designation: type as ``use``, with its language refset contexts."""
        return tuple(
            Designation(language=d.language_code,
                        use=Coding(snomed.SYSTEM, str(d.type_id), _USE_DISPLAY.get(d.type_id)), value=d.term,
                        contexts=tuple((str(refset), str(acc)) for refset, acc in d.acceptability))
            for d in self.store.descriptions(concept_id) if d.active)
