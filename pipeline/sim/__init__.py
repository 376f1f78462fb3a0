"""pipeline/sim."""
