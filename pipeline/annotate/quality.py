"""Quality figures of value maps, the paper's checks on real rollouts.

Per phase: the share of value mass on the pixels of the actor the region lives on (target while
picking, support while placing, the pushed part for presses; an earlier stage's object while it is
picked), and how often the real contact
point (finger / tool / footprint centre) projects into the top of the map, with the share of the
lit region (> 5%) that this top band covers, so a hit rate can be read against its chance level.
Overall and per camera, since close wrist views and the distant head view behave differently.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from data_schemas import EpisodeData
from pipeline.annotate.params import AnnotationParams

ROLE_OF_REGION = {"pick": "target", "place": "support", "press": "pressed"}


def segmentation_label(episode: EpisodeData, actor: str | None) -> int | None:
    """The segmentation label of a tracked actor, or None when the episode has no segmentation or does not
    label that actor (None: the region is in world coordinates)."""
    labels = episode.attrs.segmentation_labels
    return labels.index(actor) if actor in labels and "segmentation" in episode.arrays else None


class PhaseQuality:
    """Accumulates the figures of one phase over chunks of rendered maps (step-major, all views)."""

    def __init__(self, episode: EpisodeData, region_kind: str, params: AnnotationParams, actor: str | None):
        """`actor`: the tracked actor the maps should lie on (None: a region in world coordinates, no mass share)."""
        self.label = segmentation_label(episode, actor)
        self.actor, self.kind, self.params = actor, region_kind, params
        self.cameras = list(episode.attrs.camera_names)
        views = len(self.cameras)
        self.mass_sum, self.mass_count = np.zeros(views), np.zeros(views, dtype=np.int64)
        self.hits, self.tested = np.zeros(views, dtype=np.int64), np.zeros(views, dtype=np.int64)
        self.maps, self.empty = 0, 0
        self.band_sum = 0.0

    def add(self, maps: np.ndarray, segmentation: np.ndarray | None, contact_uv: np.ndarray,
            contact_visible: np.ndarray) -> None:
        """maps [B, H, W] (normalised), segmentation [B, H, W], contact pixels [B, C, 2] and visibility [B, C]."""
        views = len(self.cameras)
        view = np.arange(len(maps)) % views
        total = maps.sum(axis=(1, 2))
        live = total > 0
        self.maps += int(live.sum())
        self.empty += int((~live).sum())
        if self.label is not None:
            share = (maps * (segmentation == self.label)).sum(axis=(1, 2)) / np.where(live, total, 1.0)
            np.add.at(self.mass_sum, view[live], share[live])
            np.add.at(self.mass_count, view[live], 1)
        top = maps >= 1.0 - self.params.top_fraction
        lit = (maps > 0.05).sum(axis=(1, 2))
        self.band_sum += float((top.sum(axis=(1, 2))[live] / np.maximum(lit[live], 1)).sum())
        tested = live & contact_visible.any(axis=1)
        hit = tested & ((self._near_values(maps, contact_uv) >= 1.0 - self.params.top_fraction)
                        & contact_visible).any(axis=1)
        np.add.at(self.tested, view, tested)
        np.add.at(self.hits, view, hit)

    @staticmethod
    def _near_values(maps: np.ndarray, uv: np.ndarray) -> np.ndarray:
        """Highest map value within one pixel of each projected contact [B, C]."""
        rows, cols = np.rint(uv[..., 1]).astype(np.int64), np.rint(uv[..., 0]).astype(np.int64)
        batch = np.arange(len(maps))[:, None]
        h, w = maps.shape[1:]
        return np.max([maps[batch, np.clip(rows + dr, 0, h - 1), np.clip(cols + dc, 0, w - 1)]
                       for dr in (-1, 0, 1) for dc in (-1, 0, 1)], axis=0)

    def summary(self) -> dict[str, Any]:
        def ratio(num, den):
            return float(num / den) if den else None

        by_view = {cam: {"mass_on_actor": ratio(self.mass_sum[v], self.mass_count[v]),
                         "contact_in_top": ratio(self.hits[v], self.tested[v]), "contacts_tested": int(self.tested[v])}
                   for v, cam in enumerate(self.cameras)}
        return {"region": self.kind, "actor": self.actor, "maps": self.maps, "empty_maps": self.empty,
                "mass_on_actor": ratio(self.mass_sum.sum(), self.mass_count.sum()),
                "contact_in_top": ratio(self.hits.sum(), self.tested.sum()),
                "contacts_tested": int(self.tested.sum()),
                "top_band_share": self.band_sum / self.maps if self.maps else None, "by_view": by_view}
