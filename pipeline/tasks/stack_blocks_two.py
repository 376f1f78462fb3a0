"""stack_blocks_two (RoboTwin 2.0): move the first block to a set spot, then stack the second on it.

Layout as RoboTwin: two 5 cm cubes, each x in [-0.28, 0.28] with |x| >= 0.05, y in [-0.08, 0.05]
(y <= 0 when |x| < 0.15), yaw U(+-0.75), redrawn within 0.15 of (0, -0.1) or within 0.10 of the
other. Expert as RoboTwin: the arm on each block's side grasps it, lifts it, the bottom block
goes to (0, -0.13) on the table and the top block onto the bottom block's top face; switching arms
sends the other arm home.

Success (RoboTwin): the top block within (0.025, 0.025, 0.012) of (bottom.x, bottom.y,
bottom.z + 0.05) and both grippers open.
"""
from __future__ import annotations

import numpy as np
import sapien

from pipeline.assets import make_asset, rgba
from pipeline.sim.primitives import support_target
from pipeline.tasks import register_task
from pipeline.tasks.base import Phrasing, Task

BLOCK_SIZE = 0.05
TOLERANCE = np.array([0.025, 0.025, 0.012])
STACK_SPOT = (0.0, -0.13)
"""Where the bottom block is put down first (RoboTwin's fixed target)."""


@register_task
class StackBlocksTwo(Task):
    name = "stack_blocks_two"
    phrasing = Phrasing(
        frames=("{verb} {top} {place} {bottom}.", "Pick up {top} and {verb} it {place} {bottom}.",
                "First move {bottom} to the middle, then {verb} {top} {place} it.",
                "{verb} {top} {place} {bottom} to make a small tower.",
                "Grab {top} and {verb} it {place} {bottom}."),
        verbs=("stack", "put", "place", "set", "pile"),
        places=("on", "onto", "on top of"))

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        colours = rng.choice(["red", "green", "blue", "yellow", "purple", "orange"], size=2, replace=False)
        placed: list[np.ndarray] = []
        for name, colour in zip(("block_bottom", "block_top"), colours):
            asset = make_asset("block", rng, name=name, color=rgba(str(colour)), size=BLOCK_SIZE)
            while True:
                xy = np.array([rng.uniform(-0.28, 0.28), rng.uniform(-0.08, 0.05)])
                if abs(xy[0]) < 0.15 and xy[1] > 0:
                    xy[1] = rng.uniform(-0.08, 0.0)
                if (abs(xy[0]) >= 0.05 and np.linalg.norm(xy - (0.0, -0.1)) >= 0.15
                        and all(np.linalg.norm(xy - other) >= 0.10 for other in placed)):
                    break
            placed.append(xy)
            yaw = rng.uniform(-0.75, 0.75)
            self.add_object(name, asset, sapien.Pose([xy[0], xy[1], self.table_z],
                                                     [np.cos(yaw / 2), 0, 0, np.sin(yaw / 2)]), footprint=0.07)
            key = "top" if name == "block_top" else "bottom"
            self.instruction_fields[key] = str(colour)
            self.descriptions[key] = ((f"the {colour} block", f"the {colour} cube"), (f"the {colour} brick",))
        self._reserve(sapien.Pose([*STACK_SPOT, self.table_z]), 0.05)
        self.roles = {"target": "block_top", "support": "block_bottom"}
        if setting == "hard":
            self.add_distractors(rng)

    def play_once(self) -> None:
        block, base = self.actors["block_top"], self.actors["block_bottom"]
        base_asset, asset = self.assets["block_bottom"], self.assets["block_top"]
        first = self.nearest_arm(base.get_pose().p)
        self.expert.grasp(first, base, self.expert.choose_grasp(first, base, base_asset.grasps), lift=0.07)
        spot = np.eye(4)
        spot[:3, 3] = (*STACK_SPOT, self.table_z + 0.003)
        self.expert.place(first, base, base_asset.functional_points["bottom"], spot, align_orientation=False,
                          pre_height=0.05, retreat=0.07)
        second = self.nearest_arm(block.get_pose().p)
        if second != first:
            self.expert.home([first])
        self.expert.grasp(second, block, self.expert.choose_grasp(second, block, asset.grasps), lift=0.07)
        target = support_target(base, base_asset.functional_points["top"])
        target[2, 3] += 0.003  # release just above the surface
        self.expert.place(second, block, asset.functional_points["bottom"], target, align_orientation=False,
                          pre_height=0.05, retreat=0.07)
        self.expert.home([second])

    def evaluate(self) -> dict[str, bool]:
        top, bottom = self.actors["block_top"].get_pose().p, self.actors["block_bottom"].get_pose().p
        error = np.abs(top - (bottom + (0.0, 0.0, self.assets["block_bottom"].bounds[1, 2])))
        out = {"stacked_xy": bool(np.all(error[:2] < TOLERANCE[:2])), "stacked_z": bool(error[2] < TOLERANCE[2]),
               "grippers_open": self.gripper_open("left") and self.gripper_open("right")}
        out["success"] = all(out.values())
        return out
