"""Replay benchmark: recorded expert actions executed open loop by the evaluation environment.

    .venv/bin/python benchmarks/replay.py [--seeds 3] [--tasks ...] [--height 48 --width 64] [--write]

Records seeds 0..N-1 of every task (easy setting) with `rollout_episode`, replays each episode's
`action` rows through `TaskEnv` (same seed, `pipeline.sim.control.ControlLaw`) and reports, per
task, whether replays of successful recordings succeed and how far the replayed arm joints stray from
the recorded `qpos` (max and mean |qpos_replay - qpos_recorded| over arm joints and frames, rad).
It is the whole-benchmark version of the replay test (tests/eval/test_sim_env.py): if recording and
execution disagree on what an action means, these errors grow and replays fail.
--write replaces the "Replay" section of benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

from data_schemas.spec import ARM_JOINT_DIMS, GRIPPER_DIMS
from pipeline.record.rollout import RecordOptions, rollout_episode
from pipeline.sim.config import SimConfig
from pipeline.sim.task_env import TaskEnv
from pipeline.tasks import list_tasks
from results import write_section

SECTION = "Replay"
ARM_JOINTS = list(ARM_JOINT_DIMS)
GRIPPERS = list(GRIPPER_DIMS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", nargs="+", default=list_tasks())
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 per task")
    parser.add_argument("--setting", default="easy", choices=["easy", "hard"])
    parser.add_argument("--height", type=int, default=48)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--write", action="store_true", help="replace the Replay section of RESULTS.md")
    args = parser.parse_args()
    config, options = SimConfig(image_size=(args.height, args.width)), RecordOptions(segmentation=False, surface_points=16)
    env = TaskEnv(config)
    rows = []
    for task in args.tasks:
        recorded_ok, replay_ok, arm_max, arm_mean, grip_max, seconds = 0, 0, [], [], [], []
        for seed in range(args.seeds):
            episode = rollout_episode(task, args.setting, seed, config, options)
            start = time.perf_counter()
            env.reset(task, args.setting, seed)
            replay = env.replay(episode.arrays["action"])
            seconds.append(time.perf_counter() - start)
            error = np.abs(replay.qpos - episode.arrays["qpos"])
            arm_max.append(error[:, ARM_JOINTS].max())
            arm_mean.append(error[:, ARM_JOINTS].mean())
            grip_max.append(error[:, GRIPPERS].max())
            recorded_ok += episode.attrs.success
            replay_ok += episode.attrs.success and replay.success
            print(f"{task} seed {seed}: recorded success {episode.attrs.success}, replay success {replay.success}, "
                  f"arm max {arm_max[-1]:.2e} mean {arm_mean[-1]:.2e} rad, gripper max {grip_max[-1]:.3f}", flush=True)
        rows.append(f"| {task} | {args.seeds} | {recorded_ok}/{args.seeds} | {replay_ok}/{recorded_ok} | "
                    f"{max(arm_max):.1e} | {np.mean(arm_mean):.1e} | {max(grip_max):.3f} | {np.mean(seconds):.1f} |")
    markdown = "\n".join([
        f"Machine: 2-core CPU VM, lavapipe (Mesa 25); load average {os.getloadavg()[0]:.1f}. Script: "
        f"`.venv/bin/python benchmarks/replay.py --seeds {args.seeds} --height {args.height} --width {args.width}"
        f"{'' if args.setting == 'easy' else ' --setting ' + args.setting}`. Setting {args.setting}, "
        f"record_every {config.record_every} at {config.physics_rate_hz:g} Hz.",
        "",
        "Each recorded episode's actions replayed open loop through `TaskEnv` (same seed). Arm error: "
        "|qpos_replay - qpos_recorded| over the 14 arm joints and all frames (rad); gripper: opening fraction.",
        "",
        "| task | seeds | recorded success | replay success (of recorded successes) | arm max err | arm mean err | "
        "gripper max err | replay s/episode |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
    ])
    print(markdown)
    if args.write:
        write_section(SECTION, markdown)


if __name__ == "__main__":
    main()
