"""T-pose canvas: three camera views packed into one image the video VAE can encode.

Following LingBot-VA (and AIM), the head camera sits on top, centred, and the left and right
wrist cameras sit side by side below it. The same layout packs RGB frames and value-map images,
so a pixel of a value map lands where the matching RGB pixel lands. For views of H x W the
canvas is 2H x 2W; the empty top corners are black (for value maps: "no value").
The canvas must be a multiple of the VAE's spatial compression (16), i.e. H and W multiples of 8;
`CanvasLayout.for_cameras` checks this and says which camera size would work.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch

from data_schemas import CAMERA_NAMES

Array = np.ndarray | torch.Tensor
HEAD_CAMERA = CAMERA_NAMES.index("head")
"""Index of the head camera in a step's views (CAMERA_NAMES order)."""


@dataclass(frozen=True)
class CanvasLayout:
    """Where each camera lands on the canvas; `camera_hw` is the (H, W) of every view."""

    camera_hw: tuple[int, int]
    multiple: int = 16

    def __post_init__(self) -> None:
        h, w = self.camera_hw
        if h <= 0 or w <= 0 or (2 * h) % self.multiple or (2 * w) % self.multiple:
            ok = (self.multiple // 2)
            raise ValueError(
                f"camera size {h}x{w} gives a {2 * h}x{2 * w} canvas, not a multiple of {self.multiple} "
                f"(the VAE's spatial compression). Use views whose sides are multiples of {ok}, e.g. resize "
                f"to {max(ok, h // ok * ok)}x{max(ok, w // ok * ok)} with resize_views().")

    @property
    def canvas_hw(self) -> tuple[int, int]:
        return 2 * self.camera_hw[0], 2 * self.camera_hw[1]

    def slots(self) -> tuple[tuple[slice, slice], ...]:
        """(rows, cols) of each camera in CAMERA_NAMES order: head top-centre, wrists below."""
        h, w = self.camera_hw
        return ((slice(0, h), slice(w // 2, w // 2 + w)),
                (slice(h, 2 * h), slice(0, w)),
                (slice(h, 2 * h), slice(w, 2 * w)))


def pack_canvas(views: Array, layout: CanvasLayout | None = None) -> Array:
    """[..., V=3, H, W, C] -> [..., 2H, 2W, C]; numpy or torch, dtype kept."""
    if views.ndim < 4 or views.shape[-4] != len(CAMERA_NAMES):
        raise ValueError(f"pack_canvas expects [..., {len(CAMERA_NAMES)} cameras {CAMERA_NAMES}, H, W, C], "
                         f"got shape {tuple(views.shape)}")
    layout = layout or CanvasLayout(tuple(views.shape[-3:-1]))
    if tuple(views.shape[-3:-1]) != layout.camera_hw:
        raise ValueError(f"views are {tuple(views.shape[-3:-1])}, the layout expects {layout.camera_hw}")
    shape = (*views.shape[:-4], *layout.canvas_hw, views.shape[-1])
    canvas = views.new_zeros(shape) if isinstance(views, torch.Tensor) else np.zeros(shape, views.dtype)
    for cam, (rows, cols) in enumerate(layout.slots()):
        canvas[..., rows, cols, :] = views[..., cam, :, :, :]
    return canvas


def unpack_canvas(canvas: Array, layout: CanvasLayout) -> Array:
    """[..., 2H, 2W, C] -> [..., V=3, H, W, C], the exact inverse of `pack_canvas`."""
    if tuple(canvas.shape[-3:-1]) != layout.canvas_hw:
        raise ValueError(f"canvas is {tuple(canvas.shape[-3:-1])}, the layout expects {layout.canvas_hw}")
    views = [canvas[..., rows, cols, :] for rows, cols in layout.slots()]
    return torch.stack(views, dim=-4) if isinstance(canvas, torch.Tensor) else np.stack(views, axis=-4)


def resize_views(views: np.ndarray, camera_hw: tuple[int, int]) -> np.ndarray:
    """Resize [..., H, W, C] views (uint8 or float) to `camera_hw` (area averaging: keeps thin value blobs)."""
    if tuple(views.shape[-3:-1]) == tuple(camera_hw):
        return views
    h, w = camera_hw
    flat = views.reshape(-1, *views.shape[-3:])
    out = np.stack([cv2.resize(v, (w, h), interpolation=cv2.INTER_AREA) for v in flat])
    return out.reshape(*views.shape[:-3], h, w, views.shape[-1])


def head_camera_view(head: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """uint8 head-camera images [..., H, W, 3] (`HEAD_CAMERA` of a step's views) resized to `hw` by area averaging,
    as float32 RGB [..., 3, h, w] in [0, 1]: what an action prior that reads pixels sees
    (`AIMConfig.action_prior_pixels`), the same in training and in closed loop."""
    return np.moveaxis(resize_views(head.astype(np.float32) / 255.0, hw), -1, -3)  # averaged unrounded
