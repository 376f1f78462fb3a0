"""Episode videos: the camera views, and beneath them the value maps the policy predicted.

Value maps are drawn as a heat overlay on the matching camera view, so a viewer sees where the
model expects the interaction to happen next to what the robot actually does.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import imageio.v2 as imageio
import numpy as np


def value_overlay(image: np.ndarray, value_map: np.ndarray, alpha: float = 0.6) -> np.ndarray:
    """uint8 [H, W, 3] image + float [h, w] map in [0, 1] -> uint8 [H, W, 3] heat overlay."""
    h, w = image.shape[:2]
    vmap = np.clip(np.asarray(value_map, dtype=np.float32), 0.0, 1.0)
    if vmap.shape != (h, w):
        vmap = cv2.resize(vmap, (w, h), interpolation=cv2.INTER_LINEAR)
    heat = cv2.applyColorMap((vmap * 255).astype(np.uint8), cv2.COLORMAP_JET)[..., ::-1]
    weight = (alpha * vmap)[..., None]
    return (image * (1 - weight) + heat * weight).astype(np.uint8)


def compose_frame(images: np.ndarray, value_maps: np.ndarray | None) -> np.ndarray:
    """[V, H, W, 3] views (+ [V, h, w] maps) -> one frame: views in a row, overlays below."""
    row = np.concatenate(list(images), axis=1)
    if value_maps is None:
        return row
    overlays = np.concatenate([value_overlay(img, vm) for img, vm in zip(images, value_maps)], axis=1)
    return np.concatenate([row, overlays], axis=0)


class EpisodeVideo:
    """Collects composed frames of one episode and writes them as an MP4."""

    def __init__(self, fps: float = 10.0):
        self.fps = fps
        self.frames: list[np.ndarray] = []

    def add(self, images: np.ndarray, value_maps: np.ndarray | None = None) -> None:
        self.frames.append(compose_frame(images, value_maps))

    def save(self, path: str | Path) -> Path:
        if not self.frames:
            raise ValueError("no frames recorded for this episode video")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # yuv420p (what players expect) needs even sides; pad with black
        h, w = self.frames[0].shape[:2]
        pad = ((0, h % 2), (0, w % 2), (0, 0))
        frames = [np.pad(f, pad) for f in self.frames]
        imageio.mimwrite(path, frames, fps=self.fps, codec="libx264", macro_block_size=1,
                         output_params=["-pix_fmt", "yuv420p"])
        return path
