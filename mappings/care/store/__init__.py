"""The care directory's storage: tables (``schema``), row mapping (``rows``) and reads/writes
(``repository``). The only SQLAlchemy importer of ``mappings`` (ARCHITECTURE.md "one home per library")."""

from .repository import CareStore, Filter
from .rows import type_key

__all__ = ["CareStore", "Filter", "type_key"]
