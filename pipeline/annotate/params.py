"""Annotation parameters: one frozen object, hashed into a digest stored with the maps.

Every number that changes a value map lives here, so `digest()` decides whether maps already in
a store are current (re-annotation is a no-op) or stale (they are replaced).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from typing import Any

ANNOTATOR_VERSION = 2
"""Bumped when the annotation algorithm changes in a way the parameters do not capture."""


@dataclass(frozen=True)
class AnnotationParams:
    """Parameters of the contact -> point cloud -> projection -> value-map pipeline."""

    contact_radius_m: float = 0.012
    """Object-surface points closer than this to a recorded contact form the contact region."""
    place_plane_tolerance_m: float = 0.003
    """The place region keeps support points this close to the plane of the support contacts."""
    voxel_size_m: float = 0.004
    """Contact regions are merged into voxels of this size (fewer splats, weights keep the total)."""
    splat_sigma_m: float = 0.006
    """World-space Gaussian radius; its pixel sigma is f * splat_sigma_m / depth."""
    min_sigma_px: float = 0.75
    max_sigma_px: float = 48.0
    surface_gate_m: float = 0.01
    """Fade value on pixels whose recorded surface lies this far (Gaussian sigma) from the splats'
    depth, e.g. the table behind an object's silhouette; 0 disables the gate (see splat)."""
    peak_percentile: float = 95.0
    """Maps are divided by this percentile of their non-negligible pixels (100: the maximum), then clipped."""
    depth_tolerance_m: float = 0.012
    """A point is hidden when it lies further than this behind the recorded depth at its pixel ..."""
    occlusion_margin_px: int = 1
    """... or at any pixel this close (catches the far side of thin objects at their silhouette)."""
    item_visibility: bool = True
    """... or, where the episode has a segmentation, when its pixel shows another tracked actor than
    the one the region lies on, or the table: a cover thinner than depth_tolerance_m hides it too
    (visible_points); and a splat puts no value on those pixels (splat)."""
    grasp_hold_steps: int = 2
    """An effective grasp: two fingers of one arm on the target for this many consecutive steps."""
    settle_speed_mps: float = 0.02
    """Placement is complete once the target's centre of mass moves slower than this ..."""
    settle_steps: int = 2
    """... for this many consecutive recorded steps after release."""
    earlier_stages: bool = True
    """Annotate the pick-and-places of other tracked objects that end before the target's grasp (stack_blocks_two's
    red cube before the green one) as stages of their own: their maps show that object's grasp region, then its
    footprint where it comes to rest. False: every step up to the target's grasp shows the target's pick region,
    as annotator version 2 did, though the arms are busy with another object meanwhile."""
    pick_lift_m: float = 0.02
    """A hold is a pick when the object's centre rises at least this far above its height at the grasp before
    the release: a pick-and-place lifts what it carries, two fingers brushing an object or a hand pulling a drawer
    do not. An earlier stage must be a pick; the target's grasp is its first pick, or its first hold where none
    lifts it (a pushed or slid target)."""
    colormap: str = "inferno"
    """OpenCV colour map for value/rgb; value 0 is always pure black ("no value")."""
    top_fraction: float = 0.1
    """Quality check: a contact 'hits' when the map within one pixel of its projection reaches
    (1 - top_fraction) of the map's maximum (one pixel absorbs rounding at object silhouettes)."""

    def __post_init__(self) -> None:
        if self.surface_gate_m < 0:
            raise ValueError(f"AnnotationParams.surface_gate_m must be >= 0, got {self.surface_gate_m!r}")
        positive = ("contact_radius_m", "place_plane_tolerance_m", "voxel_size_m", "splat_sigma_m", "min_sigma_px",
                    "max_sigma_px", "depth_tolerance_m", "settle_speed_mps", "pick_lift_m")
        for name in positive:
            if not getattr(self, name) > 0:
                raise ValueError(f"AnnotationParams.{name} must be > 0, got {getattr(self, name)!r}")
        if self.min_sigma_px > self.max_sigma_px:
            raise ValueError(f"min_sigma_px ({self.min_sigma_px}) exceeds max_sigma_px ({self.max_sigma_px})")
        if self.occlusion_margin_px < 0:
            raise ValueError(f"occlusion_margin_px must be >= 0, got {self.occlusion_margin_px}")
        if self.grasp_hold_steps < 1 or self.settle_steps < 1:
            raise ValueError("grasp_hold_steps and settle_steps must be >= 1")
        if not 50 <= self.peak_percentile <= 100:
            raise ValueError(f"peak_percentile must lie in [50, 100], got {self.peak_percentile}")
        if not 0 < self.top_fraction < 1:
            raise ValueError(f"top_fraction must lie in (0, 1), got {self.top_fraction}")
        from pipeline.annotate.colorize import colormap_lut  # validates the colour-map name early
        colormap_lut(self.colormap)

    def as_dict(self) -> dict[str, Any]:
        return {"annotator_version": ANNOTATOR_VERSION, **asdict(self)}

    def digest(self) -> str:
        """Stable hash of every parameter and the annotator version (16 hex characters)."""
        blob = json.dumps(self.as_dict(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "AnnotationParams":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in names})
