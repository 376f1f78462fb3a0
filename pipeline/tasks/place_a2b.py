"""place_a2b_left / place_a2b_right (RoboTwin 2.0): put object A beside object B, on B's left or right.

Shared by both tasks (they are mirror images): the object pool, RoboTwin's layout rule, the expert
and the success check; `PlaceA2B.side` (-1 left, +1 right) is the only difference.

Objects as RoboTwin: A and B are two different categories, heading 90 deg + U(+-180 deg). RoboTwin
draws both from 12 categories (mouse, stapler, bell, toy car, Rubik's cube, bread, phone, playing
cards, wooden block, tea box, coffee box, soap) at 0.05 kg; ours from the procedural ones we have:
mouse, stapler, soap (0.05 kg), wooden block, small box (tea/coffee box; 0.04-0.06 kg), and the bell
(0.4 kg) only as B (the bell has button grasps since place_object_stand, but as A it would need RoboTwin's
0.05 kg and this expert's success re-measured; not done). The toy car, Rubik's cube, bread, phone and card
deck kinds exist now too and are not drawn here yet (the same re-measurement).
Layout as RoboTwin (left; right mirrored): A at x in [-0.22, 0.22], y in [-0.2, 0]; B at x in
[0.18, 0.23] when A.x > 0, else [-0.1, 0.1], y in [-0.2, 0], redrawn until |AB| >= 0.1 and
|dy| >= 0.1; the pair is kept when |AB| > 0.19 or A.x > B.x (left; A.x < B.x right), at most 100
tries. The arm on A's side grasps A (pre-grasp 0.1), lifts it 0.1, and sets its origin down at
(B.x -+ 0.13, B.y), opens.
Success (RoboTwin): 0.08 < |AB| (horizontal) < 0.2, A left of B (A.x < B.x; right: A.x > B.x),
|A.y - B.y| < 0.05, both grippers open. Step limit 400.
Intentional differences: RoboTwin keeps A's heading ("auto"); our expert turns A to the nearest
heading that puts its narrow side toward B, so the 0.13 m spacing never lands it on B's edge (our
procedural staplers are up to 15 cm long). The spot where A goes is kept free of hard-setting
clutter, as our task objects' footprints are.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np
import sapien

from pipeline.assets import make_asset, rgba
from pipeline.tasks.base import Phrasing, Task
from pipeline.tasks.placing import pick_and_place_heading, yaw_quat

MOVABLE_KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "mouse": (("mouse", "computer mouse"), ("wireless mouse",)),
    "stapler": (("stapler", "desk stapler"), ("paper stapler",)),
    "soap": (("soap", "bar of soap"), ("soap bar",)),
    "block": (("block", "wooden block"), ("wooden cube",)),
    "small_box": (("box", "small box"), ("carton",)),
}
"""Kinds A is drawn from -> (seen, unseen) nouns for the instruction."""
REFERENCE_KINDS = {**MOVABLE_KINDS, "bell": (("bell", "desk bell"), ("service bell",))}
"""Kinds B is drawn from."""
COLOURS = ("red", "green", "blue", "yellow", "orange", "purple", "pink", "cyan", "white", "brown")
"""Colours every kind above accepts (the stapler, mouse and bell keep black / gray for their parts)."""
SPACING = 0.13
"""RoboTwin's expert puts A this far beside B along x."""
DISTANCE_RANGE, Y_TOLERANCE = (0.08, 0.2), 0.05


def _phrases(colour: str, nouns: tuple[tuple[str, ...], tuple[str, ...]]):
    return tuple(tuple(p for noun in group for p in (f"the {colour} {noun}", f"the {noun}")) for group in nouns)


class PlaceA2B(Task):
    """Put A on `side` of B (-1: left, smaller x; +1: right)."""

    side: ClassVar[float]
    step_limit = 400

    @classmethod
    def phrasing_for(cls, direction: str) -> Phrasing:
        return Phrasing(
            frames=("{verb} {A} {place} {B}.", "Pick up {A} and {verb} it {place} {B}.",
                    "Grab {A}, then {verb} it {place} {B}.", "Use one arm to {verb} {A} {place} {B}.",
                    "{verb} {A} down {place} {B}."),
            verbs=("place", "put", "set", "move", "position"),
            places=(f"to the {direction} of", f"on the {direction} side of", f"{direction} of"))

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        a_kinds = sorted(MOVABLE_KINDS)
        a_kind = a_kinds[int(rng.integers(len(a_kinds)))]
        b_kinds = sorted(set(REFERENCE_KINDS) - {a_kind})
        b_kind = b_kinds[int(rng.integers(len(b_kinds)))]
        colours = rng.choice(COLOURS, size=2, replace=False)
        a_xy, b_xy = self.layout(rng)
        for name, kind, colour, xy in (("object_b", b_kind, colours[1], b_xy), ("object_a", a_kind, colours[0], a_xy)):
            asset = make_asset(kind, rng, name=name, color=rgba(str(colour)))
            yaw = np.pi / 2 + rng.uniform(-np.pi, np.pi)
            self.add_object(name, asset, sapien.Pose([*xy, self.table_z + 1e-3], yaw_quat(yaw)))
        self.reserve((b_xy[0] + self.side * SPACING, b_xy[1]), 0.05)
        self.roles = {"target": "object_a", "support": "table"}
        self.instruction_fields = {"A": f"{colours[0]} {MOVABLE_KINDS[a_kind][0][0]}",
                                   "B": f"{colours[1]} {REFERENCE_KINDS[b_kind][0][0]}"}
        self.descriptions = {"A": _phrases(str(colours[0]), MOVABLE_KINDS[a_kind]),
                             "B": _phrases(str(colours[1]), REFERENCE_KINDS[b_kind])}
        if setting == "hard":
            self.add_distractors(rng)

    @classmethod
    def layout(cls, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(A, B) table xy by RoboTwin's rule (written for the left task; the right is its mirror in x)."""
        for _ in range(100):
            a_xy = np.array([rng.uniform(-0.22, 0.22), rng.uniform(-0.2, 0.0)])
            a_x = -cls.side * a_xy[0]  # in the left task's frame
            b_range = (0.18, 0.23) if a_x > 0 else (-0.1, 0.1)
            while True:
                b_xy = np.array([-cls.side * rng.uniform(*b_range), rng.uniform(-0.2, 0.0)])
                if np.linalg.norm(a_xy - b_xy) >= 0.1 and abs(a_xy[1] - b_xy[1]) >= 0.1:
                    break
            if np.linalg.norm(a_xy - b_xy) > 0.19 or a_x > -cls.side * b_xy[0]:
                break
        return a_xy, b_xy

    def play_once(self) -> None:
        a, b = self.actors["object_a"], self.actors["object_b"]
        arm = self.nearest_arm(a.get_pose().p)
        extent = self.assets["object_a"].bounds[1] - self.assets["object_a"].bounds[0]
        narrow_along_x = (0.0, np.pi) if extent[0] <= extent[1] else (np.pi / 2, -np.pi / 2)
        b_xy = np.asarray(b.get_pose().p[:2])
        spot = (b_xy[0] + self.side * SPACING, b_xy[1], self.table_z)
        pick_and_place_heading(self, arm, "object_a", spot, yaws=narrow_along_x, pre_distance=0.1, lift=0.1,
                               pre_height=0.07, clearance=0.005)

    def evaluate(self) -> dict[str, bool]:
        a, b = self.actors["object_a"].get_pose().p, self.actors["object_b"].get_pose().p
        distance = float(np.linalg.norm(a[:2] - b[:2]))
        out = {"beside": bool(DISTANCE_RANGE[0] < distance < DISTANCE_RANGE[1] and abs(a[1] - b[1]) < Y_TOLERANCE),
               "on_the_side": bool(self.side * (a[0] - b[0]) > 0),
               "grippers_open": self.gripper_open("left") and self.gripper_open("right")}
        out["success"] = all(out.values())
        return out
