"""The HTTP edge: the FastAPI app factory, the FHIR wire (``api/fhir``), the error table and settings."""

from .app import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
