"""place_container_plate (RoboTwin 2.0): put the bowl or the cup on the plate.

Layout as RoboTwin: the container, a bowl or a cup (50/50), at x in [-0.28, 0.28] with |x| >= 0.2,
y in [-0.1, 0.05]; the static plate on the container's side at x = +-0.05 + U(+-0.03),
y in [-0.15, -0.1]. The arm on the container's side grasps it (bowl: at its rim; cup: around its
wall, level or pitched down), lifts it 0.1, carries it 0.12 above the plate, lowers it onto the
plate's floor, opens and rises 0.08.

Success (RoboTwin): container origin within (0.05, 0.05, 0.03) of the plate origin per axis; both
grippers open. Step limit 400.
Intentional differences: the plate is procedural and at most 9.5 cm in radius; RoboTwin's layout
ranges can still overlap a plate with a bowl, so ours redraws both until their footprints keep
1 cm apart (RoboTwin's stability filter would drop such seeds). RoboTwin grasps and then retreats
0.1 along the approach and releases 0.03 above the plate; ours lifts straight up (a side grasp's
approach axis is horizontal) and releases 5 mm above the floor, so the container does not drop.
"""
from __future__ import annotations

import numpy as np
import sapien

from pipeline.assets import make_asset, random_color_name, rgba
from pipeline.sim.primitives import entity_matrix, support_target
from pipeline.tasks import register_task
from pipeline.tasks.base import Phrasing, Task, described, footprint_radius
from pipeline.tasks.place_empty_cup import GRASP_PITCHES_DEG, ROLL_HALF_TURN, pitched_down
from pipeline.tasks.reach import backed_off, choose_reachable_grasp, grasp_near, lift_near, place_near, raised

CONTAINERS = {"bowl": (("bowl", "small bowl"), ("dish bowl",)),
              "cup": (("cup", "mug"), ("drinking cup",))}
TOLERANCE = np.array([0.05, 0.05, 0.03])
"""Container origin to plate origin, per axis (RoboTwin)."""
PRE_DISTANCE, LIFT, PRE_HEIGHT, CLEARANCE, RETREAT = 0.1, 0.1, 0.12, 0.005, 0.08
FOOTPRINT_GAP = 0.01


@register_task
class PlaceContainerPlate(Task):
    name = "place_container_plate"
    phrasing = Phrasing(
        frames=("{verb} {container} {place} {plate}.", "Pick up {container} and {verb} it {place} {plate}.",
                "Grab {container}, then {verb} it {place} {plate}.", "{verb} {container} {place} {plate} with one arm.",
                "Lift {container} and {verb} it {place} {plate}."),
        verbs=("place", "put", "set", "move", "lay"),
        places=("on", "onto", "on top of"))
    step_limit = 400

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        kind = sorted(CONTAINERS)[int(rng.integers(len(CONTAINERS)))]
        colour = random_color_name(rng)
        plate_colour = random_color_name(rng, exclude=(colour,))
        container = make_asset(kind, rng, name="container", color=rgba(colour))
        plate = make_asset("plate", rng, name="plate", color=rgba(plate_colour))
        clearance = footprint_radius(container) / np.sqrt(2) + plate.bounds[1, 0] + FOOTPRINT_GAP
        while True:
            container_xy = np.array([rng.uniform(-0.28, 0.28), rng.uniform(-0.1, 0.05)])
            if abs(container_xy[0]) < 0.2:
                continue
            side = 1.0 if container_xy[0] > 0 else -1.0
            plate_xy = np.array([side * 0.05 + rng.uniform(-0.03, 0.03), rng.uniform(-0.15, -0.1)])
            if np.linalg.norm(container_xy - plate_xy) >= clearance:
                break
        self.add_object("plate", plate, sapien.Pose([*plate_xy, self.table_z]), static=True)
        self.add_object("container", container, sapien.Pose([*container_xy, self.table_z + 1e-3]))
        self.roles = {"target": "container", "support": "plate"}
        self.instruction_fields = {"container": f"{colour} {kind}", "plate": plate_colour}
        self.descriptions = {"container": described(colour, *CONTAINERS[kind]),
                             "plate": described(plate_colour, ("plate", "dish"), ("serving plate",))}
        if setting == "hard":
            self.add_distractors(rng)

    def play_once(self) -> None:
        container, asset = self.actors["container"], self.assets["container"]
        arm = self.nearest_arm(container.get_pose().p)
        target = support_target(self.actors["plate"], self.assets["plate"].functional_points["top"])
        target[2, 3] += CLEARANCE
        grasp = self._reachable_grasp(arm, target)
        grasp_near(self.expert, arm, container, grasp, PRE_DISTANCE, LIFT)
        place_near(self.expert, arm, container, asset.functional_points["bottom"], target, align_orientation=False,
                   pre_height=PRE_HEIGHT, retreat=0.0)
        lift_near(self.expert, arm, RETREAT)
        self.expert.home([arm])

    def _reachable_grasp(self, arm: str, target: np.ndarray) -> np.ndarray:
        """The bowl's rim grasps, or the cup's side grasps level and pitched down (either roll),
        ranked by `choose_reachable_grasp` over the whole motion (the container keeps its pose in
        the hand, so the placing TCP is the grasp moved with the container)."""
        asset = self.assets["container"]
        pose = entity_matrix(self.actors["container"])
        at_target = pose.copy()
        at_target[:3, 3] += target[:3, 3] - (pose @ asset.functional_points["bottom"])[:3, 3]
        candidates = list(asset.grasps) if asset.kind == "bowl" else [
            pitched_down(level, np.deg2rad(pitch)) @ roll for level in asset.grasps
            for pitch in GRASP_PITCHES_DEG for roll in (np.eye(4), ROLL_HALF_TURN)]

        def motion(grasp: np.ndarray) -> list[np.ndarray]:
            tcp, place = pose @ grasp, at_target @ grasp
            return [backed_off(tcp, PRE_DISTANCE), tcp, raised(tcp, LIFT), raised(place, PRE_HEIGHT), place]

        return choose_reachable_grasp(self.expert, arm, pose, candidates, motion)

    def evaluate(self) -> dict[str, bool]:
        offset = np.abs(self.actors["container"].get_pose().p - self.actors["plate"].get_pose().p)
        out = {"on_plate": bool(np.all(offset < TOLERANCE)),
               "grippers_open": self.gripper_open("left") and self.gripper_open("right")}
        out["success"] = all(out.values())
        return out
