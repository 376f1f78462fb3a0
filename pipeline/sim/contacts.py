"""Contact events for the value-map annotator, read from `scene.get_contacts()`.

Between two recorded steps the collector looks at every physics step and keeps, per
(kind, arm, actor, other body), the contact points of the latest step in which that pair touched:
short events (a strike, a press) survive even when they end before the next recorded step.
Kinds (`data_schemas.spec`): CONTACT_GRASP finger link vs tracked actor, CONTACT_SUPPORT the
task's target actor vs its support, CONTACT_PRESS a robot link (fingers included) or held tool vs
a pressed part (checked first: a finger on a button presses it, it does not grasp it).
Normals are SAPIEN's contact normals, sign-flipped where needed so that the touched actor always
plays the role of `bodies[0]`; impulses are the magnitude of the point's impulse over that step.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from data_schemas.spec import CONTACT_GRASP, CONTACT_PRESS, CONTACT_SUPPORT


@dataclass(frozen=True)
class ContactRules:
    """Which entity pairs produce which contact kind; built by the task base class.
    Entities are keyed by `Entity.per_scene_id`."""

    actors: Mapping[int, int]
    """Tracked actor entity -> index into object_names."""
    fingers: Mapping[int, tuple[int, str]]
    """Finger link entity -> (arm index, contact body name)."""
    robot_links: Mapping[int, tuple[int, str]]
    supports: Mapping[int, tuple[int, str]]
    """Target actor entity -> (support entity, support body name)."""
    pressed: Mapping[int, str] = field(default_factory=dict)
    """Pressed part entity -> role name; pressers are robot links and `tools`."""
    tools: Mapping[int, str] = field(default_factory=dict)


class ContactCollector:
    """Accumulates contact events; `flush(step)` returns them as rows tagged with that step."""

    def __init__(self, rules: ContactRules):
        self.rules = rules
        self.bodies: list[str] = []
        self._pending: dict[tuple, list[tuple[np.ndarray, np.ndarray, float]]] = {}
        self.rows: list[tuple] = []

    def body_index(self, name: str) -> int:
        if name not in self.bodies:
            self.bodies.append(name)
        return self.bodies.index(name)

    def _classify(self, a: int, b: int) -> tuple[int, int, int, str] | None:
        """(kind, arm, actor index, other body) with `a` the touched actor, or None."""
        r = self.rules
        if a not in r.actors:
            return None
        if a in r.pressed:  # a finger on a button or a lid presses it, it does not grasp it
            if b in r.robot_links:
                arm, name = r.robot_links[b]
                return CONTACT_PRESS, arm, r.actors[a], name
            if b in r.tools:
                return CONTACT_PRESS, -1, r.actors[a], r.tools[b]
        if b in r.fingers:
            arm, name = r.fingers[b]
            return CONTACT_GRASP, arm, r.actors[a], name
        support = r.supports.get(a)
        if support is not None and support[0] == b:
            return CONTACT_SUPPORT, -1, r.actors[a], support[1]
        return None

    def observe(self, contacts: list) -> None:
        """Look at one physics step's contacts (from `scene.get_contacts()`)."""
        seen: dict[tuple, list] = {}
        for contact in contacts:
            e0, e1 = contact.bodies[0].entity.per_scene_id, contact.bodies[1].entity.per_scene_id
            for actor, other, sign in ((e0, e1, 1.0), (e1, e0, -1.0)):
                label = self._classify(actor, other)
                if label is None:
                    continue
                points = [(np.asarray(p.position), sign * np.asarray(p.normal),
                           float(np.linalg.norm(p.impulse))) for p in contact.points]
                if points:
                    seen.setdefault(label, []).extend(points)
        self._pending.update(seen)

    def flush(self, step: int) -> None:
        for (kind, arm, actor, other), points in sorted(self._pending.items(), key=lambda kv: kv[0]):
            other_index = self.body_index(other)
            for position, normal, impulse in points:
                self.rows.append((step, kind, arm, actor, other_index, position, normal, impulse))
        self._pending = {}

    def arrays(self) -> dict[str, np.ndarray]:
        rows = self.rows
        return {
            "contacts/step": np.array([r[0] for r in rows], dtype=np.int32),
            "contacts/kind": np.array([r[1] for r in rows], dtype=np.int8),
            "contacts/arm": np.array([r[2] for r in rows], dtype=np.int8),
            "contacts/actor": np.array([r[3] for r in rows], dtype=np.int16),
            "contacts/other": np.array([r[4] for r in rows], dtype=np.int16),
            "contacts/position": np.array([r[5] for r in rows], dtype=np.float32).reshape(-1, 3),
            "contacts/normal": np.array([r[6] for r in rows], dtype=np.float32).reshape(-1, 3),
            "contacts/impulse": np.array([r[7] for r in rows], dtype=np.float32),
        }
