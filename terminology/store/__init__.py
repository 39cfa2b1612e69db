"""The store: the only place in the core that talks SQL (SQLAlchemy Core).

Public names: :class:`Database` (catalog + per-version storages), :func:`load_snomed` (build and publish a
version), :class:`SnomedStore` (read queries) and :class:`ConceptSet` (composable sets of concepts).
"""

from .build import SnomedLoad, load_snomed
from .database import Database, default_sqlite_url
from .snomed_store import ConceptRow, ConceptSet, DescriptionRow, RelationshipRow, SnomedStore

__all__ = ["ConceptRow", "ConceptSet", "Database", "DescriptionRow", "RelationshipRow", "SnomedLoad",
           "SnomedStore", "default_sqlite_url", "load_snomed"]
