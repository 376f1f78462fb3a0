"""Validation images: predicted future frames and value maps beside the ground truth.

A few fixed training windows are sampled by the inference `ChunkSampler` from their real history;
each future latent frame is decoded on its own by the run's VAE. One image per validation:
per window, rows = ground-truth RGB, predicted RGB, ground-truth value map, predicted value map
(value rows are absent for the no-value ablation, which has no value stream), columns =
future frames.
"""
from __future__ import annotations

import numpy as np
import torch

from aim_core.inference.rollout import ChunkSampler, SamplingConfig
from aim_core.models.aim_model import AIMModel
from aim_core.models.schedule import NoiseSchedule
from aim_core.models.vae import VideoVAE

VALIDATION_WINDOWS = 2
VALIDATION_SAMPLING_STEPS = 8
SEPARATOR_PX = 4


def decode_frames(vae: VideoVAE, latents: torch.Tensor, stream: str = "rgb") -> np.ndarray:
    """[B, C, F, h, w] latents of `stream` -> uint8 [B, F, H, W, 3], each latent frame decoded as a single image."""
    frames = [vae.decode(latents[:, :, j:j + 1].float().to(vae.device), stream=stream)[:, 0]
              for j in range(latents.shape[2])]
    return torch.stack(frames, dim=1).cpu().numpy()


def _grid(rows: list[np.ndarray]) -> np.ndarray:
    """rows of [F, H, W, 3] -> one image, frames side by side, rows stacked."""
    return np.concatenate([np.concatenate(list(r), axis=1) for r in rows], axis=0)


@torch.no_grad()
def validation_image(model: AIMModel, schedule: NoiseSchedule, data, step: int) -> np.ndarray:
    """uint8 [H, W, 3] comparison image of the model's rollout on fixed windows (same noise every time)."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    batch = data.batch(data.validation_indices(VALIDATION_WINDOWS), device)
    sampler = ChunkSampler(model, schedule, SamplingConfig(num_steps=VALIDATION_SAMPLING_STEPS, seed=0))
    chunk = sampler.sample(batch.text_embeds, batch.obs_latents, batch.past_actions, **batch.prior_inputs)
    model.train(was_training)
    rows = [decode_frames(data.vae, batch.rgb_latents), decode_frames(data.vae, chunk.rgb_latents)]
    if chunk.value_latents is not None:
        rows += [decode_frames(data.vae, batch.value_latents, "value"),
                 decode_frames(data.vae, chunk.value_latents, "value")]
    panels = []
    for b in range(batch.rgb_latents.shape[0]):
        panel = _grid([r[b] for r in rows])
        panels += [panel, np.zeros((SEPARATOR_PX, panel.shape[1], 3), np.uint8)]
    return np.concatenate(panels[:-1], axis=0)
