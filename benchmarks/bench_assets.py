"""Benchmark of the assets room: asset generation, SAPIEN loading (cold/warm mesh cache), settling.

Run: .venv/bin/python benchmarks/bench_assets.py [--seeds 10]
Prints a Markdown table for the "Assets" section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np
import sapien
from tqdm import tqdm

from pipeline.assets import build_actor, build_articulation, list_asset_kinds, make_asset


def _build(scene: sapien.Scene, asset, pose: sapien.Pose) -> None:
    if asset.hinge is not None:
        build_articulation(scene, asset, pose)
    else:
        build_actor(scene, asset, pose)


def _scene() -> sapien.Scene:
    scene = sapien.Scene()
    scene.set_timestep(1 / 250)
    scene.add_ground(0.0)
    return scene


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=10, help="assets per kind")
    args = parser.parse_args()
    os.environ["AIM_CACHE"] = tempfile.mkdtemp(prefix="aim-bench-assets-")  # start with a cold mesh cache
    rows = []
    for kind in tqdm(list_asset_kinds(), desc="kinds"):
        start = time.perf_counter()
        assets = [make_asset(kind, np.random.default_rng(seed)) for seed in range(args.seeds)]
        make_ms = (time.perf_counter() - start) / args.seeds * 1e3
        timings = {}
        for label in ("cold", "warm"):
            scene = _scene()
            start = time.perf_counter()
            for i, asset in enumerate(assets):
                _build(scene, asset, sapien.Pose([0.4 * i, 0.0, 0.02]))
            timings[label] = (time.perf_counter() - start) / args.seeds * 1e3
        start = time.perf_counter()
        for _ in range(250):
            scene.step()
        step_ms = (time.perf_counter() - start) / 250 * 1e3
        start = time.perf_counter()
        assets[0].surface_points(2048, np.random.default_rng(0))
        sample_ms = (time.perf_counter() - start) * 1e3
        rows.append((kind, make_ms, timings["cold"], timings["warm"], step_ms, sample_ms))
    print(f"\n{args.seeds} assets per kind; physics: {args.seeds} objects of the kind settling, 250 Hz\n")
    print("| kind | make_asset ms | build cold ms | build warm ms | physics step ms | surface_points(2048) ms |")
    print("|---|---|---|---|---|---|")
    for kind, *values in rows:
        print(f"| {kind} | " + " | ".join(f"{v:.2f}" for v in values) + " |")


if __name__ == "__main__":
    main()
