"""Stage I checkpoints: a policy bundle per step, with the optimizer state for resuming beside it.

    <out_dir>/checkpoints/step-000100/   the policy bundle (`aim_core.inference.bundle`): transformer,
                                         action codec, encoders, scheduler.json, policy.json; acts alone
    <out_dir>/train_state/step-000100/   optimizer.safetensors (keys "state/<param fqn>/<name>") and
                                         state.json: step, optimizer param groups, LR-scheduler state,
                                         run config, metrics, data description; with a moving average
                                         of the weights (`TrainConfig.ema_decay`) also model.safetensors,
                                         the trained weights, while the bundle holds the average

Both are built under temporary names and renamed, training state first, so an interruption never
leaves a checkpoint that `--resume` would pick half written; a step counts as a checkpoint when
both folders exist. Keeping optimizer state out of the bundle keeps bundles small and lets them be
copied to any machine that should act with them. State dicts are taken with
`torch.distributed.checkpoint.state_dict`, which gathers full tensors from DDP and FSDP2 models
alike, so a checkpoint written by 8 GPUs loads on a CPU.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from diffusers.utils import SAFETENSORS_WEIGHTS_NAME
from safetensors.torch import load_file, save_file
from diffusers.training_utils import EMAModel
from torch.distributed.checkpoint.state_dict import (StateDictOptions, get_model_state_dict, get_state_dict,
                                                     set_state_dict)

from aim_core.inference.bundle import (ACTION_CODEC_DIR, TRANSFORMER_DIR, BundleError, PolicySpec, add_encoders,
                                       check_bundle)
from aim_core.models.action_codec import ActionCodec
from aim_core.models.schedule import NoiseSchedule
from aim_core.training.ema import averaged_weights

CHECKPOINTS_DIR = "checkpoints"
TRAIN_STATE_DIR = "train_state"
STEP_PREFIX = "step-"
OPTIMIZER_FILE = "optimizer.safetensors"
TRAINED_WEIGHTS_FILE = "model.safetensors"
STATE_FILE = "state.json"


class CheckpointError(RuntimeError):
    """A checkpoint folder is missing, incomplete or does not fit the model being trained."""


@dataclass
class CheckpointState:
    """What a checkpoint says about the run besides tensors."""

    path: Path
    """The policy bundle of the step."""
    step: int
    config: dict[str, Any]
    model_config: dict[str, Any]
    metrics: dict[str, Any]
    data: dict[str, Any]


@dataclass
class BundleParts:
    """What a bundle needs besides the transformer weights: the pieces that make it act alone."""

    codec: ActionCodec
    schedule: NoiseSchedule
    spec: PolicySpec
    encoders_source: Path
    """A Wan2.2 Diffusers folder or the run's `encoders/` (vae/, text_encoder/, tokenizer/)."""


def checkpoint_dir(out_dir: str | Path, step: int) -> Path:
    return Path(out_dir) / CHECKPOINTS_DIR / f"{STEP_PREFIX}{step:06d}"


def train_state_dir(bundle: str | Path) -> Path:
    """The optimizer/run state of a checkpoint, beside its bundle: <out>/train_state/step-N."""
    bundle = Path(bundle)
    return bundle.parent.parent / TRAIN_STATE_DIR / bundle.name


def _step_folders(root: Path) -> dict[int, Path]:
    if not root.is_dir():
        return {}
    return {int(p.name[len(STEP_PREFIX):]): p for p in root.iterdir()
            if p.is_dir() and p.name.startswith(STEP_PREFIX) and p.name[len(STEP_PREFIX):].isdigit()}


def list_checkpoints(out_dir: str | Path) -> list[Path]:
    """Bundles of a run that have their training state (complete checkpoints), oldest first."""
    bundles = _step_folders(Path(out_dir) / CHECKPOINTS_DIR)
    return [bundles[s] for s in sorted(bundles) if (train_state_dir(bundles[s]) / STATE_FILE).is_file()]


def latest_bundle(out_dir: str | Path) -> Path | None:
    """The newest complete policy bundle of a run, with or without its training state: evaluation needs only the
    bundle (e.g. one trained on a GPU machine and copied here without its optimizer state)."""
    folders = _step_folders(Path(out_dir) / CHECKPOINTS_DIR)
    for bundle in (folders[step] for step in sorted(folders, reverse=True)):
        try:
            return check_bundle(bundle)
        except BundleError:
            continue
    return None


def latest_checkpoint(out_dir: str | Path) -> Path | None:
    found = list_checkpoints(out_dir)
    return found[-1] if found else None


def _flatten_optimizer(optim_state: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for fqn, entries in optim_state["state"].items():
        for name, value in entries.items():
            if isinstance(value, torch.Tensor):
                tensors[f"state/{fqn}/{name}"] = value.detach().to("cpu").contiguous()
            else:
                scalars.setdefault(fqn, {})[name] = value
    return tensors, {"param_groups": optim_state["param_groups"], "scalars": scalars}


def _unflatten_optimizer(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> dict[str, Any]:
    state: dict[str, dict[str, Any]] = {fqn: dict(values) for fqn, values in meta["scalars"].items()}
    for key, value in tensors.items():
        _, rest = key.split("/", 1)
        fqn, name = rest.rsplit("/", 1)
        state.setdefault(fqn, {})[name] = value
    return {"state": state, "param_groups": meta["param_groups"]}


def _write_atomically(final: Path, fill) -> None:
    """Build `final` under a temporary name with `fill(tmp)`, then swap it in."""
    tmp = final.with_name(final.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    fill(tmp)
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)


def save_checkpoint(out_dir: str | Path, step: int, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                    scheduler: torch.optim.lr_scheduler.LRScheduler, config: dict[str, Any],
                    bundle: BundleParts, metrics: dict[str, Any] | None = None,
                    data: dict[str, Any] | None = None, keep: int = 2, is_writer: bool = True,
                    ema: EMAModel | None = None) -> Path:
    """Write the bundle and training state of `step`; call on every rank (gathering is collective),
    rank 0 writes. `model` is the network itself (FSDP2-sharded or not, never a DDP wrapper). With `ema` the
    bundle acts with the averaged weights and the trained ones go to the training state. Keeps the newest `keep` checkpoints."""
    options = StateDictOptions(full_state_dict=True, cpu_offload=True)
    model_sd, optim_sd = get_state_dict(model, optimizer, options=options)
    model_sd = _detached_copy(model_sd)
    with averaged_weights(ema, model):
        bundle_sd = model_sd if ema is None else _detached_copy(get_model_state_dict(model, options=options))
    final = checkpoint_dir(out_dir, step)
    if not is_writer:
        return final

    def fill_state(tmp: Path) -> None:
        optim_tensors, optim_meta = _flatten_optimizer(optim_sd)
        save_file(optim_tensors, str(tmp / OPTIMIZER_FILE))
        if ema is not None:
            save_file(model_sd, str(tmp / TRAINED_WEIGHTS_FILE), metadata={"format": "pt"})
        state = {"step": step, "optimizer": optim_meta, "scheduler": scheduler.state_dict(), "config": config,
                 "metrics": metrics or {}, "data": data or {}}
        with open(tmp / STATE_FILE, "w") as fh:
            json.dump(state, fh, indent=1, default=_json_default)
            fh.flush()
            os.fsync(fh.fileno())

    def fill_bundle(tmp: Path) -> None:
        transformer = tmp / TRANSFORMER_DIR
        transformer.mkdir()
        save_file(bundle_sd, str(transformer / SAFETENSORS_WEIGHTS_NAME), metadata={"format": "pt"})
        model.save_config(transformer)
        bundle.codec.save_pretrained(tmp / ACTION_CODEC_DIR)
        add_encoders(tmp, bundle.encoders_source)
        bundle.schedule.save(tmp)
        bundle.spec.save(tmp)

    _write_atomically(train_state_dir(final), fill_state)
    _write_atomically(final, fill_bundle)
    for old in list_checkpoints(out_dir)[:-keep] if keep > 0 else []:
        shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(train_state_dir(old), ignore_errors=True)
    return final


def _detached_copy(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """CPU copies that later in-place changes of the parameters (the average swapped in) cannot reach."""
    return {k: v.detach().to("cpu").contiguous().clone() for k, v in state_dict.items()}


def _json_default(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.item() if value.numel() == 1 else value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in a checkpoint's state.json")


def read_checkpoint_state(path: str | Path) -> CheckpointState:
    """Read the training state of the checkpoint whose bundle is `path` (cheap: no tensors)."""
    path = Path(path)
    state_file = train_state_dir(path) / STATE_FILE
    if not state_file.is_file():
        raise CheckpointError(f"{path} has no training state ({state_file} is missing); pick one of the step-* "
                              f"folders under <out_dir>/{CHECKPOINTS_DIR}")
    state = json.loads(state_file.read_text())
    model_config = json.loads((path / TRANSFORMER_DIR / "config.json").read_text())
    return CheckpointState(path=path, step=int(state["step"]), config=state["config"],
                           model_config=model_config, metrics=state.get("metrics", {}), data=state.get("data", {}))


def load_checkpoint(path: str | Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                    scheduler: torch.optim.lr_scheduler.LRScheduler) -> CheckpointState:
    """Restore model, optimizer and scheduler from the checkpoint whose bundle is `path` (every rank calls this):
    the trained weights, which are the bundle's unless the run averages them (`bundle_weights` reads those)."""
    info = read_checkpoint_state(path)
    raw = json.loads((train_state_dir(info.path) / STATE_FILE).read_text())
    trained = train_state_dir(info.path) / TRAINED_WEIGHTS_FILE
    model_sd = load_file(str(trained)) if trained.is_file() else bundle_weights(info.path)
    optim_sd = _unflatten_optimizer(load_file(str(train_state_dir(info.path) / OPTIMIZER_FILE)), raw["optimizer"])
    try:
        # full (gathered) state dicts, as saved: FSDP2 scatters them into its shards (without the option it copied
        # whole tensors into sharded parameters and no FSDP2 run could resume)
        set_state_dict(model, optimizer, model_state_dict=model_sd, optim_state_dict=optim_sd,
                       options=StateDictOptions(full_state_dict=True))
    except (RuntimeError, KeyError) as exc:
        raise CheckpointError(f"checkpoint {path} does not fit this model/optimizer: {exc}") from exc
    scheduler.load_state_dict(raw["scheduler"])
    return info


def bundle_weights(path: str | Path) -> dict[str, torch.Tensor]:
    """The transformer weights a checkpoint's bundle acts with (the moving average when the run keeps one)."""
    return load_file(str(Path(path) / TRANSFORMER_DIR / SAFETENSORS_WEIGHTS_NAME))
