"""pick_dual_bottles (RoboTwin 2.0): pick_diverse_bottles with two fixed bottle models.

RoboTwin's pick_dual_bottles is pick_diverse_bottles with the models fixed (bottle 13 on the left,
16 on the right); here the left bottle is always the same red round bottle with a white label and
the right one the same blue square bottle with a yellow label. Layout, expert, success check and
step limit are pick_diverse_bottles' (see its docstring, differences included).
"""
from __future__ import annotations

import numpy as np

from pipeline.assets import ObjectAsset, make_asset, rgba
from pipeline.tasks import register_task
from pipeline.tasks.pick_diverse_bottles import PickDiverseBottles

MODELS = {"left": dict(style="round", radius=0.029, body_height=0.13, shoulder_height=0.03, color="red",
                       label_color="white"),
          "right": dict(style="square", radius=0.023, body_height=0.12, shoulder_height=0.025, color="blue",
                        label_color="yellow")}
"""The two fixed bottles (RoboTwin: models 13 and 16 of `001_bottle`)."""


@register_task
class PickDualBottles(PickDiverseBottles):
    name = "pick_dual_bottles"

    def make_bottles(self, rng: np.random.Generator) -> dict[str, tuple[ObjectAsset, str, str]]:
        out = {}
        for arm, model in MODELS.items():
            shape = {key: model[key] for key in ("style", "radius", "body_height", "shoulder_height")}
            asset = make_asset("drink_bottle", rng, name=f"bottle_{arm}", color=rgba(model["color"]),
                               label_color=rgba(model["label_color"]), **shape)
            out[arm] = (asset, model["color"], model["style"])
        return out
