"""The care-service directory and the concept-hierarchy care search (its own tables and store)."""
