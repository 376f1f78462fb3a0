"""A human-readable account of a dataset: per-task/per-setting counts, expert success, throughput,
and value-map overlays a person can look at.

Why a library function: the same report feeds the Prefect UI (table + markdown artifacts) and
anyone inspecting a store from a notebook; nothing in it depends on Prefect.
"""
from __future__ import annotations

import base64
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from data_schemas.spec import CAMERA_NAMES, PHASE_NONE
from pipeline.generate.commit import CommitResult

OVERLAY_ALPHA = 0.6
"""Weight of the colour-mapped value map where it is non-zero."""
SAMPLE_HEIGHT = 120
"""Pixel height of each camera tile in the report's overlay strips (keeps the artifact small)."""


@dataclass
class DatasetReport:
    rows: list[dict] = field(default_factory=list)
    """One row per (task, setting): the table artifact."""
    markdown: str = ""
    episodes_per_hour: float = 0.0
    """Episodes this run wrote per hour of wall time."""


def overlay_step(rgb: np.ndarray, value_rgb: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Blend one camera frame [H, W, 3] with its colour-mapped value map where the value is non-zero."""
    alpha = (np.clip(value.astype(np.float32), 0.0, 1.0) > 0)[..., None] * OVERLAY_ALPHA
    return (rgb.astype(np.float32) * (1 - alpha) + value_rgb.astype(np.float32) * alpha).astype(np.uint8)


def _sample_step(phase: np.ndarray) -> int:
    """The middle of the first annotated phase (pick), or the middle of the episode if none."""
    active = np.flatnonzero(phase != PHASE_NONE)
    if active.size == 0:
        return len(phase) // 2
    first = phase[active[0]]
    run = active[phase[active] == first]
    return int(run[len(run) // 2])


def overlay_strip(store, episode_id: str) -> tuple[np.ndarray, int]:
    """All cameras of one representative step side by side, value maps blended in; and that step."""
    names = ["rgb", "value/phase", "value/rgb", "value/map"]
    if store.value_params(episode_id) is None:
        names = ["rgb"]
    arrays = store.arrays(episode_id, names)  # one call: all value arrays from one annotation
    rgb_all = arrays["rgb"]
    step = _sample_step(np.asarray(arrays["value/phase"][:])) if "value/phase" in arrays else rgb_all.shape[0] // 2
    rgb = np.asarray(rgb_all[step])
    tiles = []
    for view in range(rgb.shape[0]):
        tile = rgb[view]
        if "value/map" in arrays:
            tile = overlay_step(tile, np.asarray(arrays["value/rgb"][step, view]),
                                np.asarray(arrays["value/map"][step, view]))
        scale = SAMPLE_HEIGHT / tile.shape[0]
        tiles.append(cv2.resize(tile, (max(1, round(tile.shape[1] * scale)), SAMPLE_HEIGHT),
                                interpolation=cv2.INTER_AREA))
    return np.concatenate(tiles, axis=1), step


def image_data_uri(image: np.ndarray) -> str:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        raise RuntimeError("JPEG encoding of an overlay failed")
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode()


def summary_rows(store, results: Sequence[CommitResult]) -> list[dict]:
    """Per (task, setting): the store's figures (`summarize`) plus what this run wrote and how fast."""
    from pipeline.record.summary import summarize

    new: dict[tuple[str, str], list[CommitResult]] = defaultdict(list)
    for res in results:
        if res.written:
            new[(res.task, res.setting)].append(res)
    rows = []
    for group in summarize(store):
        made = new[(group.task, group.setting)]
        rollout_s = [r.rollout_s for r in made if r.rollout_s > 0]
        mean_rollout = float(np.mean(rollout_s)) if rollout_s else None
        rows.append({
            "task": group.task, "setting": group.setting,
            "episodes": group.episodes, "annotated": group.annotated, "new": len(made),
            "expert_success": round(group.success_rate, 3),
            "mean_steps": round(group.steps / group.episodes, 1),
            "rollout_s": round(mean_rollout, 2) if mean_rollout else None,
            "episodes_per_hour_worker": round(3600.0 / mean_rollout, 1) if mean_rollout else None,
        })
    return rows


def _markdown_table(rows: list[dict]) -> str:
    if not rows:
        return "_no episodes yet_"
    cols = list(rows[0])
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join("-" if r[c] is None else str(r[c]) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def dataset_report(output: str | Path, results: Sequence[CommitResult], wall_s: float,
                   failed: Sequence[str] = (), max_samples: int = 4) -> DatasetReport:
    """Summarise the store at `output` after a run that produced `results` in `wall_s` seconds."""
    from pipeline.record.store import DatasetStore

    store = DatasetStore.open(output, mode="r")
    rows = summary_rows(store, results)
    written = [r for r in results if r.written]
    per_hour = len(written) * 3600.0 / wall_s if wall_s > 0 else 0.0
    lines = [
        f"# Dataset report: `{output}`",
        "",
        f"This run: **{len(written)}** episodes written, {sum(r.annotated for r in results)} annotated, "
        f"{len(results) - len(written)} already present, **{len(failed)} failed**; "
        f"wall time {wall_s:.1f} s, **{per_hour:.1f} episodes/hour**.",
    ]
    if failed:
        lines += ["", "Failed units (rerun the flow to retry exactly these): " + ", ".join(f"`{f}`" for f in failed)]
    lines += ["", "## Episodes per task and setting", "", _markdown_table(rows), "",
              "## Sample value-map overlays", "", f"Cameras left to right: {', '.join(CAMERA_NAMES)}.", ""]
    samples: dict[tuple[str, str], str] = {}
    for res in sorted(results, key=lambda r: r.episode_id):
        samples.setdefault((res.task, res.setting), res.episode_id)
    for eid in list(samples.values())[:max_samples]:
        strip, step = overlay_strip(store, eid)
        attrs = store.read_attrs(eid)
        lines += [f"**{eid}**, step {step}/{attrs.num_steps}, success={attrs.success}: _{attrs.instruction}_", "",
                  f"![{eid}]({image_data_uri(strip)})", ""]
    return DatasetReport(rows=rows, markdown="\n".join(lines), episodes_per_hour=per_hour)
