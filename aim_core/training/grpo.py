"""Stage II math: GRPO on the action head of AIM (the paper's section 4.3.4).

Why these pieces:
- `freeze_world(model)`: only the future-action stream trains; the video stream, value stream and
  past-action encoder keep `requires_grad=False`, so the world and value predictions (and every
  history key the action head reads) stay bitwise what Stage I produced.
- `chunk_rewards`: r = lambda_d r_dense + lambda_s r_sparse per chunk; r_dense is the frozen value
  map read at the chunk's landing point (computed on the simulator side, `aim_core.eval.grpo_rollouts`),
  r_sparse the episode's task success, given to every chunk of the episode.
- `group_advantages`: GRPO (Shao et al. 2024, "DeepSeekMath", arXiv:2402.03300, section 4.1) has no
  critic: the rewards of the G rollouts of one (task, seed) are normalised by that group's mean and
  standard deviation; a group whose rewards are all equal carries no signal (advantage 0).
- `grpo_loss`: PPO's clipped surrogate (Schulman et al. 2017) on the likelihood ratio of each
  stochastic denoising step of each executed chunk, as Flow-GRPO (Liu et al. 2025, arXiv:2505.05470)
  does per SDE step; the optional KL to the Stage I head is the closed form between the two Gaussian
  transitions of a step (same std, different means), Flow-GRPO's choice too.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from aim_core.models.aim_model import AIMModel


@dataclass(frozen=True)
class GRPOHyper:
    """The optimisation knobs of one Stage II run."""

    group_size: int = 4
    """G rollouts per (task, seed) group (>= 2: a group of one has no baseline)."""
    clip_eps: float = 0.2
    kl_coef: float = 0.0
    """Weight of KL(pi || pi_stage1) per stochastic step; 0 disables it (and the reference pass)."""
    lambda_dense: float = 1.0
    lambda_sparse: float = 1.0
    lr: float = 1e-4
    updates_per_iteration: int = 2
    """Gradient steps on each batch of rollouts (the first sees ratio 1 exactly)."""
    grad_clip: float = 1.0
    adv_eps: float = 1e-6

    def __post_init__(self) -> None:
        problems = []
        if self.group_size < 2:
            problems.append(f"group_size (G) must be >= 2 for a group baseline, got {self.group_size}")
        if not 0 < self.clip_eps < 1:
            problems.append(f"clip_eps must lie in (0, 1), got {self.clip_eps}")
        if self.kl_coef < 0 or self.lr <= 0 or self.updates_per_iteration < 1:
            problems.append("kl_coef must be >= 0, lr > 0 and updates_per_iteration >= 1")
        if self.lambda_dense < 0 or self.lambda_sparse < 0 or self.lambda_dense + self.lambda_sparse == 0:
            problems.append("lambda_dense and lambda_sparse must be >= 0 and not both 0")
        if problems:
            raise ValueError("invalid GRPO settings: " + "; ".join(problems))


def freeze_world(model: AIMModel) -> list[torch.nn.Parameter]:
    """Make the action head the only trainable part of `model`; returns its parameters."""
    head = model.action_head_parameters()
    head_ids = {id(p) for p in head}
    for param in model.parameters():
        param.requires_grad_(id(param) in head_ids)
    return head


def action_head_state(model: AIMModel) -> dict[str, torch.Tensor]:
    """The action head's weights by name (detached CPU copies): what rollout workers load."""
    head_ids = {id(p) for p in model.action_head_parameters()}
    return {name: p.detach().to("cpu").clone() for name, p in model.named_parameters() if id(p) in head_ids}


@contextlib.contextmanager
def swapped_action_head(model: AIMModel, state: dict[str, torch.Tensor]) -> Iterator[None]:
    """Temporarily run `model` with other action-head weights (the Stage I reference for the KL)."""
    params = dict(model.named_parameters())
    saved = {name: params[name].detach().clone() for name in state}
    with torch.no_grad():
        for name, value in state.items():
            params[name].copy_(value)
    try:
        yield
    finally:
        with torch.no_grad():
            for name, value in saved.items():
                params[name].copy_(value)


def chunk_rewards(dense: Sequence[float], success: bool, lambda_dense: float, lambda_sparse: float) -> np.ndarray:
    """Per-chunk reward of one episode: lambda_d * r_dense(chunk) + lambda_s * success."""
    return lambda_dense * np.asarray(dense, dtype=np.float64) + lambda_sparse * float(success)


def group_advantages(rewards: Sequence[np.ndarray], eps: float = 1e-6) -> list[np.ndarray]:
    """Normalise the chunk rewards of one group's G rollouts by the group's mean and std.

    `rewards[g]` holds rollout g's per-chunk rewards; the result has the same shapes. All equal
    rewards (zero variance) give exactly zero advantages.
    """
    if len(rewards) < 2:
        raise ValueError(f"a group needs >= 2 rollouts, got {len(rewards)}")
    flat = np.concatenate([np.asarray(r, dtype=np.float64).ravel() for r in rewards])
    if flat.size == 0 or np.all(flat == flat[0]):  # no signal (the mean of equal floats may differ by an ulp)
        return [np.zeros(np.shape(r)) for r in rewards]
    mean, std = flat.mean(), flat.std()
    return [(np.asarray(r, dtype=np.float64) - mean) / (std + eps) for r in rewards]


@dataclass
class LossTerms:
    loss: torch.Tensor
    ratio_mean: float
    ratio_max_dev: float
    """max |ratio - 1|: 0 before the first update."""
    clip_fraction: float
    kl: float


def grpo_loss(log_probs: torch.Tensor, old_log_probs: torch.Tensor, advantages: torch.Tensor, clip_eps: float,
              kl: torch.Tensor | None = None, kl_coef: float = 0.0) -> LossTerms:
    """Clipped surrogate over chunks x stochastic steps ([N, S] log-probs, [N] advantages), to minimise.

    loss = -mean(min(rho A, clip(rho, 1 - eps, 1 + eps) A)) + kl_coef * mean(KL), rho = exp(log pi - log pi_old).
    """
    if log_probs.shape != old_log_probs.shape or log_probs.shape[0] != advantages.shape[0]:
        raise ValueError(f"shapes differ: log_probs {list(log_probs.shape)}, old {list(old_log_probs.shape)}, "
                         f"advantages {list(advantages.shape)}")
    ratio = torch.exp(log_probs - old_log_probs.detach())
    adv = advantages.detach().to(ratio.dtype)[:, None].expand_as(ratio)
    surrogate = torch.minimum(ratio * adv, torch.clamp(ratio, 1 - clip_eps, 1 + clip_eps) * adv)
    loss = -surrogate.mean()
    kl_value = 0.0
    if kl is not None and kl_coef > 0:
        loss = loss + kl_coef * kl.mean()
        kl_value = float(kl.detach().mean())
    with torch.no_grad():
        return LossTerms(loss=loss, ratio_mean=float(ratio.mean()), ratio_max_dev=float((ratio - 1).abs().max()),
                         clip_fraction=float(((ratio - 1).abs() > clip_eps).float().mean()), kl=kl_value)


def gaussian_kl(mean: torch.Tensor, ref_mean: torch.Tensor, std: float) -> torch.Tensor:
    """KL(N(mean, std^2) || N(ref_mean, std^2)) summed over all but the batch dimension -> [B]."""
    return ((mean.float() - ref_mean.float()) ** 2).flatten(1).sum(dim=1) / (2 * std ** 2)
