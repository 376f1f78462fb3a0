"""Does an action stream use the future RGB its mask lets it see? Blocking it, and where its attention goes.

    .venv/bin/python benchmarks/future_rgb_probe.py --bundle RUN/checkpoints/step-N \
        --dataset DATA/medium-heldout/dataset.zarr --cache OUT/heldout_cache [--windows 24]

The `unified` ablation differs from `aim` in one rule only: its action tokens may also attend to the future RGB
being denoised (`aim_core.models.intent_mask`). On held-out windows with a full history, for one bundle:

  - blocking: the chunk sampled by the bundle as trained and by the same weights under the other variant's mask
    (unified <-> aim; same initial noise), their distance as a share of the chunk's own sampling spread (the
    distance between two chunks drawn with different noise). Near 0: the future RGB the mask adds or removes
    barely moves the actions; near 1 or above: as much as a new noise draw or more.
  - attention: over every layer, head and denoising step, the share of the action queries' attention weight on
    each key role (current observation, past actions, future RGB, future value map, the action chunk itself).

Why: at batch 8 on click_bell `unified` succeeded on 21/30 held-out seeds and `aim` on 17/30 (RESULTS, Learning,
twenty-second session); whether the ablation's extra route is used at all says how to read that.
"""
from __future__ import annotations

import argparse
import json
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from pathlib import Path
from unittest import mock

import numpy as np
import torch

from aim_core.data import LatentWindowDataset, collate_windows
from aim_core.inference.policy import AIMPolicy
from aim_core.inference.rollout import ChunkSampler, SamplingConfig
from aim_core.models import mot_block
from aim_core.models.aim_model import AIMModel
from aim_core.models.batch import AIMBatch
from aim_core.models.intent_mask import Role, TokenMeta, current_obs_step
from aim_core.models.shared_attention import AttentionMask

KEY_ROLES = ("current obs", "past obs", "past actions", "future RGB", "future value", "action chunk")


def other_mask(model: AIMModel) -> AIMModel:
    """The same weights under the other variant's attention rule (aim <-> unified; both have a value stream)."""
    if not model.config.has_value_stream:
        raise ValueError("the probe compares aim and unified: a no-value bundle has no intent-causal counterpart")
    swapped = AIMModel(replace(model.config, variant="unified" if model.config.variant == "aim" else "aim"))
    swapped.load_state_dict(model.state_dict())
    return swapped.eval()


def key_role_names(keys: TokenMeta) -> np.ndarray:
    """Each key's row in KEY_ROLES (observations split into the current frame and the past ones)."""
    role, step, current = keys.role.numpy(), keys.step.numpy(), current_obs_step(keys)
    names = {Role.PAST_ACTION: 2, Role.RGB: 3, Role.VALUE: 4, Role.ACTION: 5}
    return np.array([(0 if s == current else 1) if r == Role.OBS else names[Role(r)] for r, s in zip(role, step)])


@contextmanager
def action_attention(shares: list[np.ndarray]):
    """While active, every attention call of an AIM model appends the action queries' attention share per key role.

    The roles come from the mask's own layout (`AttentionMask.build` receives the query and key metadata), read
    once per layout, not per layer."""
    build, attend = AttentionMask.build, mot_block.shared_attention
    layouts: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # id(mask) -> (action query rows, key role rows)

    def build_recording(queries, keys, mode, device, backend):
        mask = build(queries, keys, mode, device, backend)
        layouts[id(mask)] = ((queries.role == Role.ACTION).numpy(), key_role_names(keys))
        return mask

    def attend_recording(q, k, v, mask):
        action, roles = layouts[id(mask)]
        if action.any() and mask.dense is not None:
            scores = torch.einsum("bqhd,bkhd->bhqk", q[:, action].float(), k.float()) / q.shape[-1] ** 0.5
            weights = scores.masked_fill(~mask.dense[action][None, None], float("-inf")).softmax(-1)
            per_key = weights.mean(dim=(0, 1, 2)).numpy()
            shares.append(np.array([per_key[roles == i].sum() for i in range(len(KEY_ROLES))]))
        return attend(q, k, v, mask)

    with mock.patch.object(AttentionMask, "build", build_recording), \
            mock.patch.object(mot_block, "shared_attention", attend_recording):
        yield


@torch.no_grad()
def probe(policy: AIMPolicy, dataset: Path, cache: Path, windows: int = 24, sampling_steps: int = 8) -> dict | None:
    """The figures above for one loaded bundle; None for a no-value bundle (no intent-causal counterpart to swap
    to)."""
    model, schedule = policy.model, policy.schedule
    if not model.config.has_value_stream:
        return None
    swapped = other_mask(model)
    data = LatentWindowDataset.as_seen_by(policy, dataset, cache)
    picks = data.spread_windows(windows)
    samplers = {name: ChunkSampler(m, schedule, SamplingConfig(num_steps=sampling_steps, seed=seed))
                for name, m, seed in (("own", model, 0), ("redrawn", model, 1), ("swapped", swapped, 0))}
    blocking, spread, shares = [], [], []
    for index in picks:
        batch = AIMBatch.coerce(collate_windows([data[index]]))
        chunks = {}
        for name, sampler in samplers.items():
            sampler.reset()
            recording = action_attention(shares) if name == "own" else nullcontext()
            with recording:
                chunks[name] = sampler.sample(batch.text_embeds, batch.obs_latents, batch.past_actions,
                                              **batch.prior_inputs).actions[0]
        blocking.append(float((chunks["swapped"] - chunks["own"]).norm()))
        spread.append(float((chunks["redrawn"] - chunks["own"]).norm()))
    attention = np.mean(shares, axis=0)
    return {"variant": model.config.variant, "windows": len(picks),
            "swap_mask_over_redraw": round(float(np.median(np.array(blocking) / np.array(spread))), 3),
            "swap_mask_distance": round(float(np.median(blocking)), 4),
            "redraw_distance": round(float(np.median(spread)), 4),
            "action_attention": {name: round(float(x), 4) for name, x in zip(KEY_ROLES, attention)}}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bundle", type=Path, required=True)
    p.add_argument("--dataset", type=Path, required=True, help="recorded episodes (held-out) with their value maps")
    p.add_argument("--cache", type=Path, required=True, help="the dataset's latent cache (learning.py's heldout_cache)")
    p.add_argument("--windows", type=int, default=24)
    p.add_argument("--sampling-steps", type=int, default=8)
    args = p.parse_args()
    print(json.dumps(probe(AIMPolicy.from_pretrained(args.bundle), args.dataset, args.cache, args.windows,
                           args.sampling_steps), indent=1))


if __name__ == "__main__":
    main()
