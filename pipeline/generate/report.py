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
"""Weight of the colour-mapped value map where it is at least FULL_OPACITY_VALUE."""
FULL_OPACITY_VALUE = 0.3
"""Values below this are drawn proportionally fainter (0: not drawn)."""
SAMPLE_HEIGHT = 120
"""Pixel height of each camera tile in the report's overlay strips (keeps the artifact small)."""
PANEL_DPI = 100
"""Resolution of the labelled sample panels (raw row, overlay row, colour bar) of the report."""


@dataclass
class DatasetReport:
    rows: list[dict] = field(default_factory=list)
    """One row per (task, setting): the table artifact."""
    markdown: str = ""
    episodes_per_hour: float = 0.0
    """Episodes this run wrote per hour of wall time."""


def overlay_step(rgb: np.ndarray, value_rgb: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Blend one camera frame [H, W, 3] with its colour-mapped value map, more opaque where the value is
    higher (full OVERLAY_ALPHA from FULL_OPACITY_VALUE up), so a map's faint tail does not veil the image."""
    alpha = (np.clip(value.astype(np.float32) / FULL_OPACITY_VALUE, 0.0, 1.0) * OVERLAY_ALPHA)[..., None]
    return (rgb.astype(np.float32) * (1 - alpha) + value_rgb.astype(np.float32) * alpha).astype(np.uint8)


def _sample_step(phase: np.ndarray) -> int:
    """The middle of the first annotated phase (pick), or the middle of the episode if none."""
    active = np.flatnonzero(phase != PHASE_NONE)
    if active.size == 0:
        return len(phase) // 2
    first = phase[active[0]]
    run = active[phase[active] == first]
    return int(run[len(run) // 2])


def image_data_uri(image: np.ndarray) -> str:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        raise RuntimeError("JPEG encoding of an overlay failed")
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode()


def sample_panel(store, episode_id: str, tile_height: int = SAMPLE_HEIGHT) -> tuple[np.ndarray, int]:
    """A labelled picture of one representative step: every camera raw (top row) and with its value map
    overlaid (bottom row), with a colour bar of the value scale; RGB uint8, and the step shown."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap, Normalize

    from pipeline.annotate.colorize import colormap_lut

    params = store.value_params(episode_id)
    names = ["rgb"] if params is None else ["rgb", "value/phase", "value/rgb", "value/map"]
    arrays = store.arrays(episode_id, names)
    step = _sample_step(np.asarray(arrays["value/phase"][:])) if "value/phase" in arrays else arrays["rgb"].shape[0] // 2
    rgb = np.asarray(arrays["rgb"][step])
    views = rgb.shape[0]
    cameras = list(store.read_attrs(episode_id).camera_names) or list(CAMERA_NAMES)
    rows = [("raw", list(rgb))]
    if params is not None:
        value_rgb, value = np.asarray(arrays["value/rgb"][step]), np.asarray(arrays["value/map"][step])
        rows.append(("value-map overlay", [overlay_step(rgb[v], value_rgb[v], value[v]) for v in range(views)]))
    h, w = rgb.shape[1:3]
    tile_w = tile_height * w / h
    fig_w, fig_h = (views * tile_w + 90) / PANEL_DPI, (len(rows) * (tile_height + 18) + 6) / PANEL_DPI
    fig, axes = plt.subplots(len(rows), views, figsize=(fig_w, fig_h), dpi=PANEL_DPI, squeeze=False)
    for r, (label, tiles) in enumerate(rows):
        for v, tile in enumerate(tiles):
            ax = axes[r, v]
            ax.imshow(tile)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{cameras[v] if v < len(cameras) else f'camera {v}'}: {label}", fontsize=7, pad=2)
    fig.subplots_adjust(left=0.005, right=1 - 80 / (fig_w * PANEL_DPI), top=1 - 16 / (fig_h * PANEL_DPI),
                        bottom=0.01, wspace=0.02, hspace=0.16)
    if params is not None:
        lut = colormap_lut(params.get("colormap", "inferno")) / 255.0
        cax = fig.add_axes([1 - 70 / (fig_w * PANEL_DPI), 0.08, 12 / (fig_w * PANEL_DPI), 0.84])
        bar = fig.colorbar(plt.cm.ScalarMappable(norm=Normalize(0, 1), cmap=ListedColormap(lut)), cax=cax)
        bar.set_label("value (fainter below 0.3, 0 not drawn)", fontsize=7)
        bar.ax.tick_params(labelsize=6)
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    plt.close(fig)
    return image, step


def sample_episodes(store) -> dict[tuple[str, str], str]:
    """(task, setting) -> the episode the report shows: the first annotated successful one (else the first)."""
    chosen: dict[tuple[str, str], tuple[int, str]] = {}
    for row in store.read_index():
        rank = 0 if row.get("annotated") and row.get("success") else 1 if row.get("annotated") else 2
        key = (row["task"], row["setting"])
        if key not in chosen or rank < chosen[key][0]:
            chosen[key] = (rank, row["episode_id"])
    return {key: eid for key, (_, eid) in sorted(chosen.items())}


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
            "expert_success_%": round(100.0 * group.success_rate, 1),
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
                   failed: Sequence[str] = (), max_samples: int = 40) -> DatasetReport:
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
    lines += ["", "## Episodes per task and setting", "",
              "`expert_success_%`: share of episodes the scripted expert solved (failed ones are kept for "
              "statistics, never trained on); `rollout_s`: mean seconds per episode this run.", "",
              _markdown_table(rows), "", "## One sample per task and setting", "",
              "Each picture: one step of one episode (the middle of its pick phase); top row the camera images "
              "as recorded, bottom row the same with the annotated value map drawn over it (scale on the right).",
              ""]
    samples = list(sample_episodes(store).items())
    for (task, setting), eid in samples[:max_samples]:
        panel, step = sample_panel(store, eid)
        attrs = store.read_attrs(eid)
        lines += [f"### {task} / {setting}", "",
                  f"`{eid}`, step {step} of {attrs.num_steps}, expert {'succeeded' if attrs.success else 'failed'}: "
                  f"_{attrs.instruction}_", "", f"![{task} {setting}: cameras raw and with value map]"
                  f"({image_data_uri(panel)})", ""]
    if len(samples) > max_samples:
        lines += [f"_{len(samples) - max_samples} more task/setting pairs not shown (max_samples={max_samples})._"]
    return DatasetReport(rows=rows, markdown="\n".join(lines), episodes_per_hour=per_hour)
