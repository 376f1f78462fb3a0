"""Euler integration of the rectified-flow ODE from noise (s = 1) to data (s = 0)."""
from __future__ import annotations

from collections.abc import Callable

import torch

from aim_core.models.schedule import NoiseSchedule


def euler_sigmas(num_steps: int, schedule: NoiseSchedule) -> torch.Tensor:
    """num_steps + 1 decreasing noise levels from 1 to 0, shifted by the model's schedule (as in training)."""
    if num_steps < 1:
        raise ValueError(f"num_steps must be >= 1, got {num_steps}")
    return schedule.shift_sigmas(torch.linspace(1.0, 0.0, num_steps + 1, dtype=torch.float64)).float()


def euler_sample(x: torch.Tensor | tuple[torch.Tensor, ...], velocity: Callable[..., tuple[torch.Tensor, ...]],
                 sigmas: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Integrate ``velocity(sigma, *x) -> velocities`` (one per state tensor) over the given noise levels."""
    states = (x,) if isinstance(x, torch.Tensor) else tuple(x)
    for sigma, sigma_next in zip(sigmas[:-1].tolist(), sigmas[1:].tolist()):
        v = velocity(sigma, *states)
        states = tuple(s + (sigma_next - sigma) * vi.to(s.dtype) for s, vi in zip(states, v))
    return states
