"""place_object_stand (RoboTwin 2.0): put the object on the display stand.

Layout as RoboTwin: the object (0.01 kg) upright at x in [-0.28, 0.28] with |x| >= 0.2,
y in [-0.05, 0.05], heading U(+-60 deg); the display stand (dynamic, 0.01 kg), heading U(+-30 deg),
at x in [0, 0.05] on the object's side (mirrored), y in [-0.15, -0.1], at least 0.1 from the
object. The arm on the object's side grasps it (pre-grasp 0.1), lifts it 0.06, carries it over the
platform keeping its heading (RoboTwin's `free` constraint), lowers it from 0.07 above and releases
it 5 mm above the platform.

Success (RoboTwin): the object origin within 0.03 in x and in y of the stand origin; both grippers
open. No height condition. Step limit 400.
The object is, as RoboTwin's, a mouse, stapler, bell, Rubik's cube, toy car or remote control.
Intentional differences: the objects and the display stand are procedural (the stand a round,
square or two-tier pedestal; RoboTwin: 5 models); the Rubik's cube keeps its own dark body and
stickers and is named without a colour; the bell is held by its button (its dome is too wide, or
where narrow enough too steep, for a Panda hand to hold).
"""
from __future__ import annotations

import numpy as np
import sapien

from pipeline.assets import make_asset, random_color_name, rgba
from pipeline.sim.primitives import entity_matrix
from pipeline.tasks import register_task
from pipeline.tasks.base import Phrasing, Task, described, footprint_radius
from pipeline.tasks.placing import heading, off_centre_xy, pick_and_place_heading, set_mass, spot_beside, yaw_quat

OBJECTS = {"mouse": (("mouse", "computer mouse"), ("wireless mouse",)),
           "stapler": (("stapler", "desk stapler"), ("paper stapler",)),
           "bell": (("bell", "desk bell"), ("service bell",)),
           "rubiks_cube": (("Rubik's cube", "puzzle cube"), ("magic cube",)),
           "toy_car": (("toy car", "car"), ("model car",)),
           "remote_control": (("remote control", "remote"), ("TV remote",))}
"""Kinds the object is drawn from -> (seen, unseen) nouns for the instruction."""
MULTICOLOURED = ("rubiks_cube",)
"""Kinds whose look is many colours (a Rubik's cube's stickers): built in their own colours and
named by their noun alone."""
OBJECT_MASS = 0.01
"""kg; RoboTwin sets the object and the stand to 0.01 kg."""
XY_TOLERANCE = 0.03
HAND_CLEARANCE = 0.05
"""Clutter keeps this much farther from the object than its footprint (RoboTwin pads its keep-out
rectangles): a clutter box beside a stapler left none of its grasps an IK solution (hard seed 14)."""


@register_task
class PlaceObjectStand(Task):
    name = "place_object_stand"
    phrasing = Phrasing(
        frames=("{verb} {object} {place} {stand}.", "Pick up {object} and {verb} it {place} {stand}.",
                "Grab {object}, then {verb} it {place} {stand}.", "{verb} {object} {place} {stand} to display it.",
                "Use one arm to {verb} {object} {place} {stand}."),
        verbs=("place", "put", "set", "move", "lay"),
        places=("on", "onto", "on top of"))
    step_limit = 400

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        kinds = sorted(OBJECTS)
        kind = kinds[int(rng.integers(len(kinds)))]
        object_xy = off_centre_xy(rng, (-0.28, 0.28), (-0.05, 0.05), min_abs_x=0.2)
        stand_xy = spot_beside(rng, object_xy, x_range=(0.0, 0.05), y_range=(-0.15, -0.1), min_distance=0.1)
        colour = random_color_name(rng, exclude=("gray",))
        stand_colour = random_color_name(rng, exclude=(colour,))
        stand = make_asset("display_stand", rng, name="stand", color=rgba(stand_colour))
        self.add_object("stand", stand, sapien.Pose([*stand_xy, self.table_z + 1e-3],
                                                    yaw_quat(rng.uniform(-np.pi / 6, np.pi / 6))))
        coloured = kind not in MULTICOLOURED
        item = make_asset(kind, rng, name="object", color=rgba(colour) if coloured else None)
        self.add_object("object", item, sapien.Pose([*object_xy, self.table_z + 1e-3],
                                                    yaw_quat(rng.uniform(-np.pi / 3, np.pi / 3))),
                        footprint=footprint_radius(item) + HAND_CLEARANCE)
        set_mass(self.actors["object"], OBJECT_MASS)
        self.roles = {"target": "object", "support": "stand"}
        noun = OBJECTS[kind][0][0]
        self.instruction_fields = {"object": f"{colour} {noun}" if coloured else noun, "stand": stand_colour}
        self.descriptions = {"object": described(colour if coloured else None, *OBJECTS[kind]),
                             "stand": described(stand_colour, ("display stand", "stand"), ("pedestal",))}
        if setting == "hard":
            self.add_distractors(rng)

    def play_once(self) -> None:
        item = self.actors["object"]
        top = (entity_matrix(self.actors["stand"]) @ self.assets["stand"].functional_points["top"])[:3, 3]
        pick_and_place_heading(self, self.nearest_arm(item.get_pose().p), "object", top, yaws=(heading(item),),
                               pre_distance=0.1, lift=0.06, pre_height=0.07, clearance=0.005)

    def evaluate(self) -> dict[str, bool]:
        offset = np.abs(self.actors["object"].get_pose().p[:2] - self.actors["stand"].get_pose().p[:2])
        out = {"on_stand": bool(np.all(offset < XY_TOLERANCE)),
               "grippers_open": self.gripper_open("left") and self.gripper_open("right")}
        out["success"] = all(out.values())
        return out
