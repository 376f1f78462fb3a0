"""Rectified-flow training objective of AIM: L = L_rgb + lambda_m L_map + lambda_a L_act.

x_s = (1 - s) x_0 + s eps and the model regresses the velocity eps - x_0 (Wan's convention; the model
receives s * num_train_timesteps). Future RGB and value latents share one noise level s (one
trajectory); actions draw their own. Timestep sampling (uniform or logit-normal) and the shift
s' = k s / (1 + (k - 1) s) are configurable. The shift function is shared with the Euler sampler.

At inference the action stream reads a fully denoised world (s = 0), which the sampled noise levels
almost never produce; ``clean_world_prob`` gives that share of samples a clean world (s = 0) so the
action stream learns to read it. Those samples carry no RGB/map loss (nothing to denoise).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from aim_core.models.batch import AIMBatch


@dataclass(frozen=True)
class FlowMatchingConfig:
    timestep_sampling: Literal["logit_normal", "uniform"] = "logit_normal"
    logit_mean: float = 0.0
    logit_std: float = 1.0
    shift: float = 1.0          # video/value noise-level shift
    action_shift: float = 1.0   # action noise-level shift
    lambda_map: float = 1.0
    lambda_act: float = 1.0
    clean_world_prob: float = 0.1

    def __post_init__(self) -> None:
        if not 0.0 <= self.clean_world_prob <= 1.0:
            raise ValueError(f"clean_world_prob must be in [0, 1], got {self.clean_world_prob}")
        if self.timestep_sampling not in ("logit_normal", "uniform"):
            raise ValueError(f"timestep_sampling must be 'logit_normal' or 'uniform', got {self.timestep_sampling!r}")
        if self.shift <= 0 or self.action_shift <= 0 or self.logit_std <= 0:
            raise ValueError("shift, action_shift and logit_std must be > 0")


def shift_sigmas(sigmas: torch.Tensor, shift: float) -> torch.Tensor:
    """Move noise levels towards 1 (shift > 1) as for high-resolution video: k s / (1 + (k - 1) s)."""
    return shift * sigmas / (1 + (shift - 1) * sigmas)


def sample_sigmas(n: int, cfg: FlowMatchingConfig, shift: float, device, generator: torch.Generator | None = None
                  ) -> torch.Tensor:
    if cfg.timestep_sampling == "uniform":
        u = torch.rand(n, generator=generator, device=device)
    else:
        u = torch.sigmoid(cfg.logit_mean + cfg.logit_std * torch.randn(n, generator=generator, device=device))
    return shift_sigmas(u, shift)


def _noised(x0: torch.Tensor, sigma: torch.Tensor, generator: torch.Generator | None
            ) -> tuple[torch.Tensor, torch.Tensor]:
    noise = torch.randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
    s = sigma.view(-1, *([1] * (x0.ndim - 1))).to(x0.dtype)
    return (1 - s) * x0 + s * noise, noise - x0


def _weighted_mse(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    per_sample = (pred.float() - target.float()).square().flatten(1).mean(dim=1)
    return (per_sample * weight).sum() / weight.sum().clamp_min(1.0)


def flow_matching_loss(model: nn.Module, batch: AIMBatch | Mapping[str, torch.Tensor], cfg: FlowMatchingConfig,
                       generator: torch.Generator | None = None) -> tuple[torch.Tensor, dict[str, float]]:
    """One training loss; ``model`` may be wrapped (DDP ``.module``). Returns (loss, detached terms)."""
    config = getattr(model, "module", model).config
    batch = AIMBatch.coerce(batch)
    batch.validate(config)
    b, device = batch.rgb_latents.shape[0], batch.rgb_latents.device
    sigma_x = sample_sigmas(b, cfg, cfg.shift, device, generator)
    sigma_a = sample_sigmas(b, cfg, cfg.action_shift, device, generator)
    clean_world = torch.rand(b, generator=generator, device=device) < cfg.clean_world_prob
    sigma_x = torch.where(clean_world, torch.zeros_like(sigma_x), sigma_x)
    world_weight = (~clean_world).float()
    rgb_in, rgb_target = _noised(batch.rgb_latents, sigma_x, generator)
    act_in, act_target = _noised(batch.actions, sigma_a, generator)
    value_in = value_target = None
    if config.has_value_stream:
        value_in, value_target = _noised(batch.value_latents, sigma_x, generator)
    scale = config.num_train_timesteps
    out = model(obs_latents=batch.obs_latents, past_actions=batch.past_actions, rgb_latents=rgb_in,
                value_latents=value_in, actions=act_in, text_embeds=batch.text_embeds,
                t_video=sigma_x * scale, t_action=sigma_a * scale)
    terms = {"rgb": _weighted_mse(out.rgb, rgb_target, world_weight),
             "act": F.mse_loss(out.action.float(), act_target.float())}
    loss = terms["rgb"] + cfg.lambda_act * terms["act"]
    if value_target is not None:
        terms["map"] = _weighted_mse(out.value, value_target, world_weight)
        loss = loss + cfg.lambda_map * terms["map"]
    return loss, {k: float(v.detach()) for k, v in terms.items()}
