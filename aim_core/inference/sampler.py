"""Integration of the rectified-flow ODE from noise (s = 1) to data (s = 0), and its SDE twin.

Deterministic sampling is Euler on the velocity field. Stage II needs a *stochastic* policy with an
exact likelihood, which a flow-matching head does not have; Flow-GRPO (Liu et al. 2025, "Flow-GRPO:
Training Flow Matching Models via Online RL", arXiv:2505.05470, eq. 8-9; github.com/yifan123/flow_grpo)
turns the ODE into a reverse-time SDE with the same marginals: with x_s = (1 - s) x0 + s eps the
model's velocity v gives the score -(x + (1 - s) v) / s, and one step from s to s' (ds = s' - s < 0) is

    x' = x + [v + sigma_s^2 / (2 s) (x + (1 - s) v)] ds + sigma_s sqrt(-ds) z,   z ~ N(0, I),
    sigma_s = a sqrt(s / (1 - s))    (a: the noise level; s = 1 is replaced by the next level, as there)

a Gaussian transition whose log-density is exact. With a = 0 it *is* the Euler step, computed by the
same function (`flow_step`), so there is one integrator: `euler_sample` applies `flow_step` to every
state, and a step with noise is that step plus sigma_s sqrt(-ds) z.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from aim_core.models.schedule import NoiseSchedule


def euler_sigmas(num_steps: int, schedule: NoiseSchedule) -> torch.Tensor:
    """num_steps + 1 decreasing noise levels from 1 to 0, shifted by the model's schedule (as in training)."""
    if num_steps < 1:
        raise ValueError(f"num_steps must be >= 1, got {num_steps}")
    return schedule.shift_sigmas(torch.linspace(1.0, 0.0, num_steps + 1, dtype=torch.float64)).float()


@dataclass(frozen=True)
class FlowSDE:
    """Which denoising steps of the *action* stream are stochastic, and how much noise they inject.

    Flow-GRPO-Fast / MixGRPO make only a few steps stochastic (the rest stay ODE): fewer log-probabilities
    to recompute per chunk, and exploration where it matters (early steps set the chunk's mode).
    """

    noise_level: float = 0.7
    """a in sigma_s = a sqrt(s / (1 - s)) (Flow-GRPO's default 0.7)."""
    steps: tuple[int, ...] = (0, 1)
    """Indices (0 = the first step, from s = 1) of the stochastic steps."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple(sorted(set(int(s) for s in self.steps))))
        if self.noise_level < 0 or not math.isfinite(self.noise_level):
            raise ValueError(f"noise_level must be finite and >= 0, got {self.noise_level}")
        if not self.steps or self.steps[0] < 0:
            raise ValueError(f"steps must name at least one step index >= 0, got {self.steps}")

    def check(self, num_steps: int) -> None:
        if self.steps[-1] >= num_steps:
            raise ValueError(f"stochastic steps {self.steps} exceed the sampler's {num_steps} steps")

    def step_std(self, sigmas: torch.Tensor, index: int) -> float:
        """sigma_s of step `index` (the diffusion coefficient, before the sqrt(-ds) of the step)."""
        s = float(sigmas[index])
        if s >= 1.0:  # sigma_s diverges at s = 1: use the next level, as Flow-GRPO does
            s = float(sigmas[1])
        return self.noise_level * math.sqrt(s / (1.0 - s))


def flow_step(x: torch.Tensor, v: torch.Tensor, sigma: float, sigma_next: float,
              diffusion: float = 0.0) -> tuple[torch.Tensor, float]:
    """Mean and standard deviation of one step from noise level `sigma` to `sigma_next`.

    `diffusion` = sigma_s of `FlowSDE.step_std`; 0 gives the Euler step x + (s' - s) v exactly.
    """
    ds = sigma_next - sigma
    v = v.to(x.dtype)
    if diffusion == 0.0:
        return x + ds * v, 0.0
    k = diffusion ** 2 / (2.0 * sigma)
    mean = x * (1.0 + k * ds) + v * ((1.0 + k * (1.0 - sigma)) * ds)
    return mean, diffusion * math.sqrt(-ds)


def gaussian_log_prob(x_next: torch.Tensor, mean: torch.Tensor, std: float) -> torch.Tensor:
    """log N(x_next; mean, std^2 I), summed over all but the batch dimension -> [B] (exact density,
    where Flow-GRPO averages over dimensions: the sum is the log-probability of the whole chunk)."""
    if std <= 0:
        raise ValueError("a deterministic step has no density: give a stochastic step (std > 0)")
    z = (x_next.float() - mean.float()) / std
    per = -0.5 * z ** 2 - math.log(std) - 0.5 * math.log(2 * math.pi)
    return per.flatten(1).sum(dim=1)


Transition = Callable[[int, float, float, tuple[torch.Tensor, ...], tuple[torch.Tensor, ...]],
                      tuple[torch.Tensor, ...] | None]
"""(step index, sigma, sigma_next, states, velocities) -> the next states, or None for plain Euler."""


def euler_sample(x: torch.Tensor | tuple[torch.Tensor, ...], velocity: Callable[..., Sequence[torch.Tensor]],
                 sigmas: torch.Tensor, transition: Transition | None = None) -> tuple[torch.Tensor, ...]:
    """Integrate ``velocity(sigma, *x) -> velocities`` (one per state tensor) over the given noise levels.

    `transition` may replace a step's update (the stochastic action steps of Stage II); every other
    step, and every state it leaves alone, moves by `flow_step` with no noise (Euler).
    """
    states = (x,) if isinstance(x, torch.Tensor) else tuple(x)
    for i, (sigma, sigma_next) in enumerate(zip(sigmas[:-1].tolist(), sigmas[1:].tolist())):
        v = tuple(velocity(sigma, *states))
        custom = transition(i, sigma, sigma_next, states, v) if transition is not None else None
        states = custom if custom is not None else tuple(flow_step(s, vi, sigma, sigma_next)[0]
                                                         for s, vi in zip(states, v))
    return states
