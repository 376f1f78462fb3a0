"""aim_core/eval."""
