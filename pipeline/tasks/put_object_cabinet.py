"""put_object_cabinet (RoboTwin 2.0): one arm pulls a cabinet's drawer open, the other puts an object in it.

Layout as RoboTwin: the cabinet's root is fixed at x in [-0.05, 0.05], y = 0.155, heading 90 deg (RoboTwin's
quaternion [1, 0, 0, 1]) without noise, its drawer towards the robot, shut. The object (0.01 kg as RoboTwin)
is drawn from RoboTwin's pool as far as we have kinds: mouse, stapler, toy car, Rubik's cube, bread, phone,
playing cards, tea / coffee box (`small_box`), soap; upright at heading 0 +- 60 deg, x first drawn in
[-0.25, 0.25] and redrawn in [-0.32, 0.32] until |x| >= 0.2, y in [-0.2, -0.1]. The arm on the object's side
(left for x < 0) takes the object, the other arm the drawer. In the hard setting clutter keeps off both and out of
RoboTwin's keep-out rectangle [-0.15, -0.3, 0.15, 0.3], covered by reserved discs (`KEEP_OUT`).

Expert as RoboTwin: the object arm grasps the object (pre-grasp 0.1); the other arm grasps the drawer's handle
(pre-grasp 0.05, reached in joint space at the posture nearest home) and pulls it out in straight steps of
0.04 m; the object arm lifts the object 0.15, carries it over the drawer's placing point (RoboTwin's fp0, the
drawer's "drop" point) and lowers it there, and opens.
Success (RoboTwin): the object's origin within 0.05 m of the drawer's placing point in x and in y, its height
0.007-0.12 m above where it started, the object arm's gripper open; `evaluate` names the three. RoboTwin
reads the start height set by its expert's `play_once`; ours is the spawn height, set at load (the same in the
expert's run and a policy's). Step limit 700.

Intentional differences: the cabinet is procedural (`cabinet`: a low shell with one drawer on a damped
prismatic joint, a vertical bar handle; RoboTwin: PartNet-Mobility 46653), and the expert pulls 5 steps
(0.2 m) rather than 4 (0.16 m): our drawer uncovers no more floor than it is pulled out, and a 16 cm phone,
turned along the pull as it is put in (below), needs more than 0.16 m. Heading 0 lays each object's long side
along world x (RoboTwin's scans have their own frames). The expert turns the object about the vertical as it
carries it, so the hand's fingers open across the drawer (`placing_tcp`; RoboTwin keeps the heading): the hand
is 20 cm long along its fingers' axis. The drawer arm lets go of the handle and goes home before the object is
carried in (RoboTwin's keeps holding): its hand stands where the object arm's comes down. The object arm lifts
the object 0.15 m right after grasping it, before the drawer is pulled (RoboTwin's lifts it after): left on the
table, a long object (a phone turned 60 deg) reached into the drawer's path and stopped it 6 cm out (easy
seed 18). The object is let go 0.01 m above the drawer's floor (RoboTwin: 0.1 m above the point, dropped).
On its way to the handle and back home the drawer arm's planner knows the cabinet's shell as a box
(`reach.planners_avoid`), and on its way home the drawer as well: unaware of them, a joint-space path swept the
hand onto the shell's top edge (easy seed 3), and one home pushed the drawer 7 cm back in (easy seed 0).
"""
from __future__ import annotations

import numpy as np
import sapien
import trimesh

from pipeline.assets import make_asset, random_color_name, rgba
from pipeline.assets.kinds.cabinet import DROP_EXPOSED, handle_grasps
from pipeline.sim.poses import matrix_to_pose
from pipeline.sim.primitives import backed_off, entity_matrix
from pipeline.tasks import register_task
from pipeline.tasks.base import Phrasing, Task, described
from pipeline.tasks.dual_placing import Motion
from pipeline.tasks.placing import yaw_quat
from pipeline.tasks.reach import choose_reachable_grasp, grasp_near, planners_avoid, raised, straight_or_near
from pipeline.tasks.rising import rise

CABINET_X, CABINET_Y = (-0.05, 0.05), 0.155
HEADING_RAD = np.pi / 2
"""RoboTwin's quaternion [1, 0, 0, 1] normalised: 90 deg, the front (object -x) towards the robot."""
OBJECT_MASS_KG = 0.01
YAW_NOISE = np.deg2rad(60.0)
FIRST_X, REDRAW_X, MIN_ABS_X, OBJECT_Y = (-0.25, 0.25), (-0.32, 0.32), 0.2, (-0.2, -0.1)
POOL: dict[str, tuple[tuple[str, ...], tuple[str, ...], bool, bool]] = {
    "mouse": (("mouse", "computer mouse"), ("wireless mouse",), True, True),
    "stapler": (("stapler", "desk stapler"), ("paper stapler",), True, True),
    "toy_car": (("toy car", "car"), ("model car",), False, True),
    "rubiks_cube": (("Rubik's cube", "puzzle cube"), ("cube puzzle",), False, False),
    "bread": (("bread", "bread roll"), ("loaf",), False, False),
    "phone": (("phone", "smartphone"), ("mobile phone",), True, True),
    "card_deck": (("deck of cards", "playing cards"), ("pack of cards",), True, True),
    "small_box": (("box", "tea box"), ("carton",), False, True),
    "soap": (("soap", "bar of soap"), ("soap bar",), True, True),
}
"""kind -> (seen nouns, unseen nouns, long along its own y (turned 90 deg so heading 0 lays it along world x),
takes a colour (the Rubik's cube's and the bread's look are their own))."""
COLOURS = ("red", "green", "blue", "yellow", "orange", "purple", "pink", "cyan", "white", "brown")
PULL_STEP, PULL_STEPS = 0.04, 5
HANDLE_PRE_DISTANCE = 0.05
RELEASE_BACK_OFF = 0.08
"""Having let go, the drawer arm backs off this far along its approach: clear of the handle by more than the
planner's obstacle padding, so its path home starts from a collision-free posture."""
MOTION = Motion(pre_distance=0.1, lift=0.15, pre_height=0.12, clearance=0.01)
XY_TOLERANCE, RISE_RANGE = 0.05, (0.007, 0.12)
KEEP_OUT = tuple(((x, y), 0.075) for x in np.linspace(-0.1, 0.1, 3) for y in np.linspace(-0.25, 0.25, 6))
"""Discs covering RoboTwin's clutter keep-out rectangle [-0.15, -0.3, 0.15, 0.3]."""
OTHER = {"left": "right", "right": "left"}


def drawer_bounds(asset) -> np.ndarray:
    """[2, 3] bounds of the drawer link's visual geometry (handle included) in its own frame."""
    return trimesh.util.concatenate([part.mesh for part in asset.hinge.visuals]).bounds


@register_task
class PutObjectCabinet(Task):
    name = "put_object_cabinet"
    step_limit = 700
    arms = ("left", "right")
    phrasing = Phrasing(
        frames=("Open the drawer of {cabinet} and {verb} {object} {place} it.",
                "Pull out the drawer of {cabinet}, then {verb} {object} {place} it.",
                "Use one arm to open the drawer of {cabinet} and the other to {verb} {object} {place} it.",
                "{verb} {object} {place} the drawer of {cabinet}.",
                "Slide open {cabinet}'s drawer and {verb} {object} {place} it."),
        verbs=("put", "place", "drop", "set", "store"),
        places=("in", "into", "inside"))

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        cabinet_colour = random_color_name(rng)
        cabinet = make_asset("cabinet", rng, name="cabinet", color=rgba(cabinet_colour))
        cabinet_xy = (rng.uniform(*CABINET_X), CABINET_Y)
        self.cabinet = self.add_articulation("cabinet", cabinet, sapien.Pose([*cabinet_xy, self.table_z],
                                                                             yaw_quat(HEADING_RAD)), fix_base=True)
        kinds = sorted(POOL)
        kind = kinds[int(rng.integers(len(kinds)))]
        seen, unseen, along_y, coloured = POOL[kind]
        colour = str(rng.choice([c for c in COLOURS if c != cabinet_colour])) if coloured else None
        asset = make_asset(kind, rng, name="object", **({"color": rgba(colour)} if colour else {}))
        asset.mass = OBJECT_MASS_KG
        x = rng.uniform(*FIRST_X)
        while abs(x) < MIN_ABS_X:
            x = rng.uniform(*REDRAW_X)
        xy = (x, rng.uniform(*OBJECT_Y))
        yaw = (np.pi / 2 if along_y else 0.0) + rng.uniform(-YAW_NOISE, YAW_NOISE)
        self.origin_z = self.table_z + 1e-3
        self.add_object("object", asset, sapien.Pose([*xy, self.origin_z], yaw_quat(yaw)))
        self.arm = self.nearest_arm(np.asarray(xy))
        self.roles = {"target": "object", "support": "cabinet_drawer"}
        self.instruction_fields = {}
        self.descriptions = {"object": described(colour, seen, unseen),
                             "cabinet": described(cabinet_colour, ("cabinet", "drawer cabinet"),
                                                  ("chest of drawers", "drawer unit"))}
        if setting == "hard":
            self.add_distractors(rng, keep_out=KEEP_OUT)

    def drop_point(self, pulled: float | None = None) -> np.ndarray:
        """World 4x4 of the drawer's placing point (z up) now, or with the drawer pulled out `pulled` m."""
        hinge = self.assets["cabinet_drawer"].hinge
        drop = np.eye(4)
        drop[:3, 3] = hinge.contact_points["drop"]
        if pulled is None:
            return entity_matrix(self.actors["cabinet_drawer"]) @ drop
        return entity_matrix(self.actors["cabinet_base"]) @ hinge.child_pose(pulled) @ drop

    def placing_tcp(self, tcp: np.ndarray, spot: np.ndarray) -> np.ndarray:
        """Where the object arm's hand, now at `tcp` (world 4x4) holding the object, puts the object's bottom
        `MOTION.clearance` over `spot`, turned about the vertical (the least way) so its fingers open along world x,
        across the drawer: the hand is 20 cm long along its fingers' axis, wider than the floor the pull uncovers
        (0.19 m along y), and turned along y it came down on the drawer's front panel and pushed the drawer back in."""
        finger = tcp[:3, 1]
        turn = -np.arctan2(finger[1], finger[0])  # brings the finger axis onto +x ...
        turn = (turn + np.pi / 2) % np.pi - np.pi / 2  # ... or -x, whichever is nearer
        c, s = np.cos(turn), np.sin(turn)
        turned = tcp.copy()
        turned[:3, :3] = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]) @ tcp[:3, :3]
        bottom = (np.linalg.inv(tcp) @ entity_matrix(self.actors["object"])
                  @ self.assets["object"].functional_points["bottom"])
        held = turned @ bottom  # the object's bottom with the hand turned
        turned[:3, 3] += spot[:3, 3] + (0.0, 0.0, MOTION.clearance) - held[:3, 3]
        return turned

    def play_once(self) -> None:
        expert, env = self.expert, self.env
        arm, other = self.arm, OTHER[self.arm]
        obj, drawer = self.actors["object"], self.actors["cabinet_drawer"]
        spot, pose = self.drop_point(DROP_EXPOSED), entity_matrix(obj)

        def object_motion(grasp: np.ndarray) -> list[np.ndarray]:
            tcp = pose @ grasp
            place = self.placing_tcp(tcp, spot)
            return [backed_off(tcp, MOTION.pre_distance), tcp, raised(tcp, MOTION.lift),
                    raised(place, MOTION.pre_height), place]

        grasp = choose_reachable_grasp(expert, arm, pose, self.assets["object"].grasps, object_motion)
        expert.grasp(arm, obj, grasp, pre_distance=MOTION.pre_distance, lift=0.0)
        rise(expert, (arm,), MOTION.lift)  # out of the drawer's way before it is pulled

        pull = entity_matrix(drawer)[:3, 0] * PULL_STEP  # the drawer slides along its link x

        def handle_motion(handle_grasp: np.ndarray) -> list[np.ndarray]:
            tcp = entity_matrix(drawer) @ handle_grasp
            out = tcp.copy()
            out[:3, 3] += pull * PULL_STEPS
            return [backed_off(tcp, HANDLE_PRE_DISTANCE), tcp, out]

        handle = choose_reachable_grasp(expert, other, entity_matrix(drawer),
                                        handle_grasps(self.assets["cabinet_drawer"]), handle_motion)
        shell = (self.actors["cabinet_base"], self.assets["cabinet_base"].bounds)
        with planners_avoid((env.robot[other],), "cabinet", *shell):
            grasp_near(expert, other, drawer, handle, HANDLE_PRE_DISTANCE, 0.0)
        for _ in range(PULL_STEPS):
            tcp = env.robot[other].tcp_pose()
            straight_or_near(expert, other, sapien.Pose(tcp.p + pull.astype(np.float32), tcp.q))
        expert.open_gripper(other)
        tcp = env.robot[other].tcp_pose().to_transformation_matrix()
        straight_or_near(expert, other, matrix_to_pose(backed_off(tcp, RELEASE_BACK_OFF)))
        home = np.asarray(env.config.robot.home_qpos)
        with (planners_avoid((env.robot[other],), "cabinet", *shell),
              planners_avoid((env.robot[other],), "drawer", drawer, drawer_bounds(self.assets["cabinet_drawer"]))):
            expert.follow({other: env.robot[other].plan_to_qpos(home, env.dt)})

        tcp = env.robot[arm].tcp_pose().to_transformation_matrix()
        place = self.placing_tcp(tcp, self.drop_point())
        straight_or_near(expert, arm, matrix_to_pose(raised(place, MOTION.pre_height)))
        straight_or_near(expert, arm, matrix_to_pose(place))
        expert.open_gripper(arm)

    def evaluate(self) -> dict[str, bool]:
        p = self.actors["object"].get_pose().p
        drop = self.drop_point()[:3, 3]
        out = {"object_at_drawer_point": bool(np.all(np.abs(p[:2] - drop[:2]) < XY_TOLERANCE)),
               "object_raised_into_drawer": bool(RISE_RANGE[0] < p[2] - self.origin_z < RISE_RANGE[1]),
               "object_arm_open": self.gripper_open(self.arm)}
        out["success"] = all(out.values())
        return out
