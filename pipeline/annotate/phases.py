"""Per-step phase plan: which contact region each recorded step shows.

As in the paper's per-step annotations, the map shows the pick region until the effective grasp
and the place region (or the struck part, for tool use) from then until the place/strike is
complete; tasks that only push or press show the pressed part as their interaction (pick) region.
Where the arms first pick and place other objects (stack_blocks_two's red cube before the green
target; `AnnotationParams.earlier_stages`), each of those is a stage of its own before the target's:
its grasp region, then its footprint. Steps outside these spans are PHASE_NONE and get an empty
(black) map.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from data_schemas import PHASE_NONE, PHASE_PICK, PHASE_PLACE, EpisodeData
from pipeline.annotate.events import EarlierStage, EpisodeEvents, detect_earlier_stages, detect_events
from pipeline.annotate.params import AnnotationParams
from pipeline.annotate.quality import ROLE_OF_REGION
from pipeline.annotate.regions import (ContactRegion, footprint_region, grasp_region, pick_region, place_region,
                                       press_region)


@dataclass(frozen=True)
class PhaseSegment:
    """Consecutive steps that show one region."""

    code: int
    """PHASE_PICK or PHASE_PLACE."""
    steps: np.ndarray
    """Recorded steps (ascending) that show `region`."""
    region: ContactRegion
    actor: str | None
    """Tracked actor the maps should lie on (the quality check's): the object picked, the support placed on;
    None for a region in world coordinates."""
    stage: int | None
    """Index into PhasePlan.stages, or None for the target's own stage."""


@dataclass(frozen=True)
class PhasePlan:
    phase: np.ndarray
    """[T] int8 PHASE_* code per recorded step."""
    regions: dict[int, ContactRegion] = field(default_factory=dict)
    """Region shown during each phase code of the target's own stage."""
    segments: list[PhaseSegment] = field(default_factory=list)
    """Every span of steps with its region, earlier stages first."""
    events: EpisodeEvents = field(default_factory=EpisodeEvents)
    stages: list[EarlierStage] = field(default_factory=list)


def plan_episode(episode: EpisodeData, params: AnnotationParams) -> PhasePlan:
    """Events, earlier stages and regions of one episode -> its phase plan."""
    events = detect_events(episode, params)
    first = next((s for s in (events.grasp_step, events.press_step) if s is not None), episode.attrs.num_steps)
    stages = detect_earlier_stages(episode, params, before=first)
    earlier = [(stage, grasp_region(episode, stage.actor, stage.grasp_step, stage.grasp_arm, params),
                footprint_region(episode, stage.actor, stage.place_step, params)) for stage in stages]
    return plan_phases(episode, events, pick_region(episode, events, params), place_region(episode, events, params),
                       press_region(episode, events, params), earlier)


def plan_phases(episode: EpisodeData, events: EpisodeEvents, pick: ContactRegion | None,
                place: ContactRegion | None, press: ContactRegion | None,
                earlier: list[tuple[EarlierStage, ContactRegion, ContactRegion]] = ()) -> PhasePlan:
    phase = np.full(episode.attrs.num_steps, PHASE_NONE, dtype=np.int8)
    segments: list[PhaseSegment] = []

    def show(code: int, start: int, end: int, region: ContactRegion, actor: str | None, stage: int | None) -> None:
        """Steps start..end (inclusive) show `region`."""
        phase[start: end + 1] = code
        segments.append(PhaseSegment(code, np.arange(start, min(end + 1, len(phase))), region, actor, stage))

    start = 0
    for index, (stage, grasped, footprint) in enumerate(earlier):
        show(PHASE_PICK, start, stage.grasp_step, grasped, stage.actor, index)
        show(PHASE_PLACE, stage.grasp_step + 1, stage.place_step, footprint, None, index)
        start = stage.place_step + 1
    roles = episode.attrs.roles
    regions: dict[int, ContactRegion] = {}
    if pick is not None:
        show(PHASE_PICK, start, events.grasp_step, pick, roles.get(ROLE_OF_REGION["pick"]), None)
        regions[PHASE_PICK] = pick
        after, end = (press, events.press_end_step) if press is not None else (place, events.place_step)
        if after is not None:
            show(PHASE_PLACE, events.grasp_step + 1, end, after, roles.get(ROLE_OF_REGION[after.kind]), None)
            regions[PHASE_PLACE] = after
    elif press is not None:
        show(PHASE_PICK, start, events.press_end_step, press, roles.get(ROLE_OF_REGION["press"]), None)
        regions[PHASE_PICK] = press
    return PhasePlan(phase, regions, [s for s in segments if len(s.steps)], events,
                     [stage for stage, _, _ in earlier])
