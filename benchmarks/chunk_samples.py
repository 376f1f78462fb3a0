"""Averaged chunks (`PolicyConfig.chunk_samples`): what N draws per plan cost and how much they steady the plan.

For each N, one process replays the observations of recorded episodes through a trained bundle's
policy (teacher-forced: the recorded action is reported as executed, so every N sees the same
windows) and times `select_action` per control step, the VAE encoding included; then it plans the
first chunk of each episode under several noise seeds and reports the spread of the chunk's end
(std over seeds of the last action, in the policy's action units, mean over dimensions and episodes):
the sampling noise that averaging is meant to cut. Ratios are against N = 1 from the same run.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/chunk_samples.py --checkpoint RUN/checkpoints/step-005000 \
        --episodes data/learning/medium-heldout/dataset.zarr --samples 1,2,4,8
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from aim_core.data.episodes import complete_episodes, open_dataset
from aim_core.data.window_dataset import episode_action_rows
from aim_core.inference.policy import AIMPolicy, PolicyConfig
from data_schemas.observation import Observation


def observations(episode, steps: int, action_space: str) -> list[tuple[Observation, np.ndarray]]:
    """The first `steps` (observation, recorded action in `action_space`) pairs of a recorded episode."""
    n = min(steps, episode.attrs.num_steps)
    return list(zip(episode.observations(slice(0, n)), episode_action_rows(episode, action_space)[0][:n].numpy()))


def replay_seconds_per_step(policy: AIMPolicy, episodes: list[list[tuple[Observation, np.ndarray]]]) -> float:
    steps, clock = 0, time.perf_counter()
    for episode in episodes:
        policy.reset()
        for obs, action in episode:
            policy.select_action(obs)
            policy.observe_executed(action)
            steps += 1
    return (time.perf_counter() - clock) / steps


def first_chunk_spread(bundle: str, n: int, episodes: list[list[tuple[Observation, np.ndarray]]], seeds: int) -> float:
    spreads = []
    for episode in episodes:
        ends = []
        for seed in range(seeds):
            policy = AIMPolicy.from_pretrained(bundle, PolicyConfig(chunk_samples=n, seed=seed))
            first = policy.select_action(episode[0][0])
            queued = policy.queued_actions()
            ends.append(queued[-1] if len(queued) else first)
        spreads.append(np.std(np.stack(ends), axis=0).mean())
    return float(np.mean(spreads))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", required=True, help="a policy bundle (aim-train's <run>/checkpoints/step-N)")
    p.add_argument("--episodes", required=True, help="a recorded dataset (Zarr) whose observations are replayed")
    p.add_argument("--count", type=int, default=2, help="episodes replayed")
    p.add_argument("--steps", type=int, default=48, help="control steps replayed per episode")
    p.add_argument("--samples", default="1,2,4,8", help="chunk_samples values, comma-separated (1 first)")
    p.add_argument("--seeds", type=int, default=6, help="noise seeds for the first-chunk spread")
    p.add_argument("--json", help="also write the figures to this file")
    args = p.parse_args()
    samples = [int(s) for s in args.samples.split(",")]
    if samples[0] != 1 or any(s < 1 for s in samples):
        p.error("--samples must start with 1 (the reference of the ratios) and hold values >= 1")
    torch.set_num_threads(1)
    recorded = complete_episodes(open_dataset(args.episodes))[:args.count]
    if not recorded:
        p.error(f"no complete episodes in {args.episodes}")
    rows, episodes = [], None
    for n in samples:
        policy = AIMPolicy.from_pretrained(args.checkpoint, PolicyConfig(chunk_samples=n))
        episodes = episodes or [observations(e, args.steps, policy.action_space) for e in recorded]
        rows.append({"chunk_samples": n, "s_per_step": replay_seconds_per_step(policy, episodes),
                     "first_chunk_end_std": first_chunk_spread(args.checkpoint, n, episodes, args.seeds)})
    base = rows[0]
    print("| chunk_samples | s / control step | x N=1 | first-chunk end, std over seeds | x N=1 |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['chunk_samples']} | {r['s_per_step']:.3f} | {r['s_per_step'] / base['s_per_step']:.2f} "
              f"| {r['first_chunk_end_std']:.4f} | {r['first_chunk_end_std'] / base['first_chunk_end_std']:.2f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"checkpoint": args.checkpoint, "episodes": args.episodes, "steps": args.steps, "rows": rows}, f,
                      indent=1)


if __name__ == "__main__":
    main()
