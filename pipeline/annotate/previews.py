"""Previews a person can look at: value maps blended over the camera images.

Per episode an MP4 (three camera views side by side, every recorded step) and a PNG contact
sheet of key frames (start, grasp, mid-transport, placement, end), each labelled with its
step and phase.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import imageio.v2 as imageio
import numpy as np

from pipeline.annotate.annotate import PHASE_NAMES
from pipeline.record.store import DatasetStore

OVERLAY_ALPHA = 0.75
"""Opacity of the colour-mapped value at value 1 (it fades out with the value)."""


def overlay(rgb: np.ndarray, value_map: np.ndarray, value_rgb: np.ndarray) -> np.ndarray:
    """Blend colour-mapped values over camera images (any leading shape, [..., H, W, 3] uint8)."""
    alpha = (OVERLAY_ALPHA * np.clip(value_map.astype(np.float32), 0, 1))[..., None]
    return (rgb * (1 - alpha) + value_rgb * alpha).astype(np.uint8)


def tile_views(frames: np.ndarray, label: str) -> np.ndarray:
    """[V, H, W, 3] -> one [H, V*W, 3] image with a caption in the top-left corner."""
    row = np.ascontiguousarray(np.concatenate(list(frames), axis=1))
    scale = max(0.35, frames.shape[1] / 480)
    cv2.putText(row, label, (4, int(18 * scale) + 2), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1,
                cv2.LINE_AA)
    return row


def key_steps(phase: np.ndarray, events: dict) -> list[int]:
    """Start, each earlier stage's grasp and the middle of its carry, the target's grasp, the middle of its place
    phase, placement or press, and the last step."""
    last = len(phase) - 1
    place = np.flatnonzero(phase == 2)
    start = events["stages"][-1]["place_step"] + 1 if events.get("stages") else 0
    place = place[place >= start]
    candidates = [0, events.get("grasp_step"), int(place[len(place) // 2]) if place.size else None,
                  events.get("place_step") or events.get("press_step"), last]
    for stage in events.get("stages", []):
        candidates += [stage["grasp_step"], (stage["grasp_step"] + stage["place_step"]) // 2]
    return sorted({int(s) for s in candidates if s is not None and 0 <= s <= last})


def write_previews(store: DatasetStore, episode_id: str, out_dir: Path, fps: float | None = None) -> list[Path]:
    """Write `<episode_id>.mp4` and `<episode_id>_keyframes.png` into `out_dir`; returns their paths."""
    attrs = store.read_attrs(episode_id)
    arrays = store.arrays(episode_id, ["rgb", "value/map", "value/rgb", "value/phase"])  # one value version
    rgb, maps, value_rgb, phase = (arrays[n][...] for n in ("rgb", "value/map", "value/rgb", "value/phase"))
    events = (store.value_params(episode_id) or {}).get("events", {})
    blended = overlay(rgb, maps, value_rgb)
    labels = [f"{attrs.task} step {t} {PHASE_NAMES[int(p)]}" for t, p in enumerate(phase)]
    out_dir.mkdir(parents=True, exist_ok=True)
    video = out_dir / f"{episode_id}.mp4"
    with imageio.get_writer(video, fps=fps or attrs.control_rate_hz, codec="libx264", macro_block_size=8,
                            ffmpeg_log_level="error") as writer:
        for t in range(len(phase)):
            writer.append_data(tile_views(blended[t], labels[t]))
    sheet = out_dir / f"{episode_id}_keyframes.png"
    rows = [tile_views(np.concatenate([rgb[t], blended[t]], axis=2), labels[t]) for t in key_steps(phase, events)]
    imageio.imwrite(sheet, np.concatenate(rows, axis=0))
    return [video, sheet]
