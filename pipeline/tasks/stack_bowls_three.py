"""stack_bowls_three (RoboTwin 2.0): one bowl to a set spot, the second nested in it, the third in the second.

Everything as stack_bowls_two (layout, expert, success check and its differences from RoboTwin)
with three bowls: height targets 0, 3 and 7 cm above the table (+ 2 cm slack, one-sided) for the
bowls sorted by height. Step limit 1200.
"""
from __future__ import annotations

from typing import ClassVar

from pipeline.tasks import register_task
from pipeline.tasks.base import Phrasing
from pipeline.tasks.stack_bowls_two import StackBowlsTwo


@register_task
class StackBowlsThree(StackBowlsTwo):
    name = "stack_bowls_three"
    count: ClassVar[int] = 3
    step_limit = 1200
    phrasing = Phrasing(
        frames=("{verb} {bowls} {place} each other.", "{verb} {bowls} {place} one another in one pile.",
                "Pick up {bowls} one at a time and {verb} them {place} each other.",
                "Put one bowl in the middle, then {verb} the other two {place} it.",
                "Make a stack of three: {verb} {bowls} {place} each other.",
                "{verb} {bowls} together, each {place} the one below."),
        verbs=("stack", "nest", "pile", "put", "place"),
        places=("on", "onto", "on top of", "into", "inside"))
