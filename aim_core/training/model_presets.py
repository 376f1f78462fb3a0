"""Named model presets of `aim-train --config NAME` and model construction for a run.

The preset fixes the network and its noise schedule (see `aim_core.models.schedule` for the
choice of shift); the data fixes what must agree with it (latent channels of the
VAE, text width of the encoder, actions per latent frame), so `run_model_config` merges the
preset, the data's requirements and the user's overrides, and refuses contradictions.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from torch import nn

from aim_core.models.aim_model import AIMModel
from aim_core.models.config import (LEGACY_MASK_VARIANTS, AIMConfig, ChunkLayout, aim_5b_config, aim_small_config,
                                    aim_tiny_config)
from aim_core.models.schedule import AIM_5B_SCHEDULE, AIM_TINY_SCHEDULE, NoiseSchedule
from aim_core.training.vae_training import VAETrainConfig

MODEL_PRESETS: dict[str, Callable[..., AIMConfig]] = {"aim-tiny": aim_tiny_config, "aim-small": aim_small_config,
                                                     "aim-5b": aim_5b_config}
NOISE_SCHEDULES: dict[str, NoiseSchedule] = {"aim-tiny": AIM_TINY_SCHEDULE, "aim-small": AIM_TINY_SCHEDULE,
                                             "aim-5b": AIM_5B_SCHEDULE}
"""aim-small's 6x8-token frames are as coarse as aim-tiny's: no shift to compensate (1.0)."""
VAE_PRESETS: dict[str, VAETrainConfig] = {"aim-tiny": VAETrainConfig(steps=0), "aim-small": VAETrainConfig(steps=600),
                                          "aim-5b": VAETrainConfig(steps=600)}
"""The small VAE a run builds when no Wan2.2 weights are given (z_dim = the preset's latent channels): aim-tiny
keeps it random (tests stay fast), the others train it first (`TrainConfig.vae_steps` overrides the steps)."""
WAN_TRANSFORMER_SUBDIR = "transformer"


def vae_steps(preset: str, steps: int | None = None) -> int:
    """Training steps of a run's small VAE: the override, else the preset's default."""
    return VAE_PRESETS[preset].steps if steps is None else steps


def vae_training_config(preset: str, latent_channels: int, seed: int = 0, steps: int | None = None) -> VAETrainConfig:
    """The run's VAE training settings: the preset's, with its latent width, the run's seed and step override."""
    return replace(VAE_PRESETS[preset], z_dim=latent_channels, seed=seed, steps=vae_steps(preset, steps))


def model_overrides(overrides: dict[str, Any]) -> dict[str, Any]:
    """A run's model overrides as `AIMConfig` fields: a run configured before `variant` existed said `mask`; a
    `layout` read from a config file is a dict, compared with the data's `ChunkLayout` as one."""
    if isinstance(overrides.get("layout"), Mapping):
        overrides = {**overrides, "layout": ChunkLayout(**overrides["layout"])}
    if "mask" in overrides and "variant" not in overrides:
        if overrides["mask"] not in LEGACY_MASK_VARIANTS:
            raise ValueError(f"legacy mask override must be one of {sorted(LEGACY_MASK_VARIANTS)}, "
                             f"got {overrides['mask']!r}")
        return {**{k: v for k, v in overrides.items() if k != "mask"},
                "variant": LEGACY_MASK_VARIANTS[overrides["mask"]]}
    return dict(overrides)


def run_model_config(preset: str, overrides: dict[str, Any], data_requirements: dict[str, Any]) -> AIMConfig:
    """Preset + data requirements + user overrides; a user override that contradicts the data is an error."""
    if preset not in MODEL_PRESETS:
        raise ValueError(f"unknown model preset {preset!r}; choose one of {sorted(MODEL_PRESETS)}")
    overrides = model_overrides(overrides)
    clash = {k: (v, data_requirements[k]) for k, v in overrides.items()
             if k in data_requirements and data_requirements[k] != v}
    if clash:
        raise ValueError(f"model overrides contradict the data: {clash} (override, data); drop them or rebuild "
                         "the latent cache with a matching VAE / text encoder / frame stride")
    return MODEL_PRESETS[preset](**{**data_requirements, **overrides})


def build_model(config: AIMConfig, pretrained: str | None) -> AIMModel:
    """Random initialisation, or the video branch from a Wan2.2 Diffusers folder (`<dir>/transformer`)."""
    if pretrained is None:
        return AIMModel(config)
    return AIMModel.from_wan(Path(pretrained) / WAN_TRANSFORMER_SUBDIR, config)


def model_blocks(model: AIMModel) -> list[nn.Module]:
    """The MoT blocks: FSDP2 shard units."""
    return list(model.blocks)
