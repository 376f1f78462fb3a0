"""place_can_basket (RoboTwin 2.0): one arm puts the can into the basket, the other lifts the basket.

Layout, expert and success check as RoboTwin, shared with place_object_basket
(`pipeline.tasks.basket_lifting`): the can upright at heading -1.6 deg (no noise), |x| in
[0.2, 0.25] on the placing arm's side, y in [0, 0.1]; grasped from above (pre-grasp 0.05), 0.01 kg
as RoboTwin; the basket arm moves 0.02 outward (and up, see basket_lifting). Step limit 700. Difference: procedural
cans (`drink_can`, 3 shapes) instead of RoboTwin's six scans; the can is lifted 0.1 before it is
carried (RoboTwin's place goes straight to the spot) so its bottom clears the basket's rim.
"""
from __future__ import annotations

import numpy as np

from pipeline.assets import ObjectAsset, make_asset, random_color_name, rgba
from pipeline.tasks import register_task
from pipeline.tasks.base import described
from pipeline.tasks.basket_lifting import BasketLifting
from pipeline.tasks.dual_placing import Motion

CAN_MASS_KG = 0.01
CAN_NOUNS = {"soda": ("soda can",), "tall": ("tall can",), "squat": ("short can",)}


@register_task
class PlaceCanBasket(BasketLifting):
    name = "place_can_basket"
    object_y = (0.0, 0.1)
    yaw_noise = 0.0
    motion = Motion(pre_distance=0.05, lift=0.1, pre_height=0.1, clearance=0.005)
    basket_out = 0.02

    def make_object(self, rng: np.random.Generator, exclude: tuple[str, ...]) -> tuple[ObjectAsset, str, tuple]:
        colour = random_color_name(rng, exclude=exclude)
        style = sorted(CAN_NOUNS)[int(rng.integers(len(CAN_NOUNS)))]
        can = make_asset("drink_can", rng, name="can", style=style, color=rgba(colour))
        can.mass = CAN_MASS_KG
        return can, colour, described(colour, ("can",) + CAN_NOUNS[style], ("tin",))
