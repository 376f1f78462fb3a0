"""aim_core/data."""
