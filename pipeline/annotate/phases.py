"""Per-step phase plan: which contact region each recorded step shows.

As in the paper's per-step annotations, the map shows the pick region until the effective grasp
and the place region (or the struck part, for tool use) from then until the place/strike is
complete; tasks that only push or press show the pressed part as their interaction (pick) region.
Steps outside these spans are PHASE_NONE and get an empty (black) map.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from data_schemas import PHASE_NONE, PHASE_PICK, PHASE_PLACE
from pipeline.annotate.events import EpisodeEvents
from pipeline.annotate.regions import ContactRegion


@dataclass(frozen=True)
class PhasePlan:
    phase: np.ndarray
    """[T] int8 PHASE_* code per recorded step."""
    regions: dict[int, ContactRegion] = field(default_factory=dict)
    """Region shown during each phase code present in `phase`."""


def plan_phases(num_steps: int, events: EpisodeEvents, pick: ContactRegion | None, place: ContactRegion | None,
                press: ContactRegion | None) -> PhasePlan:
    phase = np.full(num_steps, PHASE_NONE, dtype=np.int8)
    regions: dict[int, ContactRegion] = {}
    if pick is not None:
        phase[: events.grasp_step + 1] = PHASE_PICK
        regions[PHASE_PICK] = pick
        after, end = (press, events.press_end_step) if press is not None else (place, events.place_step)
        if after is not None:
            phase[events.grasp_step + 1: end + 1] = PHASE_PLACE
            regions[PHASE_PLACE] = after
    elif press is not None:
        phase[: events.press_end_step + 1] = PHASE_PICK
        regions[PHASE_PICK] = press
    return PhasePlan(phase, regions)
