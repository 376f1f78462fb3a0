"""place_object_basket (RoboTwin 2.0): one arm puts a toy car or a deck of cards into the basket, the
other lifts the basket.

Layout, expert and success check as RoboTwin, shared with place_can_basket
(`pipeline.tasks.basket_lifting`): the object (50/50 toy car or deck of cards, 0.01 kg as RoboTwin)
upright at heading -1.6 deg +- 30 deg, |x| in [0.2, 0.25] on the placing arm's side, y in
[-0.1, 0.1]; grasped from above (pre-grasp 0.1), lifted 0.15; the basket arm moves 0.05 outward (and
up, see basket_lifting). Step limit 700. Difference: procedural objects (`toy_car`: saloon or pickup;
`card_deck`: a tuck box or bare stack, the deck move_playingcard_away moves, as RoboTwin uses its
`081_playingcards` models in both) instead of RoboTwin's scans (6 cars, 3 decks).
"""
from __future__ import annotations

import numpy as np

from pipeline.assets import ObjectAsset, make_asset, random_color_name, rgba
from pipeline.tasks import register_task
from pipeline.tasks.base import described
from pipeline.tasks.basket_lifting import BasketLifting
from pipeline.tasks.dual_placing import Motion

OBJECT_MASS_KG = 0.01
NOUNS = {"toy_car": (("toy car", "car"), ("model car",)),
         "card_deck": (("deck of cards", "card deck", "playing cards"), ("pack of cards",))}


@register_task
class PlaceObjectBasket(BasketLifting):
    name = "place_object_basket"
    object_y = (-0.1, 0.1)
    yaw_noise = np.deg2rad(30.0)
    motion = Motion(pre_distance=0.1, lift=0.15, pre_height=0.1, clearance=0.005)
    basket_out = 0.05

    def make_object(self, rng: np.random.Generator, exclude: tuple[str, ...]) -> tuple[ObjectAsset, str, tuple]:
        kind = "toy_car" if rng.random() < 0.5 else "card_deck"
        colour = random_color_name(rng, exclude=(*exclude, "black", "white"))
        asset = make_asset(kind, rng, name="object", color=rgba(colour))
        asset.mass = OBJECT_MASS_KG
        seen, unseen = NOUNS[kind]
        return asset, colour, described(colour, seen, unseen)
