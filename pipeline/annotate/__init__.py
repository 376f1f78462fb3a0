"""pipeline/annotate."""
