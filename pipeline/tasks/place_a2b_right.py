"""place_a2b_right (RoboTwin 2.0): put object A to the right of object B (larger x).

Everything but the side is shared with place_a2b_left: see `pipeline.tasks.place_a2b`.
"""
from __future__ import annotations

from pipeline.tasks import register_task
from pipeline.tasks.place_a2b import PlaceA2B


@register_task
class PlaceA2BRight(PlaceA2B):
    name = "place_a2b_right"
    side = 1.0
    phrasing = PlaceA2B.phrasing_for("right")
