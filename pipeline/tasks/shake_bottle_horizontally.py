"""shake_bottle_horizontally (RoboTwin 2.0): shake_bottle with the bottle held on its side.

Layout, grasp, success check (the bottle's centre more than 0.06 m over the table) and step limit are
shake_bottle's (see its docstring, differences included). After the hand turns horizontal, the expert rolls
it 90 deg about its approach axis so the bottle lies horizontal in the hand, then (RoboTwin's strokes) rolls
+22.5 deg, goes down 0.03 rolled -22.5 deg, makes 2 strokes (up 0.05 rolled +22.5 deg, down 0.05 rolled
-22.5 deg) and rolls back to the 90 deg orientation; all rolls mirrored where that turns the wrist joint towards
the middle of its range (shake_bottle's rule). Difference: the hand is held 0.06 m higher (`lift`).
"""
from __future__ import annotations

from pipeline.tasks import register_task
from pipeline.tasks.base import Phrasing
from pipeline.tasks.shake_bottle import LIFT, SHAKE_ROLL_DEG, ShakeBottle


@register_task
class ShakeBottleHorizontally(ShakeBottle):
    name = "shake_bottle_horizontally"
    phrasing = Phrasing(
        frames=("{verb} {bottle} {place}.",
                "Pick up {bottle}, hold it {place} and {verb} it.",
                "Use one arm to {verb} {bottle} {place}.",
                "Grab {bottle} from the table and {verb} it {place}.",
                "Lift {bottle}, turn it {place} and {verb} it."),
        verbs=("shake", "jiggle", "wobble", "rock", "rattle"),
        places=("sideways", "horizontally", "on its side", "lying flat", "level"))
    lift = LIFT + 0.06
    """The Panda hand is 0.2 m across along its fingers' opening axis: rolled 90 deg that axis stands upright
    and the palm reaches 0.1 m below the TCP, so RoboTwin's lift of 0.1 followed by its 0.03 down stroke would
    put the palm on the table."""
    laid_roll = 90.0
    strokes = (((0.0, SHAKE_ROLL_DEG), (-0.03, -SHAKE_ROLL_DEG))
               + ((0.02, SHAKE_ROLL_DEG), (-0.03, -SHAKE_ROLL_DEG)) * 2 + ((-0.03, 0.0),))
