"""aim_core/inference."""
