"""annotate_episode: one recorded episode in memory -> its value maps, phases, point clouds and quality.

Independent of any store, so the generation flow can annotate an episode before committing it
and `annotate_store` can re-annotate stored episodes with the same code.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from data_schemas import PHASE_NONE, PHASE_PICK, PHASE_PLACE, EpisodeData, SchemaError
from pipeline.annotate.colorize import colorize
from pipeline.annotate.geometry import project
from pipeline.annotate.params import AnnotationParams
from pipeline.annotate.phases import plan_episode
from pipeline.annotate.quality import PhaseQuality, segmentation_label
from pipeline.annotate.regions import ContactRegion
from pipeline.annotate.splat import render_value_maps, visible_points

NEEDED_ARRAYS = ("depth", "intrinsics", "extrinsics", "object_poses", "object_points", "contacts/step",
                 "contacts/kind", "contacts/arm", "contacts/actor", "contacts/other", "contacts/position",
                 "contacts/normal")
PHASE_NAMES = {PHASE_NONE: "none", PHASE_PICK: "pick", PHASE_PLACE: "place"}
STEPS_PER_CHUNK = 16
"""Steps rendered together (x3 views): bounds temporary memory to tens of MB."""


@dataclass
class AnnotationResult:
    """Arrays to store under `value/`, the attrs describing them, and quality figures."""

    episode_id: str
    arrays: dict[str, np.ndarray]
    attrs: dict[str, Any]
    """Parameters (with digest), detected events and region frames: stored as `value` attrs."""
    stats: dict[str, Any] = field(default_factory=dict)
    skipped: bool = False
    """True when annotate_store found current maps and left them (then `arrays` is empty)."""


def _check_arrays(episode: EpisodeData) -> None:
    missing = [name for name in NEEDED_ARRAYS if name not in episode.arrays]
    if missing:
        raise SchemaError(f"episode {episode.episode_id} lacks {missing}, which value-map annotation needs; "
                          "record it again with a recorder that writes contacts and object tracks")


def _per_view(points: np.ndarray, views: int) -> np.ndarray:
    """[S, N, 3] per-step points -> [S * views, N, 3], step-major like extrinsics[steps].reshape(-1, 4, 4)."""
    return np.broadcast_to(points[:, None], (points.shape[0], views) + points.shape[1:]).reshape(-1, points.shape[1], 3)


def _item_label(episode: EpisodeData, region: ContactRegion, params: AnnotationParams) -> int | None:
    """Segmentation label of the actor the region lies on, for the item-buffer visibility test; None
    when it is off, the episode has no segmentation, or the region is in world coordinates (a place
    region on the table is taken on the object's own surface at its final pose, where the object is
    not yet during the carry)."""
    return segmentation_label(episode, region.frame) if params.item_visibility else None


def _render_phase(episode: EpisodeData, steps: np.ndarray, region: ContactRegion, params: AnnotationParams,
                  out: np.ndarray, out_rgb: np.ndarray, quality: PhaseQuality) -> None:
    """Render the region into out[steps] and its colours into out_rgb[steps], updating the quality figures."""
    arr = episode.arrays
    views = arr["intrinsics"].shape[0]
    h, w = out.shape[2:]
    own_label = _item_label(episode, region, params)
    for start in range(0, len(steps), STEPS_PER_CHUNK):
        chunk = steps[start:start + STEPS_PER_CHUNK]
        points, contacts = region.at_steps(episode, chunk)
        n = len(chunk)
        intr = np.broadcast_to(arr["intrinsics"][None].astype(np.float64), (n, views, 3, 3)).reshape(-1, 3, 3)
        extr = arr["extrinsics"][chunk].astype(np.float64).reshape(-1, 4, 4)
        depth = np.asarray(arr["depth"][chunk]).reshape(-1, h, w)
        seg = np.asarray(arr["segmentation"][chunk]).reshape(-1, h, w) if "segmentation" in arr else None
        maps = render_value_maps(_per_view(points, views), intr, extr, depth, params, region.weights, seg, own_label)
        contact_uv, contact_z = project(_per_view(contacts, views), intr, extr)
        contact_visible = visible_points(contact_uv, contact_z, depth, params.depth_tolerance_m,
                                         params.occlusion_margin_px, seg, own_label)
        quality.add(maps, seg, contact_uv, contact_visible)
        out[chunk] = maps.reshape(n, views, h, w)
        out_rgb[chunk] = colorize(maps, params.colormap).reshape(n, views, h, w, 3)


def annotate_episode(episode: EpisodeData, params: AnnotationParams | None = None) -> AnnotationResult:
    """Value maps for every recorded step and camera of one episode, from its recorded contacts.

    Raises SchemaError when the episode lacks the arrays the annotation needs.
    """
    params = params or AnnotationParams()
    _check_arrays(episode)
    started = time.perf_counter()
    plan = plan_episode(episode, params)
    t_steps, views, h, w = (int(d) for d in episode.arrays["depth"].shape)
    maps = np.zeros((t_steps, views, h, w), dtype=np.float16)
    value_rgb = np.zeros((t_steps, views, h, w, 3), dtype=np.uint8)  # PHASE_NONE steps stay black
    stats: dict[str, Any] = {"phases": {name: int((plan.phase == code).sum()) for code, name in PHASE_NAMES.items()}}
    stage_stats: list[dict[str, Any]] = [{"actor": stage.actor} for stage in plan.stages]
    for segment in plan.segments:
        quality = PhaseQuality(episode, segment.region.kind, params, segment.actor)
        _render_phase(episode, segment.steps, segment.region, params, maps, value_rgb, quality)
        (stats if segment.stage is None else stage_stats[segment.stage])[PHASE_NAMES[segment.code]] = quality.summary()
    if stage_stats:
        stats["stages"] = stage_stats
    arrays = {"value/map": maps, "value/rgb": value_rgb, "value/phase": plan.phase}
    region_attrs = {}
    for code, name in ((PHASE_PICK, "pick"), (PHASE_PLACE, "place")):
        region = plan.regions.get(code)
        arrays[f"value/{name}_points"] = region.points if region else np.zeros((0, 3), np.float32)
        region_attrs[name] = ({"kind": region.kind, "frame": region.frame, "step": region.step,
                               "points": len(region.points)} if region else None)
    stats["seconds"] = time.perf_counter() - started
    events = plan.events.as_dict()
    if plan.stages:
        events["stages"] = [stage.as_dict() for stage in plan.stages]
    attrs = {"digest": params.digest(), "params": params.as_dict(), "events": events, "regions": region_attrs,
             "stats": stats}
    return AnnotationResult(episode.episode_id, arrays, attrs, stats)
