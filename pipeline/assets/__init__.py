"""pipeline/assets."""
