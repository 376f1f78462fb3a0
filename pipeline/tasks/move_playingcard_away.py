"""move_playingcard_away (RoboTwin 2.0): move the playing cards away, off to the table's side.

Layout as RoboTwin: the deck at x in [-0.1, 0.1] with |x| >= 0.05, y in [-0.2, 0.05], heading
90 deg + U(+-180 deg); hard-setting clutter keeps out of the band y in [-0.3, 0.1] across the
table (RoboTwin's keep-out rectangle [-100, -0.3, 100, 0.1]), so the way out is free. The arm on
the deck's side grasps it (pre-grasp 0.1), carries it 0.3 outward in world x (+x right, -x left)
and sets it down there, opens.

Success (RoboTwin): |deck x| > 0.23 and both grippers open. Step limit 400.
Intentional differences: RoboTwin's expert moves the held deck straight out at grasp height and
opens there; ours lifts it 0.05 first and lowers it to 2 mm above the table before opening (a
0.01 kg deck dragged over the table slips in the fingers). The keep-out band is approximated by a
row of reserved discs (our clutter placement reserves discs). The deck is one of three procedural
styles (RoboTwin: 3 mesh models).
"""
from __future__ import annotations

import numpy as np
import sapien

from pipeline.assets import make_asset, random_color_name, rgba
from pipeline.tasks import register_task
from pipeline.tasks.base import Phrasing, Task, described
from pipeline.tasks.keep_heading import pick_and_place_keeping_heading
from pipeline.tasks.placing import off_centre_xy, yaw_quat

MOVE_OUT = 0.3
"""How far outward (world x) RoboTwin's expert carries the deck."""
MIN_ABS_X = 0.23
KEEP_OUT_Y = (-0.3, 0.1)
"""RoboTwin's clutter-free band across the table (y range)."""
KEEP_OUT_DISC_SPACING = 0.05


@register_task
class MovePlayingcardAway(Task):
    name = "move_playingcard_away"
    phrasing = Phrasing(
        frames=("{verb} {cards} {place}.", "Pick up {cards} and {verb} them {place}.",
                "Grab {cards}, then {verb} them {place}.", "Use one arm to {verb} {cards} {place}.",
                "Take {cards} and {verb} them {place}."),
        verbs=("move", "slide", "put", "shift", "set"),
        places=("away", "off to the side", "aside", "out of the way"))
    step_limit = 400

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        xy = off_centre_xy(rng, (-0.1, 0.1), (-0.2, 0.05), min_abs_x=0.05)
        yaw = np.pi / 2 + rng.uniform(-np.pi, np.pi)
        colour = random_color_name(rng, exclude=("white",))
        cards = make_asset("card_deck", rng, name="cards", color=rgba(colour))
        self.add_object("cards", cards, sapien.Pose([*xy, self.table_z + 1e-3], yaw_quat(yaw)))
        self.roles = {"target": "cards", "support": "table"}
        self.instruction_fields = {"cards": colour}
        self.descriptions = {"cards": described(colour, ("playing cards", "deck of cards"), ("card deck",))}
        if setting == "hard":
            self.reserve_band(*KEEP_OUT_Y)
            self.add_distractors(rng)

    def reserve_band(self, y_low: float, y_high: float) -> None:
        """Keep clutter out of the band y in [y_low, y_high] across the table: a row of reserved
        discs as wide as the band (their gaps narrow it by under 2 mm)."""
        radius = (y_high - y_low) / 2
        half_width = self.env.config.table_size[0] / 2
        for x in np.arange(-half_width, half_width + 1e-9, KEEP_OUT_DISC_SPACING):
            self.reserve((x, (y_low + y_high) / 2), radius)

    def play_once(self) -> None:
        cards = self.actors["cards"]
        p = cards.get_pose().p
        arm = self.nearest_arm(p)
        out = MOVE_OUT if arm == "right" else -MOVE_OUT
        pick_and_place_keeping_heading(self, arm, "cards", (p[0] + out, p[1], self.table_z), pre_distance=0.1,
                                       lift=0.05, pre_height=0.05, clearance=0.002)

    def evaluate(self) -> dict[str, bool]:
        out = {"moved_away": bool(abs(self.actors["cards"].get_pose().p[0]) > MIN_ABS_X),
               "grippers_open": self.gripper_open("left") and self.gripper_open("right")}
        out["success"] = all(out.values())
        return out
