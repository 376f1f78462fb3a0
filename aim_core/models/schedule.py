"""The one noise schedule of a model: how noise levels are shifted and scaled to timesteps.

Training draws noise levels with it (``aim_core.training.flow_matching``) and the sampler integrates
over its levels (``aim_core.inference.sampler.euler_sigmas``); it is saved beside the model as
``scheduler.json``, so a policy always samples with the schedule its network was trained on.

Shift: s' = k s / (1 + (k - 1) s) moves noise levels towards 1 for k > 1. Many tokens of one image
average the noise of their neighbours, so at a given s a large latent grid is less noisy than a small
one; the shift compensates (SD3, Wan). aim-5b keeps Wan2.2-TI2V-5B's 5.0, the value its video stream
was trained with; aim-tiny's latent grids are a few tokens wide (nothing to compensate), so 1.0.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch

SCHEDULE_FILE = "scheduler.json"


@dataclass(frozen=True)
class NoiseSchedule:
    shift: float = 1.0
    num_train_timesteps: int = 1000
    """The model's timestep input is s * num_train_timesteps (Wan's sinusoidal embedding of 0..1000)."""

    def __post_init__(self) -> None:
        if self.shift <= 0:
            raise ValueError(f"shift must be > 0, got {self.shift}")
        if self.num_train_timesteps < 1:
            raise ValueError(f"num_train_timesteps must be >= 1, got {self.num_train_timesteps}")

    def shift_sigmas(self, sigmas: torch.Tensor) -> torch.Tensor:
        """Noise levels in [0, 1] -> shifted noise levels k s / (1 + (k - 1) s)."""
        return self.shift * sigmas / (1 + (self.shift - 1) * sigmas)

    def timesteps(self, sigmas: torch.Tensor | float) -> torch.Tensor | float:
        """Noise level -> the timestep the model is conditioned on."""
        return sigmas * self.num_train_timesteps

    def save(self, folder: str | Path) -> Path:
        path = Path(folder) / SCHEDULE_FILE
        path.write_text(json.dumps(asdict(self), indent=2))
        return path

    @classmethod
    def load(cls, folder: str | Path) -> "NoiseSchedule":
        path = Path(folder) / SCHEDULE_FILE
        if not path.is_file():
            raise FileNotFoundError(f"{folder} has no {SCHEDULE_FILE}: the model's noise schedule is missing")
        data = json.loads(path.read_text())
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"{path}: unknown NoiseSchedule keys {sorted(unknown)}")
        return cls(**data)


AIM_5B_SCHEDULE = NoiseSchedule(shift=5.0)
"""Wan2.2-TI2V-5B's flow shift: the video stream starts from Wan and keeps its noise distribution."""
AIM_TINY_SCHEDULE = NoiseSchedule(shift=1.0)
"""Unshifted: tiny latent grids need no resolution compensation."""
