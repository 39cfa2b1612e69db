"""ConceptMaps, ``$translate`` and the care-service directory (``mappings/care``). Public door: ``__all__``."""

from .translate import Match, TranslateRequest, TranslateResult, Translator

__all__: list[str] = ["Match", "TranslateRequest", "TranslateResult", "Translator"]
