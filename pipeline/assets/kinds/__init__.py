"""Object kinds; importing this package registers every kind with the registry."""

from pipeline.assets.kinds import blocks_and_pads, containers, distractors, laptop, shoe, tools  # noqa: F401
