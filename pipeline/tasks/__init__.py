"""pipeline/tasks."""
