"""Typed configuration of a Stage I training run.

One `TrainConfig` describes a run completely: it is written into every checkpoint, so a
checkpoint says how it was produced and `--resume` continues with exactly the same settings.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from data_schemas import ACTION_SPACES

Precision = Literal["auto", "fp32", "bf16"]
Parallel = Literal["auto", "none", "ddp", "fsdp2"]


@dataclass
class OptimConfig:
    """AdamW with linear warmup then cosine decay, and global-norm gradient clipping."""

    lr: float = 1e-4
    betas: tuple[float, float] = (0.9, 0.95)
    weight_decay: float = 0.01
    warmup_steps: int = 50
    min_lr_ratio: float = 0.1
    grad_clip: float = 1.0


@dataclass
class TrainConfig:
    """Everything that defines a Stage I run (data, model, optimisation, bookkeeping)."""

    dataset: str
    out_dir: str
    model: str = "aim-tiny"
    model_overrides: dict[str, Any] = field(default_factory=dict)
    """Fields replacing those of the named model preset, e.g. {"variant": "unified"} (see `AIMConfig.variant`)."""
    pretrained: str | None = None
    """Folder with Wan2.2 weights to initialise the video branch from (None: random init)."""
    tasks: list[str] | None = None
    settings: list[str] | None = None
    max_episodes: int | None = None
    """At most this many demonstrations, round-robin over the selected tasks and settings
    (`aim_core.data.episodes.select_demonstrations`); None: every one."""
    short_history: bool = False
    """Also train every window with a one-frame history (no past actions), as at an episode's first
    step, so that more than one window per episode must read the image to choose its actions
    (`aim_core.data.window_dataset._histories`). Doubles the windows of an epoch."""
    opening_repeats: int = 1
    """Each episode's opening window (its first step, no past actions) is trained this many times per
    epoch. Why: it is the only window whose actions the image alone must choose (past actions already
    say which arm moves), and it is one window in ~25 (benchmarks/RESULTS.md, Learning)."""
    relative_targets: bool = False
    """The model predicts each arm joint of its chunk as the offset from the measured joints at the current frame,
    normalised by the offsets' range (grippers and past actions stay absolute; `ActionCodec.relative_targets`,
    which the bundle carries). Why: an arm holding still for a grasp is then 0 in every scene."""
    action_space: str = "joints"
    """What an action row holds (`data_schemas.ACTION_SPACES`): "joints", the recorded joint targets, or "tcp", the
    world TCP poses they put the grippers at (RoboTwin's `ee` actions; `pipeline.sim.kinematics`), which the policy
    commands through inverse kinematics; with `relative_targets` the TCP positions are offsets from the measured ones.
    Why: a fixed place target is one TCP pose but a joint configuration per arm the model must learn the kinematics of
    from the demonstrations (stack_blocks_two, benchmarks/RESULTS.md)."""
    steps: int = 1000
    batch_size: int = 2
    seed: int = 0
    optim: OptimConfig = field(default_factory=OptimConfig)
    ema_decay: float = 0.0
    """Largest decay of the moving average of the weights that checkpoints' policy bundles act with
    (`aim_core.training.ema`); 0: no average, bundles hold the last step's weights."""
    ema_power: float = 0.75
    """Warm-up of that average: its decay at step s is 1 - (1 + s)^-power until it reaches `ema_decay`
    (0.75 as in Diffusion Policy: ~0.998 after 5000 steps)."""
    precision: Precision = "auto"
    """auto: bf16 autocast on CUDA for models of 100 M parameters and more (trainer.BF16_MIN_PARAMETERS), else
    fp32 (a small model's GPU step is launch-bound: autocast only adds casts)."""
    activation_checkpointing: bool = False
    parallel: Parallel = "auto"
    """auto: DDP when launched by torchrun with several processes, FSDP2 for aim-5b."""
    checkpoint_every: int = 100
    keep_checkpoints: int = 2
    log_every: int = 10
    val_every: int = 200
    max_minutes: float | None = None
    """Wall-clock budget: stop (with a checkpoint) once exceeded, even before `steps`."""
    latent_cache: str | None = None
    """Latent cache folder; default `<out_dir>/latent_cache`."""
    cache_workers: int = 1
    """Processes that encode the latent cache on a CPU machine (`build_latent_cache`), one torch thread
    each; with a GPU the cache is encoded there in this process (the setting is not used)."""
    preload_latents: bool = False
    """Read the run's whole latent cache into memory once instead of reading each window from the store: a
    window then costs 0.06 ms instead of 1.4 ms (place_shoe's 100 episodes, 78 MB; RESULTS), which is most
    of a GPU step at large batches. Off by default: a full dataset's latents may not fit in memory."""
    camera_hw: tuple[int, int] | None = None
    """Camera views are resized to this (H, W) before packing the canvas (None: as recorded)."""
    frame_stride: int = 1
    """Use every n-th recorded step (actions per latent frame = stride x the VAE's 4x)."""
    vae_steps: int | None = None
    """Without --pretrained: training steps of the run's small Wan VAE (`aim_core.training.vae_training`);
    None = the model preset's default (`model_presets.VAE_PRESETS`: aim-tiny 0, i.e. random, aim-small 600)."""
    loss: dict[str, Any] = field(default_factory=dict)
    """Fields of `FlowMatchingConfig` (lambda_map, lambda_act, timestep sampling, ...)."""

    def __post_init__(self) -> None:
        if self.camera_hw is not None:
            self.camera_hw = tuple(self.camera_hw)
        if isinstance(self.optim, dict):
            self.optim = OptimConfig(**{**self.optim, "betas": tuple(self.optim.get("betas", (0.9, 0.95)))})
        problems = []
        if self.steps < 1:
            problems.append(f"steps must be >= 1 (got {self.steps})")
        if self.batch_size < 1:
            problems.append(f"batch_size must be >= 1 (got {self.batch_size})")
        if self.checkpoint_every < 1:
            problems.append(f"checkpoint_every must be >= 1 (got {self.checkpoint_every})")
        if self.precision not in ("auto", "fp32", "bf16"):
            problems.append(f"precision must be auto, fp32 or bf16 (got {self.precision!r})")
        if self.parallel not in ("auto", "none", "ddp", "fsdp2"):
            problems.append(f"parallel must be auto, none, ddp or fsdp2 (got {self.parallel!r})")
        if self.vae_steps is not None and self.vae_steps < 0:
            problems.append(f"vae_steps must be >= 0 (got {self.vae_steps})")
        if self.frame_stride < 1:
            problems.append(f"frame_stride must be >= 1 (got {self.frame_stride})")
        if self.cache_workers < 1:
            problems.append(f"cache_workers must be >= 1 (got {self.cache_workers})")
        if not 0.0 <= self.ema_decay < 1.0:
            problems.append(f"ema_decay must be in [0, 1), 0 for none (got {self.ema_decay})")
        if self.ema_power <= 0:
            problems.append(f"ema_power must be > 0 (got {self.ema_power})")
        if self.action_space not in ACTION_SPACES:
            problems.append(f"action_space must be one of {', '.join(ACTION_SPACES)} (got {self.action_space!r})")
        if self.opening_repeats < 1:
            problems.append(f"opening_repeats must be >= 1 (got {self.opening_repeats})")
        if self.max_episodes is not None and self.max_episodes < 1:
            problems.append(f"max_episodes must be >= 1 or unset for all (got {self.max_episodes})")
        if self.tasks is not None and len(self.tasks) == 0:
            problems.append("tasks is an empty list: name at least one task, or leave it unset for all")
        if problems:
            raise ValueError("invalid training config: " + "; ".join(problems))

    @property
    def latent_cache_dir(self) -> Path:
        return Path(self.latent_cache) if self.latent_cache else Path(self.out_dir) / "latent_cache"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown training config fields {unknown}; known: {sorted(known)}")
        return cls(**data)
