"""place_bread_basket (RoboTwin 2.0): put one or two pieces of bread into the bread basket.

Layout as RoboTwin: the basket at (0, -0.2), any heading; two loaves (RoboTwin's ids 0, 1, 3, 5, 6;
here `bread`, 3 shapes) upright at heading 0 +- 45 deg, x in [-0.27, 0.27] with |x| >= 0.15,
y in [-0.2, 0.05]; after 50 failed draws of the second loaf the episode has one. Arms as RoboTwin:
one arm (the loaves' side) when both lie on one side or there is one loaf, the front loaf first
(grasp, pre-grasp 0.07; place, pre-height 0.12; open; rise 0.15; every carry a straight line
where one exists, so the loaf stays above the basket's rim); both arms when they lie on
opposite sides (both grasp; the left one places, opens, rises 0.1 and goes home while the right one
places, pre-height 0.13).
Success (RoboTwin): every loaf's origin within 0.05 of the basket's origin in x and in y and above
the table top - 0.01, both grippers open. Step limit 700.
Differences: RoboTwin keeps a loaf 0.1 from the basket centre and from the other loaf; our basket
is up to 25 cm across, so a loaf keeps its footprint plus 1 cm clear of the basket's and of the
other loaf's. RoboTwin drops both loaves on the basket's centre (the second lands on the first);
here two loaves lie side by side, their long sides along world x (the hand turns a loaf by at most
45 deg), 4.2 cm either side of the centre along y, so the fingers opening across a loaf miss the
other one. Loaves are lifted 0.1 after the grasp (RoboTwin: 0.1 single-arm, 0.05 dual) so they
clear the basket's rim, and both arms use the pre-grasp 0.07 (RoboTwin's left arm: 0.05).
"""
from __future__ import annotations

import numpy as np
import sapien

from pipeline.assets import make_asset, random_color_name, rgba
from pipeline.assets.geometry import DOWN, pose
from pipeline.sim.poses import matrix_to_pose, yaw_pose
from pipeline.sim.primitives import entity_matrix
from pipeline.tasks import register_task
from pipeline.tasks.base import Phrasing, Task, described, footprint_radius
from pipeline.sim.robot import PlanningError
from pipeline.tasks.reach import backed_off, choose_reachable_grasp, place_near, raised, straight_or_near
from pipeline.tasks.rising import rise

BASKET_XY = (0.0, -0.2)
XY_TOLERANCE_M = 0.05
BELOW_TABLE_M = 0.01
"""RoboTwin: loaf z > 0.73 + bias with the table top at 0.74 + bias."""
SIDE_BY_SIDE_M = 0.042
"""Offset of each of two loaves from the basket centre along world y."""
PRE_DISTANCE, LIFT, CLEARANCE = 0.07, 0.1, 0.005
SINGLE_PRE_HEIGHT, SINGLE_RISE = 0.12, 0.15
DUAL_PRE_HEIGHT, DUAL_RISE = 0.13, 0.1
GAP_M = 0.01
BREAD_NOUNS = {"loaf": ("loaf", "loaf of bread"), "roll": ("bread roll", "roll"), "bun": ("bun", "bread bun")}


@register_task
class PlaceBreadBasket(Task):
    name = "place_bread_basket"
    step_limit = 700
    arms = ("left", "right")
    phrasing = Phrasing(
        frames=("{verb} {bread} {place} {basket}.", "Use the gripper to {verb} {bread} {place} {basket}.",
                "{verb} {bread} from the table {place} {basket}.", "Pick up {bread} and {verb} the bread {place} {basket}.",
                "Clear {bread} off the table: {verb} the bread {place} {basket}."),
        verbs=("put", "place", "drop", "move", "set"),
        places=("into", "in", "inside"))

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        basket_colour = random_color_name(rng)
        basket = make_asset("bread_basket", rng, name="bread_basket", color=rgba(basket_colour))
        self.add_object("bread_basket", basket, yaw_pose([*BASKET_XY, self.table_z + 1e-3], rng.uniform(-np.pi, np.pi)))
        basket_radius = footprint_radius(basket)
        self.loaves: list[str] = []
        placed: list[tuple[np.ndarray, float]] = [(np.array(BASKET_XY), basket_radius)]
        styles = []
        for k in range(2):
            style = sorted(BREAD_NOUNS)[int(rng.integers(len(BREAD_NOUNS)))]
            loaf = make_asset("bread", rng, name=f"bread_{k}", style=style)
            radius = footprint_radius(loaf)
            for _ in range(50):
                xy = np.array([rng.uniform(-0.27, 0.27), rng.uniform(-0.2, 0.05)])
                if abs(xy[0]) >= 0.15 and all(np.linalg.norm(xy - c) >= max(0.1, r + radius + GAP_M) for c, r in placed):
                    break
            else:
                break
            placed.append((xy, radius))
            self.add_object(f"bread_{k}", loaf, yaw_pose([*xy, self.table_z + 1e-3], rng.uniform(-np.pi / 4, np.pi / 4)))
            self.loaves.append(f"bread_{k}")
            styles.append(style)
        self.roles = {"target": self.loaves[0], "support": "bread_basket"}
        self.instruction_fields = {"basket": basket_colour}
        nouns = [BREAD_NOUNS[style][0] for style in styles]
        if len(styles) == 2:
            bread = ((f"the {nouns[0]} and the {nouns[1]}", "the bread", "both pieces of bread"),
                     ("the baked goods", "the two pastries"))
        else:
            bread = (("the bread",) + tuple(f"the {noun}" for noun in BREAD_NOUNS[styles[0]]), ("the baked goods", "the pastry"))
        self.descriptions = {"bread": bread,
                             "basket": described(basket_colour, ("bread basket", "basket"), ("bread bin",))}
        if setting == "hard":
            self.add_distractors(rng)

    def target(self, name: str, index: int) -> np.ndarray:
        """World frame a loaf's "bottom" point goes to: its spot in the basket (beside the other
        loaf when there are two), the loaf's long side turned to the nearer direction along world x."""
        basket = entity_matrix(self.actors["bread_basket"]) @ self.assets["bread_basket"].functional_points["inside"]
        xyz = basket[:3, 3] + (0.0, 0.0, CLEARANCE)
        if len(self.loaves) == 2:
            xyz[1] += SIDE_BY_SIDE_M * (-1.0 if index == 0 else 1.0)
        bottom = entity_matrix(self.actors[name]) @ self.assets[name].functional_points["bottom"]
        x = np.array([1.0 if bottom[0, 0] >= 0 else -1.0, 0.0, 0.0])
        return pose(xyz, z_axis=DOWN, y_axis=np.cross(DOWN, x))

    def placing_grasp(self, arm: str, name: str, index: int, pre_height: float) -> np.ndarray:
        """A reachable top grasp of loaf `name` through pre-grasp, grasp, lift and both placing poses."""
        obj = entity_matrix(self.actors[name])
        to_target = self.target(name, index) @ np.linalg.inv(self.assets[name].functional_points["bottom"])

        def motion(grasp: np.ndarray) -> list[np.ndarray]:
            tcp = obj @ grasp
            place = to_target @ grasp
            return [backed_off(tcp, PRE_DISTANCE), tcp, raised(tcp, LIFT), raised(place, pre_height), place]

        return choose_reachable_grasp(self.expert, arm, obj, self.assets[name].grasps_labelled("top"), motion)

    def play_once(self) -> None:
        sides = {name: "left" if self.actors[name].get_pose().p[0] < 0 else "right" for name in self.loaves}
        if len(set(sides.values())) == 1:
            self.single_arm(sides[self.loaves[0]])
        else:
            self.dual_arm(sides)

    def single_arm(self, arm: str) -> None:
        """One arm, the front loaf (smaller y) first."""
        order = sorted(range(len(self.loaves)), key=lambda k: self.actors[self.loaves[k]].get_pose().p[1])
        for index in order:
            name = self.loaves[index]
            grasp = self.placing_grasp(arm, name, index, SINGLE_PRE_HEIGHT)
            self.expert.grasp(arm, self.actors[name], grasp, pre_distance=PRE_DISTANCE, lift=0.0)
            rise(self.expert, (arm,), LIFT)
            place_near(self.expert, arm, self.actors[name], self.assets[name].functional_points["bottom"],
                       self.target(name, index), pre_height=SINGLE_PRE_HEIGHT, retreat=SINGLE_RISE)

    def dual_arm(self, sides: dict[str, str]) -> None:
        """Both grasp together; left places and goes home while right carries its loaf over; right places."""
        expert, env = self.expert, self.env
        index = {sides[name]: k for k, name in enumerate(self.loaves)}
        name = {arm: self.loaves[k] for arm, k in index.items()}
        grasps = {arm: self.placing_grasp(arm, name[arm], index[arm], DUAL_PRE_HEIGHT) for arm in ("left", "right")}
        expert.grasp_together({arm: (self.actors[name[arm]], grasps[arm]) for arm in grasps},
                              pre_distance=PRE_DISTANCE, lift=0.0)
        rise(expert, grasps, LIFT)
        place_near(expert, "left", self.actors[name["left"]], self.assets[name["left"]].functional_points["bottom"],
                   self.target(name["left"], index["left"]), pre_height=DUAL_PRE_HEIGHT, retreat=DUAL_RISE)
        goal = expert.placing_tcp("right", self.actors[name["right"]], self.assets[name["right"]].functional_points["bottom"],
                                  self.target(name["right"], index["right"]))
        above = matrix_to_pose(raised(goal.to_transformation_matrix(), DUAL_PRE_HEIGHT))
        try:  # a straight carry keeps the loaf above the basket's rim (a joint-space path swept it into the basket)
            carry = env.robot["right"].plan_to_tcp(above, env.dt, straight=True)
        except PlanningError:
            carry = env.robot["right"].plan_to_tcp(above, env.dt)
        expert.follow({"left": env.robot["left"].plan_to_qpos(np.asarray(env.config.robot.home_qpos), env.dt),
                       "right": carry})
        straight_or_near(expert, "right", goal)
        expert.open_gripper("right")
        expert.move_by("right", (0.0, 0.0, DUAL_RISE))

    def evaluate(self) -> dict[str, bool]:
        basket = self.actors["bread_basket"].get_pose().p
        out = {}
        for name in self.loaves:
            p = self.actors[name].get_pose().p
            out[f"{name}_in_basket"] = bool(np.all(np.abs(p[:2] - basket[:2]) < XY_TOLERANCE_M)
                                             and p[2] > self.table_z - BELOW_TABLE_M)
        out["grippers_open"] = self.gripper_open("left") and self.gripper_open("right")
        out["success"] = all(out.values())
        return out
