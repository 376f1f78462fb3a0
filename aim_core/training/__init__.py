"""aim_core/training."""
