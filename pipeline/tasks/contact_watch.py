"""Remember contacts between two bodies during an episode, for goals that are events, not states.

Pressing a bell or striking a block leaves no lasting trace in the world state (RoboTwin checks
these goals from contacts seen during the episode). A `ContactWatch` is a `SimEnv` step hook: it
looks at every physics step's contacts between its two entity groups and keeps the steps at
which a contact point satisfied `where` (e.g. "on the button", "on the block's top face").
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import sapien


class ContactWatch:
    """Records (physics step, world contact point) for contacts between `first` and `second`."""

    def __init__(self, scene: sapien.Scene, first: Iterable[sapien.Entity], second: Iterable[sapien.Entity],
                 where: Callable[[np.ndarray], bool] | None = None, min_impulse: float = 1e-6):
        self.scene = scene
        self.first = {entity.per_scene_id for entity in first}
        self.second = {entity.per_scene_id for entity in second}
        if not self.first or not self.second:
            raise ValueError("ContactWatch needs at least one entity on each side")
        self.where = where
        self.min_impulse = min_impulse
        self.hits: list[tuple[int, np.ndarray]] = []

    def __call__(self, step: int) -> None:
        for contact in self.scene.get_contacts():
            ids = {contact.bodies[0].entity.per_scene_id, contact.bodies[1].entity.per_scene_id}
            if not (ids & self.first and ids & self.second):
                continue
            for point in contact.points:
                position = np.asarray(point.position, dtype=np.float64)
                if np.linalg.norm(point.impulse) >= self.min_impulse and (self.where is None or self.where(position)):
                    self.hits.append((step, position))

    @property
    def happened(self) -> bool:
        return bool(self.hits)


def local_point(entity: sapien.Entity, world: np.ndarray) -> np.ndarray:
    """A world point in `entity`'s frame (its current pose)."""
    return (entity.get_pose().inv() * sapien.Pose(np.asarray(world, dtype=np.float32))).p.astype(np.float64)
