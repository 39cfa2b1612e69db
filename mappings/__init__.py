"""ConceptMaps, ``$translate`` and the care-service directory (``mappings/care``). Public door: ``__all__``."""

__all__: list[str] = []
