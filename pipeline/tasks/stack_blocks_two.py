"""stack_blocks_two: pick one block and stack it on another (single arm, the one nearer the block)."""
from __future__ import annotations

import numpy as np
import sapien

from pipeline.assets import make_asset, rgba
from pipeline.sim.primitives import support_target
from pipeline.tasks import register_task
from pipeline.tasks.base import Task

XY_TOLERANCE = 0.025
Z_TOLERANCE = 0.012


@register_task
class StackBlocksTwo(Task):
    name = "stack_blocks_two"
    seen_templates = (
        "Stack the {top} block on top of the {bottom} block.",
        "Put the {top} block onto the {bottom} block.",
        "Pick up the {top} block and place it on the {bottom} block.",
    )
    unseen_templates = (
        "Build a two-block tower with the {top} block above the {bottom} one.",
        "Set the {top} cube down on the {bottom} cube.",
    )

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        colours = rng.choice(["red", "green", "blue", "yellow", "purple", "orange"], size=2, replace=False)
        for name, colour in zip(("block_top", "block_bottom"), colours):
            asset = make_asset("block", rng, name=name, color=rgba(str(colour)))
            while True:
                xy = self.free_spot(rng, 0.05, x_range=(-0.28, 0.28), y_range=(-0.12, 0.12))
                if xy is not None:
                    break
            yaw = rng.uniform(-np.pi / 4, np.pi / 4)
            self.add_object(name, asset, sapien.Pose([xy[0], xy[1], self.table_z],
                                                     [np.cos(yaw / 2), 0, 0, np.sin(yaw / 2)]), footprint=0.06)
            self.instruction_fields["top" if name == "block_top" else "bottom"] = str(colour)
        self.roles = {"target": "block_top", "support": "block_bottom"}
        if setting == "hard":
            self.add_distractors(rng, int(rng.integers(2, 5)))

    def play_once(self) -> None:
        block, base = self.actors["block_top"], self.actors["block_bottom"]
        arm = self.nearest_arm(block.get_pose().p)
        asset = self.assets["block_top"]
        self.expert.grasp(arm, block, self.expert.choose_grasp(arm, block, asset.grasps))
        target = support_target(base, self.assets["block_bottom"].functional_points["top"])
        target[2, 3] += 0.003  # release just above the surface
        self.expert.place(arm, block, asset.functional_points["bottom"], target, align_orientation=False)
        self.expert.home([arm])

    def check_success(self) -> bool:
        top, bottom = self.actors["block_top"].get_pose().p, self.actors["block_bottom"].get_pose().p
        bottom_height = self.assets["block_bottom"].bounds[1, 2]
        return bool(np.linalg.norm(top[:2] - bottom[:2]) < XY_TOLERANCE
                    and abs(top[2] - (bottom[2] + bottom_height)) < Z_TOLERANCE)
