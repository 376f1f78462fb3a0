"""Contact events of an episode read from the recorded contact arrays: grasp, release, placement, press.

The simulator records every contact point (`contacts/*`); this module turns them into the step
indices the value-map phases hang on, following the paper's rules: an effective grasp is two
fingers of one arm on the target that keep holding; placement is complete once the released
object's centre of mass stays slower than a small threshold.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass

import numpy as np

from data_schemas import CONTACT_GRASP, CONTACT_PRESS, CONTACT_SUPPORT, EpisodeData
from pipeline.annotate.geometry import apply_transform, pose_to_matrix
from pipeline.annotate.params import AnnotationParams


@dataclass(frozen=True)
class EpisodeEvents:
    """Step indices of the interaction events (None: did not happen)."""

    grasp_step: int | None = None
    grasp_arm: int | None = None
    release_step: int | None = None
    place_step: int | None = None
    support_contact_step: int | None = None
    press_step: int | None = None
    press_end_step: int | None = None

    def as_dict(self) -> dict[str, int | None]:
        return asdict(self)


@dataclass(frozen=True)
class EarlierStage:
    """A pick-and-place of another tracked object that ends before the target's grasp (stack_blocks_two's red cube
    before the green one): the maps show its grasp region up to `grasp_step`, then where it comes to rest up to
    `place_step`, the paper's per-step rule applied to each object the arms handle in turn."""

    actor: str
    grasp_step: int
    grasp_arm: int
    release_step: int
    place_step: int

    def as_dict(self) -> dict[str, int | str]:
        return asdict(self)


def actor_index(episode: EpisodeData, role: str) -> int | None:
    """Index into attrs.object_names of the actor playing `role` (None when the task has no such role)."""
    name = episode.attrs.roles.get(role)
    if name is None:
        return None
    if name not in episode.attrs.object_names:
        raise ValueError(f"episode {episode.episode_id}: role {role}={name!r} is not a tracked object "
                         f"(object_names: {episode.attrs.object_names}); the recorder must track it")
    return episode.attrs.object_names.index(name)


def contact_mask(episode: EpisodeData, kind: int, actor: int) -> np.ndarray:
    """Boolean mask over recorded contact points of one kind touching one actor."""
    arr = episode.arrays
    return (arr["contacts/kind"] == kind) & (arr["contacts/actor"] == actor)


def _held_steps(episode: EpisodeData, target: int) -> np.ndarray:
    """[T, 2] bool: at step t, arm a has at least two distinct finger bodies on the target."""
    arr = episode.arrays
    t_steps = episode.attrs.num_steps
    sel = contact_mask(episode, CONTACT_GRASP, target) & (arr["contacts/arm"] >= 0)
    triples = np.unique(np.stack([arr["contacts/step"][sel], arr["contacts/arm"][sel].astype(np.int32),
                                  arr["contacts/other"][sel].astype(np.int32)], axis=1), axis=0)
    fingers = np.zeros((t_steps, 2), dtype=np.int32)
    np.add.at(fingers, (triples[:, 0], triples[:, 1]), 1)
    return fingers >= 2


def _first_run(flags: np.ndarray, length: int, start: int = 0) -> int | None:
    """First index >= start that begins `length` consecutive True values."""
    if length > len(flags):
        return None
    window = np.lib.stride_tricks.sliding_window_view(flags.astype(bool), length).all(axis=1)
    hits = np.flatnonzero(window[start:])
    return int(hits[0]) + start if hits.size else None


def _first_hold(held: np.ndarray, params: AnnotationParams, start: int = 0) -> tuple[int, int, int | None] | None:
    """(grasp step, arm, release step or None) of the first effective grasp from `start` in `held` [T, 2]
    (`_held_steps`); released = no arm holds it any more: in a handover the giver opening is not a release."""
    starts = {arm: _first_run(held[:, arm], params.grasp_hold_steps, start) for arm in (0, 1)}
    starts = {arm: s for arm, s in starts.items() if s is not None}
    if not starts:
        return None
    arm = min(starts, key=starts.get)
    grasp = starts[arm]
    lost = np.flatnonzero(~held[grasp:].any(axis=1))
    return grasp, arm, (int(lost[0]) + grasp if lost.size else None)


def _holds(held: np.ndarray, params: AnnotationParams) -> Iterator[tuple[int, int, int | None]]:
    """Every effective grasp in `held` [T, 2], in order: (grasp step, arm, release step or None)."""
    hold = _first_hold(held, params)
    while hold is not None:
        yield hold
        hold = _first_hold(held, params, start=hold[2] + 1) if hold[2] is not None else None


def _lifts(height: np.ndarray, hold: tuple[int, int, int | None], params: AnnotationParams) -> bool:
    """Whether the hold raised the actor's centre (`height` [T], its COM's z) by `pick_lift_m` before its release
    (a pick, not a brush)."""
    grasp, _, release = hold
    held = height[grasp: None if release is None else release + 1]
    return bool(held.max() - held[0] >= params.pick_lift_m)


def _settled(episode: EpisodeData, actor: int, release: int, params: AnnotationParams) -> int | None:
    """Last step of the first `settle_steps` run after `release` in which the actor's COM is slow (None: never)."""
    slow = com_speed(episode, actor) < params.settle_speed_mps
    settled = _first_run(slow, params.settle_steps, start=release)
    return settled + params.settle_steps - 1 if settled is not None else None


def detect_earlier_stages(episode: EpisodeData, params: AnnotationParams, before: int) -> list[EarlierStage]:
    """Pick-and-places of tracked objects other than the target and the pressed part, each grasped, lifted by
    `pick_lift_m` (not a brush, not a drawer pulled), released and at rest before step `before` (the target's
    grasp), in the order they happen; one that overlaps the stage before it (both arms busy at once) is left out.
    Empty unless `params.earlier_stages`."""
    if not params.earlier_stages:
        return []
    roles, names = episode.attrs.roles, list(episode.attrs.object_names)
    candidates = []
    for actor, name in enumerate(names):
        if name in (roles.get("target"), roles.get("pressed")):
            continue
        height = _com(episode, actor)[:, 2]
        for grasp, arm, release in _holds(_held_steps(episode, actor), params):
            if release is None or release >= before:
                break
            place = _settled(episode, actor, release, params)
            if place is not None and place < before and _lifts(height, (grasp, arm, release), params):
                candidates.append(EarlierStage(name, grasp, arm, release, place))
    stages: list[EarlierStage] = []
    for stage in sorted(candidates, key=lambda s: s.grasp_step):
        if not stages or stage.grasp_step > stages[-1].place_step:
            stages.append(stage)
    return stages


def _com(episode: EpisodeData, actor: int) -> np.ndarray:
    """[T, 3] world centre of mass of a tracked actor: the centroid of its surface samples."""
    centroid = episode.arrays["object_points"][actor].astype(np.float64).mean(axis=0, keepdims=True)
    return apply_transform(pose_to_matrix(episode.arrays["object_poses"][:, actor]), centroid)[:, 0]


def com_speed(episode: EpisodeData, actor: int) -> np.ndarray:
    """[T] centre-of-mass speed (m/s) of a tracked actor."""
    com = _com(episode, actor)
    speed = np.zeros(len(com))
    speed[1:] = np.linalg.norm(np.diff(com, axis=0), axis=1) * episode.attrs.control_rate_hz
    return speed


def detect_events(episode: EpisodeData, params: AnnotationParams) -> EpisodeEvents:
    """Find grasp, release, placement and press steps from the recorded contacts and poses."""
    found: dict[str, int | None] = {}
    target = actor_index(episode, "target")
    arr = episode.arrays
    if target is not None:
        holds, height = list(_holds(_held_steps(episode, target), params)), _com(episode, target)[:, 2]
        # the first hold that lifts (a fumble before the grasp is no grasp), else the first (a pushed target)
        hold = next((h for h in holds if _lifts(height, h, params)), holds[0] if holds else None)
        if hold is not None:
            grasp, arm, release = hold
            found.update(grasp_step=grasp, grasp_arm=arm, release_step=release)
            found.update(_placement(episode, target, grasp, release, params))
    pressed = actor_index(episode, "pressed")
    if pressed is not None:
        steps = np.unique(arr["contacts/step"][contact_mask(episode, CONTACT_PRESS, pressed)])
        if found.get("grasp_step") is not None:
            steps = steps[steps > found["grasp_step"]]
        if steps.size:
            gaps = np.flatnonzero(np.diff(steps) > 1)
            found.update(press_step=int(steps[0]), press_end_step=int(steps[gaps[0]] if gaps.size else steps[-1]))
    return EpisodeEvents(**found)


def _placement(episode: EpisodeData, target: int, grasp: int, release: int | None,
               params: AnnotationParams) -> dict[str, int]:
    """Placement completion and the support-contact step closest to it (empty when never placed).

    Completion is the first step after release from which the target's COM stays slow for
    `settle_steps`; without release or settling it is the end of the episode (end of the place motion).
    """
    support_steps = np.unique(episode.arrays["contacts/step"][support_contact_mask(episode, target)])
    support_steps = support_steps[support_steps > grasp]
    if not support_steps.size:
        return {}
    last = episode.attrs.num_steps - 1
    place = last
    if release is not None:
        settled = _settled(episode, target, release, params)
        place = settled if settled is not None else last
    nearest = int(support_steps[np.argmin(np.abs(support_steps - place))])
    return {"place_step": place, "support_contact_step": nearest}


def support_contact_mask(episode: EpisodeData, target: int) -> np.ndarray:
    """Contacts between the target and the body named by roles['support'] (any support when unnamed)."""
    mask = contact_mask(episode, CONTACT_SUPPORT, target)
    support = episode.attrs.roles.get("support")
    bodies = episode.attrs.contact_bodies
    if support is not None and support in bodies:
        mask &= episode.arrays["contacts/other"] == bodies.index(support)
    return mask
