"""blocks_ranking_size (RoboTwin 2.0): line the blocks up from largest to smallest, left to right.

As blocks_ranking_rgb (shared `RankingTask`: layout rule, expert, success test), with RoboTwin's
blocks: three cubes of random RGB colour U(0, 1)^3 and half-edges large U(0.030, 0.033), medium
U(0.024, 0.027), small U(0.018, 0.021); targets on one row y ~ U(-0.2, -0.1) at x large
U(-0.10, -0.09), medium U(0.01, 0.02), small U(0.08, 0.09); the expert places small, then medium,
then large. Clutter keeps 0.10 from the blocks.

Success (RoboTwin, block centres): large, medium, small from left to right (x increasing),
neighbours within 0.13 in x and 0.03 in y, both grippers open. Step limit 1200.
Differences from RoboTwin: those of blocks_ranking_rgb (fingers close across the row).
"""
from __future__ import annotations

import numpy as np

from pipeline.tasks import register_task
from pipeline.tasks.base import Phrasing
from pipeline.tasks.blocks_ranking_rgb import RankedBlock, RankingTask

SIZES = (("large", (0.030, 0.033), (("the large block", "the biggest block", "the large cube"),
                                    ("the largest cube", "the big brick"))),
         ("medium", (0.024, 0.027), (("the medium block", "the middle-sized block", "the medium cube"),
                                     ("the mid-sized cube", "the medium brick"))),
         ("small", (0.018, 0.021), (("the small block", "the smallest block", "the small cube"),
                                    ("the tiniest cube", "the little brick"))))
"""Left to right: placeholder, RoboTwin's half-edge range, (seen, unseen) descriptions."""


@register_task
class BlocksRankingSize(RankingTask):
    name = "blocks_ranking_size"
    target_x = ((-0.10, -0.09), (0.01, 0.02), (0.08, 0.09))
    place_order = (2, 1, 0)
    keep_out = 0.10
    phrasing = Phrasing(
        frames=("{verb} {large}, {medium} and {small} in a row from left to right.",
                "{verb} the blocks from largest to smallest, left to right.",
                "From left to right, {verb} {large}, then {medium}, then {small} in a line.",
                "{verb} {large} on the left, {medium} in the middle and {small} on the right.",
                "{verb} the three blocks by size, biggest on the left and smallest on the right.",
                "Rank the blocks by size: {verb} {large}, {medium} and {small} left to right."),
        verbs=("arrange", "line up", "put", "place", "set", "order", "move", "lay out", "sort", "position",
               "organise"))

    def draw_blocks(self, rng: np.random.Generator) -> list[RankedBlock]:
        return [RankedBlock(key, (*rng.uniform(0.0, 1.0, 3), 1.0), 2 * rng.uniform(*half), described)
                for key, half, described in SIZES]
