"""Open-loop tracking: a trained bundle's sampled chunks against the demonstration, along whole training episodes.

    .venv/bin/python benchmarks/open_loop.py --bundle RUN/checkpoints/step-N --dataset DATA/dataset.zarr \
        --cache OUT/latent_cache [--episodes 4] [--samples 1] [--sampling-steps 8]

At every window with a full history (the recorded frames and past actions: teacher forcing, no closed loop) the
chunk is sampled as the policy samples it and set beside the demonstration's next actions, on the arm joints, in
the action codec's normalised units ([-1, 1] over the dataset's range; a codec with relative targets has its chunks
converted to those units first, so both kinds of bundle compare). Reported (medians over windows):
  - moving windows (the demonstration's chunk ends >= 0.05 from the last past action): the cosine between the
    chunk's and the demonstration's net displacement, and the ratio of their lengths;
  - still windows (< 0.05: e.g. while the gripper closes on the object): how far the chunk drifts;
  - jitter: mean |a[t+1] - a[t]| of the chunk over the demonstration's.
Why: place_shoe's closed loop fails on its own training seeds with a low action loss (RESULTS, eighteenth session).
A policy that fits its demonstrations tracks them here (cosine near 1, ratio near 1, little drift, jitter near 1);
one that does not fails closed loop for that reason alone, before any compounding error.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from aim_core.data import LatentWindowDataset, collate_windows
from aim_core.inference.policy import AIMPolicy
from aim_core.inference.rollout import ChunkSampler, SamplingConfig
from aim_core.models.batch import AIMBatch
from aim_core.models.schedule import NoiseSchedule
from data_schemas import ARM_JOINT_DIMS

STILL = 0.05
"""Net displacement (normalised units) under which a demonstration's chunk counts as holding still."""
ARM_JOINTS = list(ARM_JOINT_DIMS)


@torch.no_grad()
def open_loop_tracking(bundle: Path, dataset: Path, cache: Path, episodes: int = 4, samples: int = 1,
                       sampling_steps: int = 8) -> dict:
    """The module docstring's figures over `episodes` training episodes spread over the store; each chunk the mean
    of `samples` sampled chunks (as `PolicyConfig.chunk_samples` acts)."""
    policy = AIMPolicy.from_pretrained(bundle)
    model, schedule = policy.model, NoiseSchedule.load(bundle)
    windows = LatentWindowDataset.as_seen_by(policy, dataset, cache)
    full = model.config.layout.history_frames
    count = min(episodes, len(windows.episodes))
    chosen = set(np.linspace(0, len(windows.episodes) - 1, num=count).round().astype(int).tolist())
    sampler = ChunkSampler(model, schedule, SamplingConfig(num_steps=sampling_steps, seed=0))
    cosine, ratio, drift, jitter = [], [], [], []
    for i, (e, _, history) in enumerate(windows.table):
        if e not in chosen or history != full:
            continue
        window = windows[i]
        batch = AIMBatch.coerce(collate_windows([window]))
        targets = torch.stack([sampler.sample(batch.text_embeds, batch.obs_latents, batch.past_actions,
                                              head_view=batch.head_view).actions[0]
                               for _ in range(samples)]).mean(0)
        reference = windows.reference(i)  # relative targets compared as the commands they are, in absolute units
        chunk = policy.codec.targets_as_actions(targets, reference)[:, ARM_JOINTS]
        demo = policy.codec.targets_as_actions(window["actions"], reference)[:, ARM_JOINTS]
        here = window["past_actions"][-1, ARM_JOINTS]
        demo_net, chunk_net = demo[-1] - here, chunk[-1] - here
        if demo_net.norm() >= STILL:
            cosine.append(float(demo_net @ chunk_net / (demo_net.norm() * chunk_net.norm() + 1e-9)))
            ratio.append(float(chunk_net.norm() / demo_net.norm()))
        else:
            drift.append(float(chunk_net.norm()))
        demo_step = float((demo[1:] - demo[:-1]).abs().mean())
        if demo_step > 0:
            jitter.append(float((chunk[1:] - chunk[:-1]).abs().mean()) / demo_step)
    median = lambda xs: round(float(np.median(xs)), 3) if xs else None  # noqa: E731
    return {"episodes": sorted(chosen), "moving_windows": len(cosine), "still_windows": len(drift),
            "cosine": median(cosine), "length_ratio": median(ratio), "still_drift": median(drift),
            "jitter_ratio": median(jitter), "samples": samples, "sampling_steps": sampling_steps}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bundle", type=Path, required=True)
    p.add_argument("--dataset", type=Path, required=True)
    p.add_argument("--cache", type=Path, required=True, help="the run's latent cache (OUT/latent_cache)")
    p.add_argument("--episodes", type=int, default=4)
    p.add_argument("--samples", type=int, default=1, help="sampled chunks averaged per window")
    p.add_argument("--sampling-steps", type=int, default=8)
    args = p.parse_args()
    torch.set_num_threads(1)
    print(json.dumps(open_loop_tracking(args.bundle, args.dataset, args.cache, args.episodes, args.samples,
                                        args.sampling_steps)))


if __name__ == "__main__":
    main()
