"""pipeline/record."""
