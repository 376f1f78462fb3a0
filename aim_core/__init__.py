"""aim_core."""
