"""aim_core/models."""
