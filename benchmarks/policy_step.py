"""What a closed-loop control step costs, and how much the plan jumps where one chunk ends, per policy setting.

One process replays the observations of recorded episodes through a trained bundle's policy (teacher-forced, as
`chunk_samples.py` does, so every setting sees the same windows) under each setting in turn, and reports:

- seconds per `select_action` (VAE encoding, sampling and, with `temporal_ensemble`, the blend included);
- the mean change of the commanded action from one step to the next (mean |a_t - a_t-1| over dimensions, in the
  policy's action units) at the steps where a new chunk starts and at the others: a policy that executes each chunk
  whole jumps at its boundary (the sawtooth of RESULTS, thirty-eighth session), an ensembled one should not.

Settings: `pytorch` (whole chunks, the VAE's batch-1 3D convolutions left to PyTorch, i.e. its slow kernel),
`onednn` (whole chunks, `aim_core.models.onednn_conv`: what a policy runs), `ensemble` (onednn with
`PolicyConfig.temporal_ensemble`, chunks planned every latent frame). Ratios are against the first setting.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/policy_step.py --checkpoint RUN/checkpoints/step-005000 \
        --episodes data/medium-heldout/dataset.zarr --settings pytorch,onednn,ensemble
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from aim_core.data.episodes import complete_episodes, open_dataset
from aim_core.inference.policy import AIMPolicy, PolicyConfig
from chunk_samples import observations

SETTINGS = ("pytorch", "onednn", "ensemble")


def replay(policy: AIMPolicy, episodes: list) -> tuple[float, float, float]:
    """Seconds per step, mean step-to-step change at chunk starts and elsewhere."""
    at_plan, elsewhere, steps, clock = [], [], 0, time.perf_counter()
    for episode in episodes:
        policy.reset()
        last = None
        for t, (obs, action) in enumerate(episode):
            command = policy.select_action(obs)
            policy.observe_executed(action)
            steps += 1
            if last is not None:  # a chunk is planned every execute_actions steps, from step 0
                starts = t % policy.execute_actions == 0
                (at_plan if starts else elsewhere).append(float(np.abs(command - last).mean()))
            last = command
    return (time.perf_counter() - clock) / steps, float(np.mean(at_plan)), float(np.mean(elsewhere))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", required=True, help="a policy bundle (aim-train's <run>/checkpoints/step-N)")
    p.add_argument("--episodes", required=True, help="recorded episodes (Zarr) whose observations are replayed")
    p.add_argument("--count", type=int, default=2, help="episodes replayed")
    p.add_argument("--steps", type=int, default=64, help="control steps replayed per episode")
    p.add_argument("--settings", default=",".join(SETTINGS), help=f"comma-separated, of {', '.join(SETTINGS)}")
    p.add_argument("--ensemble", type=float, default=0.01, help="the ensemble setting's coefficient (ACT's 0.01)")
    p.add_argument("--json", help="also write the figures to this file")
    args = p.parse_args()
    settings = args.settings.split(",")
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise SystemExit(f"policy_step.py: unknown settings {unknown}; choose from {', '.join(SETTINGS)}")
    torch.set_num_threads(1)
    policies = {s: AIMPolicy.from_pretrained(args.checkpoint, PolicyConfig(
        temporal_ensemble=args.ensemble if s == "ensemble" else None)) for s in settings}
    recorded = complete_episodes(open_dataset(args.episodes))[:args.count]
    action_space = next(iter(policies.values())).action_space
    episodes = [observations(e, args.steps, action_space) for e in recorded]
    rows = []
    for setting, policy in policies.items():
        with torch.backends.mkldnn.flags(enabled=setting != "pytorch"):
            seconds, at_plan, elsewhere = replay(policy, episodes)
        rows.append({"setting": setting, "s_per_step": seconds, "change_at_chunk_start": at_plan,
                     "change_elsewhere": elsewhere})
    base = rows[0]["s_per_step"]
    print(f"{len(episodes)} episodes x {args.steps} steps of {args.episodes}, bundle {args.checkpoint}")
    print("| setting | s / control step | x first | mean step-to-step change: at a chunk start | elsewhere |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['setting']} | {r['s_per_step']:.3f} | {r['s_per_step'] / base:.2f} | "
              f"{r['change_at_chunk_start']:.4f} | {r['change_elsewhere']:.4f} |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
