"""Point cloud -> value map: z-buffer visibility against recorded depth and Gaussian splatting.

Each visible point becomes an isotropic world-space Gaussian of radius `splat_sigma_m`; in pixels
its sigma is f * radius / depth, so near points spread wider, as the paper's depth-aware kernel.
The Gaussian is separable, so the sum over points is one batched matrix product
(Gy^T diag(w) Gx): exact per-point sigma with no loop over points or pixels.
"""
from __future__ import annotations

import numpy as np

from data_schemas import DEPTH_SCALE_MM, SEGMENTATION_UNTRACKED
from pipeline.annotate.geometry import project
from pipeline.annotate.params import AnnotationParams

GATE_FLOOR = 0.02
"""Gate factors below this (surfaces > 2.8 gate sigmas away) zero the pixel, so a view where the
gate leaves only faint traces reads as empty instead of having them scaled up to 1."""
TRUNCATE = 4.0
"""Gaussians are evaluated out to this many sigmas (the tail beyond holds < 0.04% of the peak)."""


def depth_to_metres(raw: np.ndarray) -> np.ndarray:
    """Recorded depth (uint16 millimetres per the schema, or float metres) -> float32 metres, 0 = no return."""
    raw = np.asarray(raw)
    if raw.dtype == np.uint16:
        return raw.astype(np.float32) / DEPTH_SCALE_MM
    return raw.astype(np.float32)


def visible_points(uv: np.ndarray, z: np.ndarray, depth: np.ndarray, tolerance_m: float,
                   margin_px: int = 0, segmentation: np.ndarray | None = None,
                   own_label: int | None = None) -> np.ndarray:
    """Which projected points [B, N] are inside the image, in front of the camera and not occluded.

    `depth` [B, H, W] is the recorded depth of each view; a point is hidden when it lies more than
    `tolerance_m` behind the nearest recorded surface within `margin_px` pixels of its pixel.
    The margin drops points that a pixel's rounding puts just past an object's silhouette although
    the object hides them (the far side of a thin object). Pixels without a depth return (0) hide
    nothing. With `segmentation` [B, H, W] and `own_label` (the tracked actor the points lie on), a
    point is also hidden when its pixel shows another tracked actor or the table (an item buffer):
    the depth tolerance, which absorbs depth sampling on slanted surfaces, cannot reject a cover
    thinner than itself (a nested bowl's 5 mm wall over the support's inner wall). A point more than
    the tolerance in front of the surface its pixel shows is not covered by it (rounding put it just
    past its own silhouette: a handle's edge over the table far below) and stays visible. Untracked
    pixels (robot, clutter) are left to the depth test, so the fingers closing on a pick region still
    show it on themselves, as the paper's projection does.
    """
    b, h, w = depth.shape
    col = np.rint(uv[..., 0]).astype(np.int64)
    row = np.rint(uv[..., 1]).astype(np.int64)
    inside = (z > 1e-6) & (col >= 0) & (col < w) & (row >= 0) & (row < h)
    batch = np.broadcast_to(np.arange(b)[:, None], col.shape)
    offsets = range(-margin_px, margin_px + 1)
    surface = np.min([_nearest(depth_to_metres(depth[batch, np.clip(row + dr, 0, h - 1),
                                                     np.clip(col + dc, 0, w - 1)]))
                      for dr in offsets for dc in offsets], axis=0)
    visible = inside & (z <= surface + tolerance_m)
    if segmentation is not None and own_label is not None:
        pixel = (batch, np.clip(row, 0, h - 1), np.clip(col, 0, w - 1))
        in_front = z < _nearest(depth_to_metres(depth[pixel])) - tolerance_m  # a silhouette's rounding, not a cover
        visible &= item_pixels(segmentation[pixel], own_label) | in_front
    return visible


def item_pixels(shown: np.ndarray, own_label: int) -> np.ndarray:
    """Where a region on actor `own_label` may show (segmentation values `shown`): its own actor's
    pixels and untracked ones (robot, clutter), not another tracked actor's nor the table's."""
    return (shown == own_label) | (shown == SEGMENTATION_UNTRACKED)


def _nearest(surface: np.ndarray) -> np.ndarray:
    """Depth with "no return" (0) as infinitely far, so it never hides anything."""
    return np.where(surface > 0, surface, np.inf)


def pixel_sigmas(z: np.ndarray, focal: np.ndarray, params: AnnotationParams) -> np.ndarray:
    """Pixel sigma [B, N] of a world-space radius at depth z for focal lengths [B] (clamped)."""
    sigma = focal[:, None] * params.splat_sigma_m / np.maximum(z, 1e-6)
    return np.clip(sigma, params.min_sigma_px, params.max_sigma_px)


def splat(uv: np.ndarray, z: np.ndarray, weights: np.ndarray, intrinsics: np.ndarray, shape: tuple[int, int],
          params: AnnotationParams, depth: np.ndarray | None = None, segmentation: np.ndarray | None = None,
          own_label: int | None = None) -> np.ndarray:
    """Sum of unit-peak Gaussians at uv [B, N, 2] with weights [B, N] -> unnormalised maps [B, H, W].

    Per view, only the window holding the weighted points' Gaussians out to `TRUNCATE` sigmas is
    computed, as one product of the separable factors. With `depth` [B, H, W] and
    `params.surface_gate_m` > 0, the kernel is also Gaussian along the view ray: a pixel whose
    recorded surface lies far in front of or behind the splats covering it (e.g. the table behind
    an object's silhouette) keeps exp(-dz^2 / 2 gate^2) of their value, so value stays on the
    surfaces near the contact region. The splats' depth at a pixel is their weighted mean,
    obtained with a second product. With `segmentation` [B, H, W] and `own_label`, the item buffer
    of `visible_points` also applies to every pixel a splat covers: pixels showing another tracked
    actor or the table get no value, so a splat does not spread from the region's surface onto a
    neighbouring surface at nearly the same depth (a nested bowl's rim beside the support's inner
    wall, the table 1-2 mm below a pad's edge), which neither the depth gate nor the point test can
    reject; untracked pixels (robot, clutter) keep theirs.
    """
    h, w = shape
    sigma_x = pixel_sigmas(z, intrinsics[:, 0, 0], params).astype(np.float32)
    sigma_y = pixel_sigmas(z, intrinsics[:, 1, 1], params).astype(np.float32)
    gate = depth is not None and params.surface_gate_m > 0
    out = np.zeros((uv.shape[0], h, w), dtype=np.float32)
    for b in np.flatnonzero((weights > 0).any(axis=1)):  # views where something is visible
        keep = weights[b] > 0
        u, v = uv[b, keep, 0].astype(np.float32), uv[b, keep, 1].astype(np.float32)
        sx, sy, wt = sigma_x[b, keep], sigma_y[b, keep], weights[b, keep].astype(np.float32)
        c0, c1 = _window(u, sx, w)
        r0, r1 = _window(v, sy, h)
        if c0 >= c1 or r0 >= r1:
            continue
        gx = np.exp(-0.5 * ((np.arange(c0, c1, dtype=np.float32) - u[:, None]) / sx[:, None]) ** 2)
        gy_t = np.ascontiguousarray((np.exp(-0.5 * ((np.arange(r0, r1, dtype=np.float32) - v[:, None])
                                                    / sy[:, None]) ** 2) * wt[:, None]).T)
        value = gy_t @ gx
        if gate:
            splat_depth = (gy_t * z[b, keep].astype(np.float32)) @ gx / np.maximum(value, 1e-30)
            surface = depth_to_metres(depth[b, r0:r1, c0:c1])
            offset = np.where(surface > 0, surface - splat_depth, 0.0)
            factor = np.exp(-0.5 * (offset / params.surface_gate_m) ** 2)
            value *= np.where(factor >= GATE_FLOOR, factor, 0.0)
        if segmentation is not None and own_label is not None:
            value *= item_pixels(segmentation[b, r0:r1, c0:c1], own_label)
        out[b, r0:r1, c0:c1] = value
    return out


def _window(centres: np.ndarray, sigmas: np.ndarray, size: int) -> tuple[int, int]:
    """Pixel range [start, stop) covering every Gaussian out to TRUNCATE sigmas, clipped to the image."""
    start = int(np.floor((centres - TRUNCATE * sigmas).min()))
    stop = int(np.ceil((centres + TRUNCATE * sigmas).max())) + 1
    return max(0, start), min(size, stop)


def normalise(maps: np.ndarray, percentile: float = 100.0) -> np.ndarray:
    """Scale each map [B, H, W] into [0, 1] by its robust peak; empty maps stay 0.

    The robust peak is the `percentile` of the map's pixels above 5% of its maximum (100: the
    maximum itself). Below 100 a flat contact patch reads as uniformly high instead of being
    scaled by whichever sampling bump is highest; values above the robust peak clip to 1.
    """
    flat = maps.reshape(maps.shape[0], -1)
    peak = flat.max(axis=1)
    if percentile < 100:
        support = np.where(flat > 0.05 * peak[:, None], flat, np.nan)
        live = peak > 0
        peak = peak.copy()
        peak[live] = np.nanpercentile(support[live], percentile, axis=1)
    scale = np.where(peak > 0, 1.0 / np.where(peak > 0, peak, 1.0), 0.0).astype(np.float32)
    return np.minimum(maps * scale[:, None, None], 1.0)


def render_value_maps(points_world: np.ndarray, intrinsics: np.ndarray, extrinsics: np.ndarray, depth: np.ndarray,
                      params: AnnotationParams, weights: np.ndarray | None = None,
                      segmentation: np.ndarray | None = None, own_label: int | None = None) -> np.ndarray:
    """Value maps [B, H, W] in [0, 1] of world points [B, N, 3] (optional weights [N]) seen by B views.

    Points hidden behind recorded geometry (depth [B, H, W]; with segmentation [B, H, W] and the
    points' actor label, also behind another actor: `visible_points`) leave no mass, and their splats
    leave none on another actor's pixels (`splat`); a view with no visible point is all zero ("no value").
    """
    uv, z = project(points_world, intrinsics, extrinsics)
    visible = visible_points(uv, z, depth, params.depth_tolerance_m, params.occlusion_margin_px,
                             segmentation, own_label)
    visible = visible.astype(np.float32)
    if weights is not None:
        visible *= weights[None, :]
    maps = splat(uv, z, visible, intrinsics, depth.shape[1:], params, depth, segmentation, own_label)
    return normalise(maps, params.peak_percentile)
