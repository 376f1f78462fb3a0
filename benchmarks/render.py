"""Render-speed benchmark: the two measures of pipeline/sim against what they replace, in one run.

    .venv/bin/python benchmarks/render.py [--height 240 --width 320] [--episodes 3] [--write]

1. Frame time of the three cameras with pybullet's full Panda visual meshes (~100k triangles an
   arm) vs the decimated cache copy (`pipeline.sim.visual_meshes`), same scene otherwise.
2. Episode time when the garbage collector frees every finished scene (as in a long-lived
   worker), without and with the process-wide pipeline keepalive (`pipeline.sim.render_keepalive`).
--write replaces the "Render" section of benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import pybullet_data

import pipeline.sim.cameras as cameras
import pipeline.sim.robot as robot
from pipeline.record.rollout import rollout_episode
from pipeline.sim import render_keepalive
from pipeline.sim.appearance import EASY_APPEARANCE
from pipeline.sim.config import SimConfig
from pipeline.sim.env import SimEnv
from pipeline.sim.robot_assets import RobotFiles, panda_files
from results import write_section

SECTION = "Render"
TASK = "stack_blocks_two"


def full_mesh_robot(folder: Path) -> RobotFiles:
    """The cached robot description with pybullet's original visual meshes put back."""
    cached = panda_files()
    shutil.copytree(cached.urdf.parent, folder, dirs_exist_ok=True)
    shutil.rmtree(folder / "meshes" / "visual")
    shutil.copytree(Path(pybullet_data.getDataPath()) / "franka_panda" / "meshes" / "visual", folder / "meshes" / "visual")
    return RobotFiles(folder / cached.urdf.name, folder / cached.srdf.name)


def frame_ms(image_size: tuple[int, int], frames: int) -> float:
    """Median wall ms of update_render + capture of all cameras (after one warm-up frame)."""
    env = SimEnv(SimConfig(image_size=image_size), EASY_APPEARANCE)
    env.cameras.capture(None)
    times = []
    for _ in range(frames):
        started = time.perf_counter()
        env.cameras.capture(None)
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times)


def episode_seconds(config: SimConfig, episodes: int) -> list[float]:
    times = []
    for seed in range(episodes):
        started = time.perf_counter()
        rollout_episode(TASK, "easy", seed, config)
        times.append(time.perf_counter() - started)
        gc.collect()  # frees the finished scene, as a worker's collector eventually does
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--height", type=int, default=240)
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--episodes", type=int, default=4, help="per variant; the first one's compile is not averaged")
    parser.add_argument("--write", action="store_true", help=f"update the {SECTION} section of RESULTS.md")
    args = parser.parse_args()
    size = (args.height, args.width)
    config = SimConfig(image_size=size, record_every=30)

    # 2 first, while no keepalive camera exists yet: every episode then starts cold
    keepalive = cameras.keep_render_pipelines_warm
    cameras.keep_render_pipelines_warm = lambda: None
    without = episode_seconds(config, args.episodes)
    cameras.keep_render_pipelines_warm = keepalive
    with_keepalive = episode_seconds(config, args.episodes)

    decimated = frame_ms(size, args.frames)
    with tempfile.TemporaryDirectory(prefix="aim-bench-render-") as tmp:
        robot.panda_files = lambda: full_mesh_robot(Path(tmp) / "panda")
        full = frame_ms(size, args.frames)
    assert render_keepalive._HELD, "the keepalive camera was never made"

    threads = os.environ.get("LP_NUM_THREADS", "all cores")
    markdown = "\n".join([
        f"Machine: 2-core CPU VM, lavapipe (Mesa 25), LP_NUM_THREADS={threads}; load average "
        f"{os.getloadavg()[0]:.1f}. Script: `.venv/bin/python benchmarks/render.py --height {args.height} "
        f"--width {args.width} --episodes {args.episodes}`.",
        "",
        "| measure | before | after | ratio |",
        "|---|---|---|---|",
        f"| 3-camera frame, {args.height}x{args.width}: full Panda meshes -> decimated (ms) | {full:.1f} | "
        f"{decimated:.1f} | **{full / decimated:.1f}x** |",
        f"| {TASK} episode when the collector frees each scene: no keepalive -> keepalive (s, mean of "
        f"episodes 2-{args.episodes}) | {statistics.mean(without[1:]):.1f} | {statistics.mean(with_keepalive[1:]):.1f} | "
        f"**{statistics.mean(without[1:]) / statistics.mean(with_keepalive[1:]):.1f}x** |",
        "",
        f"Episode seconds without keepalive: {', '.join(f'{t:.1f}' for t in without)}; with: "
        f"{', '.join(f'{t:.1f}' for t in with_keepalive)} (the first includes the one pipeline compile).",
    ])
    print(markdown)
    if args.write:
        write_section(SECTION, markdown)


if __name__ == "__main__":
    main()
