"""Open-loop tracking: a trained bundle's sampled chunks against the demonstration, along whole training episodes.

    .venv/bin/python benchmarks/open_loop.py --bundle RUN/checkpoints/step-N --dataset DATA/dataset.zarr \
        --cache OUT/latent_cache [--episodes 4] [--samples 1] [--sampling-steps 8] [--parts 2]

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
`--parts N` also reports the figures per N equal parts of each episode (by window anchor): stack_blocks_two's second
half (the green cube) tracked as well as its first, so its closed-loop miss was compounding error (RESULTS,
twenty-eighth session).
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
                       sampling_steps: int = 8, parts: int = 1) -> dict:
    """The module docstring's figures over `episodes` training episodes spread over the store; each chunk the mean
    of `samples` sampled chunks (as `PolicyConfig.chunk_samples` acts); with `parts` > 1 also under "parts", the
    figures of the windows in each of that many equal parts of their episodes, in order."""
    if parts < 1:
        raise ValueError(f"parts must be >= 1, got {parts}")
    policy = AIMPolicy.from_pretrained(bundle)
    model, schedule = policy.model, NoiseSchedule.load(bundle)
    windows = LatentWindowDataset.as_seen_by(policy, dataset, cache)
    full = model.config.layout.history_frames
    count = min(episodes, len(windows.episodes))
    chosen = set(np.linspace(0, len(windows.episodes) - 1, num=count).round().astype(int).tolist())
    sampler = ChunkSampler(model, schedule, SamplingConfig(num_steps=sampling_steps, seed=0))
    last_anchor = {}
    for e, anchor, _ in windows.table:
        last_anchor[e] = max(anchor, last_anchor.get(e, 0))
    figures = [Figures() for _ in range(parts)]
    for i, (e, anchor, history) in enumerate(windows.table):
        if e not in chosen or history != full:
            continue
        part = figures[min(parts - 1, anchor * parts // (last_anchor[e] + 1))]
        window = windows[i]
        batch = AIMBatch.coerce(collate_windows([window]))
        targets = torch.stack([sampler.sample(batch.text_embeds, batch.obs_latents, batch.past_actions,
                                              **batch.prior_inputs).actions[0]
                               for _ in range(samples)]).mean(0)
        reference = windows.reference(i)  # relative targets compared as the commands they are, in absolute units
        chunk = policy.codec.targets_as_actions(targets, reference)[:, ARM_JOINTS]
        demo = policy.codec.targets_as_actions(window["actions"], reference)[:, ARM_JOINTS]
        here = window["past_actions"][-1, ARM_JOINTS]
        part.add(chunk, demo, here)
    total = Figures()
    for part in figures:
        total.merge(part)
    return {"episodes": sorted(chosen), **total.summary(), "samples": samples, "sampling_steps": sampling_steps,
            **({"parts": [part.summary() for part in figures]} if parts > 1 else {})}


class Figures:
    """The tracking figures of a set of windows (the module docstring's), gathered window by window."""

    def __init__(self):
        self.cosine, self.ratio, self.drift, self.jitter = [], [], [], []

    def add(self, chunk: torch.Tensor, demo: torch.Tensor, here: torch.Tensor) -> None:
        """One window: its chunk and the demonstration's [T, arm joints], from the last past action `here`."""
        demo_net, chunk_net = demo[-1] - here, chunk[-1] - here
        if demo_net.norm() >= STILL:
            self.cosine.append(float(demo_net @ chunk_net / (demo_net.norm() * chunk_net.norm() + 1e-9)))
            self.ratio.append(float(chunk_net.norm() / demo_net.norm()))
        else:
            self.drift.append(float(chunk_net.norm()))
        demo_step = float((demo[1:] - demo[:-1]).abs().mean())
        if demo_step > 0:
            self.jitter.append(float((chunk[1:] - chunk[:-1]).abs().mean()) / demo_step)

    def merge(self, other: "Figures") -> None:
        for mine, theirs in zip((self.cosine, self.ratio, self.drift, self.jitter),
                                (other.cosine, other.ratio, other.drift, other.jitter)):
            mine.extend(theirs)

    def summary(self) -> dict:
        def median(xs: list[float]) -> float | None:
            return round(float(np.median(xs)), 3) if xs else None

        return {"moving_windows": len(self.cosine), "still_windows": len(self.drift), "cosine": median(self.cosine),
                "length_ratio": median(self.ratio), "still_drift": median(self.drift),
                "jitter_ratio": median(self.jitter)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bundle", type=Path, required=True)
    p.add_argument("--dataset", type=Path, required=True)
    p.add_argument("--cache", type=Path, required=True, help="the run's latent cache (OUT/latent_cache)")
    p.add_argument("--episodes", type=int, default=4)
    p.add_argument("--samples", type=int, default=1, help="sampled chunks averaged per window")
    p.add_argument("--sampling-steps", type=int, default=8)
    p.add_argument("--parts", type=int, default=1,
                   help="also report the figures per this many equal parts of each episode (2: halves)")
    args = p.parse_args()
    if args.parts < 1:
        p.error(f"--parts must be >= 1, got {args.parts}")
    torch.set_num_threads(1)
    print(json.dumps(open_loop_tracking(args.bundle, args.dataset, args.cache, args.episodes, args.samples,
                                        args.sampling_steps, args.parts)))


if __name__ == "__main__":
    main()
