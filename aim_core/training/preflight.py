"""Checks of a training run's inputs that fail fast, before any model is built or GPU time spent.

Used by `aim-train` before it starts (or spawns torchrun) and by the train-stage1 flow before it
launches anything: a missing dataset, a task selection that matches nothing, or a missing
weights folder each give one clear message saying what to fix.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from aim_core.data.episodes import complete_episodes, open_dataset, select_demonstrations
from aim_core.training.config import TrainConfig
from aim_core.training.model_presets import WAN_TRANSFORMER_SUBDIR
from data_schemas import SETTINGS, SchemaError

class TrainingInputError(ValueError):
    """The dataset, task selection or weights folder of a run cannot be used; the message says why."""


@dataclass(frozen=True)
class TrainingSelection:
    """Episodes a run will train on (successful and annotated, in the chosen tasks and settings)."""

    episode_ids: list[str]
    tasks: list[str]
    settings: list[str]


def select_training_episodes(config: TrainConfig) -> TrainingSelection:
    """Open the dataset read-only and pick the episodes of the run; raise TrainingInputError if none."""
    try:
        store = open_dataset(config.dataset, mode="r")
    except SchemaError as exc:
        raise TrainingInputError(f"dataset {config.dataset!r} cannot be used: {exc}") from exc
    everything = complete_episodes(store)
    if not everything:
        raise TrainingInputError(f"dataset {config.dataset!r} has no complete episodes; generate some first "
                                 "(generate-dataset flow or aim-rollout)")
    available = sorted({ref.attrs.task for ref in everything})
    tasks = list(config.tasks) if config.tasks is not None else available
    unknown = sorted(set(tasks) - set(available))
    if unknown:
        raise TrainingInputError(f"tasks {unknown} are not in dataset {config.dataset!r}; it holds {available}")
    settings = list(config.settings) if config.settings is not None else list(SETTINGS)
    bad = sorted(set(settings) - set(SETTINGS))
    if bad or not settings:
        raise TrainingInputError(f"settings must be a non-empty subset of {list(SETTINGS)}, got {settings}")
    chosen = [ref for ref in everything if ref.attrs.task in tasks and ref.attrs.setting in settings]
    successful = [ref for ref in chosen if ref.attrs.success]
    usable = select_demonstrations(successful, config.max_episodes).episodes
    if not usable:
        raise TrainingInputError(
            f"no usable episodes for tasks {tasks}, settings {settings} in {config.dataset!r}: "
            f"{len(chosen)} selected, {len(successful)} successful, none of those annotated. Training needs "
            "successful episodes with value maps: run aim-annotate (or the annotate flow) on the dataset first.")
    return TrainingSelection(episode_ids=[ref.episode_id for ref in usable], tasks=tasks, settings=settings)


def check_pretrained(path: str | None) -> None:
    """A Wan2.2 Diffusers folder must hold `transformer/config.json` (weights are read by name)."""
    if path is None:
        return
    root = Path(path)
    if not root.is_dir():
        raise TrainingInputError(f"weights folder {path!r} does not exist; pass the local Wan2.2-TI2V-5B-Diffusers "
                                 "folder to --pretrained, or leave it out to train from random initialisation")
    if not (root / WAN_TRANSFORMER_SUBDIR / "config.json").is_file():
        raise TrainingInputError(f"weights folder {path!r} has no {WAN_TRANSFORMER_SUBDIR}/config.json; expected a "
                                 "Diffusers-layout Wan2.2 folder (transformer/, vae/, text_encoder/, tokenizer/)")


RUN_HYPERPARAMETERS = ("model", "model_overrides", "pretrained", "tasks", "settings", "max_episodes", "batch_size",
                       "short_history", "opening_repeats", "relative_targets", "action_space", "seed", "optim",
                       "camera_hw",
                       "frame_stride", "loss", "ema_decay", "ema_power")
"""TrainConfig fields that define what a resumed run continues; changing one silently would mix two runs
(a moving average resumed with another decay, or started mid-run from weights that were never averaged)."""


def check_optim(config: TrainConfig) -> None:
    """A learning rate that is not a positive finite number would train nothing (or diverge) for hours."""
    lr = config.optim.lr
    if not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr <= 0:
        raise TrainingInputError(f"learning rate must be a positive number, got {lr!r}")
    if config.optim.warmup_steps < 0:
        raise TrainingInputError(f"warmup_steps must be >= 0, got {config.optim.warmup_steps}")


def check_resume(config: TrainConfig, override: bool = False) -> None:
    """Refuse to resume the newest checkpoint in `config.out_dir` with other hyperparameters than it was
    trained with (unless `override`): the resumed run would record and use values the checkpoint never saw."""
    from aim_core.training.checkpoint import CheckpointError, latest_checkpoint, read_checkpoint_state  # torch

    found = latest_checkpoint(config.out_dir)
    if found is None:
        return
    try:
        saved = read_checkpoint_state(found).config
    except CheckpointError as exc:
        raise TrainingInputError(str(exc)) from exc
    current = json.loads(json.dumps(config.to_dict()))
    # a checkpoint written before a field existed was trained with that field's default
    default = TrainConfig(dataset=config.dataset, out_dir=config.out_dir)
    saved = {**json.loads(json.dumps(default.to_dict())), **saved}
    changed = [f"{k} {saved.get(k)!r} -> {current[k]!r}" for k in RUN_HYPERPARAMETERS if saved.get(k) != current[k]]
    if changed and not override:
        raise TrainingInputError(f"--resume: {found.name} in {config.out_dir} was trained with other hyperparameters "
                                 f"({'; '.join(changed)}); pass the same ones, or --override-hparams to continue "
                                 "with the new ones")


def preflight(config: TrainConfig) -> TrainingSelection:
    """All input checks of a run; returns the episode selection."""
    check_optim(config)
    check_pretrained(config.pretrained)
    out = Path(config.out_dir)
    if out.exists() and not out.is_dir():
        raise TrainingInputError(f"--out {config.out_dir!r} is a file; give a directory for checkpoints and logs")
    return select_training_episodes(config)
