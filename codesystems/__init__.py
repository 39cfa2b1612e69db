"""Loaders: files in, domain records out (ARCHITECTURE.md). Each module reads one format and never opens a
database session: ``rf2`` reads SNOMED CT release packages."""
