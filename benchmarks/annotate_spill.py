"""Where does a value map's off-target mass lie? A diagnostic for the annotation benchmark's mass figures.

For each episode of a recorded store and the chosen phase (pick or place), every map pixel with value
that does not show the phase's actor is back-projected by its recorded depth and measured against the
contact region (distance to its nearest point) and the table top (height within 3 mm of the commonest
height of the view's untracked pixels). Prints the on-target share and how the rest splits; a spill
within a couple of splat radii of the region, on a neighbouring surface, is the splat's own tail.
`all_within_*`: the share of the whole map within that distance of the region, whatever the pixels
show: a figure no segmentation rule can raise by cutting value off other surfaces alone.

    .venv/bin/python benchmarks/annotate_spill.py --dataset /tmp/aim_bench_annotate.zarr --phase place \
        --episodes move_stapler_pad,place_fan
"""
from __future__ import annotations

import argparse
import json

import numpy as np
from scipy.spatial import cKDTree

from data_schemas import PHASE_PICK, PHASE_PLACE
from pipeline.annotate.annotate import NEEDED_ARRAYS, annotate_episode
from pipeline.annotate.params import AnnotationParams
from pipeline.annotate.phases import plan_episode
from pipeline.annotate.quality import segmentation_label
from pipeline.annotate.splat import depth_to_metres
from pipeline.record.store import DatasetStore

RADII_M = (0.006, 0.012, 0.024)
"""Distances reported: one, two and four splat radii (AnnotationParams.splat_sigma_m)."""
TABLE_BAND_M = 0.003


def back_project(rows: np.ndarray, cols: np.ndarray, depth_m: np.ndarray, k: np.ndarray, extrinsic: np.ndarray
                 ) -> np.ndarray:
    """World points [N, 3] of pixels (rows, cols) at their recorded depth (OpenCV K, world-to-camera)."""
    z = depth_m[rows, cols].astype(np.float64)
    cam = np.stack([(cols - k[0, 2]) * z / k[0, 0], (rows - k[1, 2]) * z / k[1, 1], z, np.ones_like(z)])
    return (np.linalg.inv(extrinsic.astype(np.float64)) @ cam).T[:, :3]


def table_height(seg: np.ndarray, depth_m: np.ndarray, k: np.ndarray, extrinsic: np.ndarray) -> float:
    """The commonest height of a view's untracked (or table-labelled) pixels: the table top."""
    rows, cols = np.nonzero((seg < 0) & (depth_m > 0))
    z = back_project(rows, cols, depth_m, k, extrinsic)[:, 2]
    hist, edges = np.histogram(z[(z > 0.3) & (z < 1.2)], bins=np.arange(0.3, 1.2, 0.002))
    return float(edges[np.argmax(hist)] + 0.001)


def spill(store: DatasetStore, episode_id: str, phase: int) -> dict | None:
    """Shares (mean over the phase's non-empty maps) of the mass on target, within each radius, on the table."""
    episode = store.read_episode(episode_id, list(NEEDED_ARRAYS) + ["segmentation"])
    params = AnnotationParams()
    segments = [s for s in plan_episode(episode, params).segments if s.code == phase]
    if not segments:
        return None
    maps = annotate_episode(episode, params).arrays["value/map"].astype(np.float32)
    arr = episode.arrays
    sums = {"maps": 0, "on_target": 0.0, "table": 0.0, **{f"within_{int(r * 1000)}mm": 0.0 for r in RADII_M},
            **{f"all_within_{int(r * 1000)}mm": 0.0 for r in RADII_M}}
    for segment, step in ((segment, step) for segment in segments for step in segment.steps):
        region, label = segment.region, segmentation_label(episode, segment.actor)
        points, _ = region.at_steps(episode, np.array([step]))
        tree = cKDTree(points[0])
        for view in range(arr["intrinsics"].shape[0]):
            value = maps[step, view]
            total = value.sum()
            if total <= 0:
                continue
            seg, depth = arr["segmentation"][step, view], depth_to_metres(arr["depth"][step, view])
            k, ext = arr["intrinsics"][view], arr["extrinsics"][step, view]
            sums["maps"] += 1
            sums["on_target"] += float((value * (seg == label)).sum() / total)
            rows, cols = np.nonzero(value > 0)  # every lit pixel, whatever it shows: a label-free figure
            distance, _ = tree.query(back_project(rows, cols, depth, k, ext))
            for radius in RADII_M:
                sums[f"all_within_{int(radius * 1000)}mm"] += float((value[rows, cols] * (distance <= radius)).sum() / total)
            rows, cols = np.nonzero((seg != label) & (value > 0))
            if not len(rows):
                continue
            world = back_project(rows, cols, depth, k, ext)
            weight = value[rows, cols] / total
            distance, _ = tree.query(world)
            for radius in RADII_M:
                sums[f"within_{int(radius * 1000)}mm"] += float((weight * (distance <= radius)).sum())
            on_table = np.abs(world[:, 2] - table_height(seg, depth, k, ext)) < TABLE_BAND_M
            sums["table"] += float((weight * on_table).sum())
    count = max(sums.pop("maps"), 1)
    return {name: value / count for name, value in sums.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", required=True, help="a recorded store (e.g. benchmarks/annotate.py's --dataset)")
    parser.add_argument("--phase", choices=("pick", "place"), default="place")
    parser.add_argument("--episodes", default="", help="comma-separated episode-id prefixes (default: all)")
    parser.add_argument("--json", action="store_true", help="one JSON object per episode")
    args = parser.parse_args()
    store = DatasetStore.open(args.dataset, mode="r")
    prefixes = args.episodes.split(",") if args.episodes else [""]
    phase = {"pick": PHASE_PICK, "place": PHASE_PLACE}[args.phase]
    for episode_id in sorted(store.episode_ids()):
        if any(episode_id.startswith(p) for p in prefixes):
            shares = spill(store, episode_id, phase)
            if shares is not None:
                print(json.dumps({"episode": episode_id, "phase": args.phase, **shares}) if args.json else
                  " ".join([episode_id, args.phase] + [f"{k} {v:.3f}" for k, v in shares.items()]), flush=True)


if __name__ == "__main__":
    main()
