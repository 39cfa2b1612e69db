"""The HTTP edge of the care directory: FHIR routes, ``$care-search`` and the JSON API (``install``)."""

from .routes import install

__all__ = ["install"]
