"""Straight rises that survive postures near the Panda's workspace edge (bread basket, bread skillet, the two-arm
pick-both-place-in-turn expert).

After a low grasp close to the arm's base (a lowered table in the hard setting) a straight lift may
have no screw path; `Expert.move_all_by` then raises `PlanningError` and the episode is lost.
"""
from __future__ import annotations

from collections.abc import Iterable

from pipeline.sim.primitives import Expert
from pipeline.sim.robot import PlanningError
from pipeline.tasks.reach import lift_near


def rise(expert: Expert, arms: Iterable[str], dz: float) -> None:
    """Move the arms' TCPs `dz` straight up together; where that has no path, one arm at a time,
    each straight if it can or else through joint space (`lift_near`)."""
    arms = tuple(arms)
    try:
        expert.move_all_by({arm: (0.0, 0.0, dz) for arm in arms})
    except PlanningError:
        for arm in arms:
            lift_near(expert, arm, dz)
