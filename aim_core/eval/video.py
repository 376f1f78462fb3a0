"""Episode videos: the camera views, and beneath them the value maps the policy predicted.

Predicted value maps are drawn over the matching camera view, so a viewer sees where the model
expects the interaction to happen next to what the robot actually does.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import imageio.v2 as imageio
import numpy as np


def value_overlay(image: np.ndarray, value_image: np.ndarray) -> np.ndarray:
    """Camera view uint8 [H, W, 3] + predicted value-map colour image uint8 [h, w, 3] -> overlay.

    The value image is the decoded colour map the model predicts (black = no value), so it is
    added where it is bright and leaves the view untouched where it is black.
    """
    h, w = image.shape[:2]
    value = np.asarray(value_image, dtype=np.uint8)
    if value.shape[:2] != (h, w):
        value = cv2.resize(value, (w, h), interpolation=cv2.INTER_LINEAR)
    weight = value.max(axis=-1, keepdims=True).astype(np.float32) / 255.0
    return (image * (1 - weight) + value * weight).astype(np.uint8)


def compose_frame(images: np.ndarray, value_images: np.ndarray | None) -> np.ndarray:
    """[V, H, W, 3] views (+ [V, h, w, 3] predicted value images) -> views in a row, overlays below."""
    row = np.concatenate(list(images), axis=1)
    if value_images is None:
        return row
    overlays = np.concatenate([value_overlay(img, v) for img, v in zip(images, value_images)], axis=1)
    return np.concatenate([row, overlays], axis=0)


class EpisodeVideo:
    """Collects composed frames of one episode and writes them as an MP4."""

    def __init__(self, fps: float = 10.0):
        self.fps = fps
        self.frames: list[np.ndarray] = []

    def add(self, images: np.ndarray, value_images: np.ndarray | None = None) -> None:
        self.frames.append(compose_frame(images, value_images))

    def save(self, path: str | Path) -> Path:
        if not self.frames:
            raise ValueError("no frames recorded for this episode video")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # yuv420p (what players expect) needs even sides; pad with black
        h, w = self.frames[0].shape[:2]
        pad = ((0, h % 2), (0, w % 2), (0, 0))
        frames = [np.pad(f, pad) for f in self.frames]
        imageio.mimwrite(path, frames, fps=self.fps, codec="libx264", macro_block_size=1, pixelformat="yuv420p")
        return path
