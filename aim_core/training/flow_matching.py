"""Rectified-flow training objective of AIM: L = L_rgb + lambda_m L_map + lambda_a L_act.

x_s = (1 - s) x_0 + s eps and the model regresses the velocity eps - x_0 (Wan's convention; the model
receives the timestep ``schedule.timesteps(s)``). Noise levels are drawn uniform or logit-normal, then
shifted by the model's :class:`~aim_core.models.schedule.NoiseSchedule`, the same object the sampler
integrates over, so training and sampling see one distribution of noise levels.

The three future streams are denoised jointly along one trajectory, as the paper says ("the three
future token streams all start with noise and then gradually denoise"): every sample draws ONE noise
level s shared by its future RGB, value-map and action tokens, and the sampler moves world and actions
together step by step over the same levels. So the action stream is trained on exactly the world
states it reads at inference (a world as noisy as its own actions), with no separate action schedule
and no clean-world special case.

``plan_from_noise`` puts a share of every batch at s = 1, the state of the first sampling step: all
future streams pure noise, so only the observation, the action history and the instruction can say
what comes. Why: below s = 1 the noisy future streams (and the noisy actions themselves) already show
most of the answer, so a model can reach a low loss without ever reading the scene and then leaves
the decision that matters most (which arm, where) to the initial noise (benchmarks/RESULTS.md, Learning).

A model with an action prior (``AIMConfig.action_prior_keypoints``) regresses the clean chunk from the
current frame and the last executed action (term ``prior``, weight ``lambda_prior``), and its action stream
denoises the residual chunk - prior (the prior detached there), which the sampler adds back.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from aim_core.models.batch import AIMBatch
from aim_core.models.schedule import NoiseSchedule


@dataclass(frozen=True)
class FlowMatchingConfig:
    timestep_sampling: Literal["logit_normal", "uniform"] = "logit_normal"
    logit_mean: float = 0.0
    logit_std: float = 1.0
    lambda_map: float = 1.0
    lambda_act: float = 1.0
    plan_from_noise: float = 0.0
    """Share of each batch trained at s = 1 for every future stream (whole samples, exact on average)."""
    lambda_prior: float = 1.0
    """Weight of the action prior's regression onto the clean chunk (models with an action prior only)."""
    lambda_locate: float = 0.03
    """Weight of the action prior's object positions against the recorded ones (models whose prior locates
    objects, `AIMConfig.action_prior_objects`; decimetres). Small because the locator's gradient would otherwise
    set the global norm that clipping (`OptimConfig.grad_clip`) divides every gradient by: at weight 1 on
    stack_blocks_two the norm was 16-28 where the run without it had 1-2, so every other term learned 10-20x
    slower (the prior's loss 0.11-0.12 at steps 1200-1600 vs 0.046); the locator, trained by this term alone, is
    barely slowed (Adam scales its steps per parameter). Twenty-seventh session, benchmarks/RESULTS.md."""
    history_noise: float = 0.0
    """Largest std of the Gaussian noise added to each sample's past actions (normalised units); each sample
    draws its own std uniform in [0, history_noise], so clean histories (as at inference) stay in the mix."""

    def __post_init__(self) -> None:
        if self.timestep_sampling not in ("logit_normal", "uniform"):
            raise ValueError(f"timestep_sampling must be 'logit_normal' or 'uniform', got {self.timestep_sampling!r}")
        if self.logit_std <= 0:
            raise ValueError(f"logit_std must be > 0, got {self.logit_std}")
        if not 0.0 <= self.plan_from_noise <= 1.0:
            raise ValueError(f"plan_from_noise must be in [0, 1], got {self.plan_from_noise}")
        if self.history_noise < 0:
            raise ValueError(f"history_noise must be >= 0, got {self.history_noise}")


def sample_sigmas(n: int, cfg: FlowMatchingConfig, schedule: NoiseSchedule, device,
                  generator: torch.Generator | None = None) -> torch.Tensor:
    """n training noise levels: uniform or logit-normal in (0, 1), shifted by the model's schedule; the last
    n * plan_from_noise of them are 1 (pure noise), the fraction rounded up with its own probability, so the
    share is exact on average at any batch size (round() gave batch 2 at 0.25 no planned sample at all)."""
    if cfg.timestep_sampling == "uniform":
        u = torch.rand(n, generator=generator, device=device)
    else:
        u = torch.sigmoid(cfg.logit_mean + cfg.logit_std * torch.randn(n, generator=generator, device=device))
    sigma = schedule.shift_sigmas(u)
    expected = n * cfg.plan_from_noise
    planned = math.floor(expected)
    if expected > planned and torch.rand((), generator=generator, device=device) < expected - planned:
        planned += 1
    if planned:
        sigma[n - planned:] = 1.0
    return sigma


def _noised(x0: torch.Tensor, sigma: torch.Tensor, generator: torch.Generator | None
            ) -> tuple[torch.Tensor, torch.Tensor]:
    noise = torch.randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
    s = sigma.view(-1, *([1] * (x0.ndim - 1))).to(x0.dtype)
    return (1 - s) * x0 + s * noise, noise - x0


def _perturbed_history(past_actions: torch.Tensor | None, history_noise: float,
                       generator: torch.Generator | None) -> torch.Tensor | None:
    """The past actions with per-sample Gaussian noise (std uniform in [0, history_noise]). Why: a policy that
    reads its action history copies it (behaviour cloning's causal confusion), and in closed loop that history is
    its own, a little off the demonstrations'; a noisy history makes the images say where the arm is."""
    if past_actions is None or not history_noise or past_actions.shape[1] == 0:
        return past_actions
    b = past_actions.shape[0]
    std = history_noise * torch.rand(b, generator=generator, device=past_actions.device)
    noise = torch.randn(past_actions.shape, generator=generator, device=past_actions.device)
    return past_actions + (std.view(b, 1, 1) * noise).to(past_actions.dtype)


def flow_matching_loss(model: nn.Module, batch: AIMBatch | Mapping[str, torch.Tensor], cfg: FlowMatchingConfig,
                       schedule: NoiseSchedule, generator: torch.Generator | None = None
                       ) -> tuple[torch.Tensor, dict[str, float]]:
    """One training loss of `model` (an `AIMModel`, FSDP2-sharded or not). Returns (loss, detached terms)."""
    config = model.config
    batch = AIMBatch.coerce(batch)
    batch.validate(config)
    b, device = batch.rgb_latents.shape[0], batch.rgb_latents.device
    sigma = sample_sigmas(b, cfg, schedule, device, generator)
    rgb_in, rgb_target = _noised(batch.rgb_latents, sigma, generator)
    past_actions = _perturbed_history(batch.past_actions, cfg.history_noise, generator)
    reading = (model(obs_latents=batch.obs_latents, past_actions=past_actions, only_action_prior=True,
                     **batch.prior_inputs)
               if config.action_prior_keypoints else None)
    prior = reading.action_prior if reading is not None else None  # the stream denoises chunk - prior
    act_in, act_target = _noised(batch.actions if prior is None else batch.actions - prior.detach(), sigma, generator)
    value_in = value_target = None
    if config.has_value_stream:
        value_in, value_target = _noised(batch.value_latents, sigma, generator)
    t = schedule.timesteps(sigma)
    out = model(obs_latents=batch.obs_latents, past_actions=past_actions, rgb_latents=rgb_in,
                value_latents=value_in, actions=act_in, text_embeds=batch.text_embeds, t_video=t, t_action=t)
    terms = {"rgb": F.mse_loss(out.rgb.float(), rgb_target.float()),
             "act": F.mse_loss(out.action.float(), act_target.float())}
    loss = terms["rgb"] + cfg.lambda_act * terms["act"]
    if value_target is not None:
        terms["map"] = F.mse_loss(out.value.float(), value_target.float())
        loss = loss + cfg.lambda_map * terms["map"]
    if prior is not None:
        terms["prior"] = F.mse_loss(prior.float(), batch.actions.float())
        loss = loss + cfg.lambda_prior * terms["prior"]
    if config.action_prior_objects:
        if batch.object_positions is None:
            raise ValueError(f"the model's action prior locates {config.action_prior_objects} objects "
                             "(AIMConfig.action_prior_objects) but the batch has no object_positions")
        terms["locate"] = F.mse_loss(reading.object_positions.float(), batch.object_positions.float())
        loss = loss + cfg.lambda_locate * terms["locate"]
    return loss, {k: float(v.detach()) for k, v in terms.items()}


class FlowMatchingObjective(nn.Module):
    """`flow_matching_loss` of `model` as one module, so one training step is one forward call: what DDP wraps
    (`distributed.distributed_objective`). It holds no parameters of its own besides the model's."""

    def __init__(self, model: nn.Module, cfg: FlowMatchingConfig, schedule: NoiseSchedule):
        super().__init__()
        self.model = model
        self.cfg = cfg
        self.schedule = schedule

    def forward(self, batch: AIMBatch | Mapping[str, torch.Tensor], generator: torch.Generator | None = None
                ) -> tuple[torch.Tensor, dict[str, float]]:
        return flow_matching_loss(self.model, batch, self.cfg, self.schedule, generator)
