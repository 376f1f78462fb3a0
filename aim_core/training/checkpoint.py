"""Stage I checkpoints: weights, optimizer and scheduler state and the full run config.

Layout of one checkpoint (a folder, written atomically: built under a temporary name, then
renamed, so an interruption never leaves a half-written checkpoint that `--resume` would pick):

    <out_dir>/checkpoints/step-000100/
        model.safetensors       full (unsharded) model state dict
        config.json             model config: the folder loads with `AIMModel.from_pretrained`
        optimizer.safetensors   optimizer tensors, keys "state/<param fqn>/<name>"
        state.json              step, optimizer param groups, scheduler state, run config, metrics,
                                data (what inference needs besides weights: encoders, action stats)

State dicts are taken with `torch.distributed.checkpoint.state_dict`, which gathers full
tensors from DDP and FSDP2 models alike, so a checkpoint written by 8 GPUs loads on a CPU.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch.distributed.checkpoint.state_dict import StateDictOptions, get_state_dict, set_state_dict

CHECKPOINTS_DIR = "checkpoints"
STEP_PREFIX = "step-"
MODEL_FILE = "model.safetensors"
MODEL_CONFIG_FILE = "config.json"
OPTIMIZER_FILE = "optimizer.safetensors"
STATE_FILE = "state.json"


class CheckpointError(RuntimeError):
    """A checkpoint folder is missing, incomplete or does not fit the model being trained."""


@dataclass
class CheckpointState:
    """What a checkpoint says about the run besides tensors."""

    path: Path
    step: int
    config: dict[str, Any]
    model_config: dict[str, Any]
    metrics: dict[str, Any]
    data: dict[str, Any]


def checkpoint_dir(out_dir: str | Path, step: int) -> Path:
    return Path(out_dir) / CHECKPOINTS_DIR / f"{STEP_PREFIX}{step:06d}"


def list_checkpoints(out_dir: str | Path) -> list[Path]:
    """Complete checkpoints of a run, oldest first."""
    root = Path(out_dir) / CHECKPOINTS_DIR
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir()
             if p.is_dir() and p.name.startswith(STEP_PREFIX) and (p / STATE_FILE).is_file()]
    return sorted(found, key=lambda p: int(p.name[len(STEP_PREFIX):]))


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


def save_checkpoint(out_dir: str | Path, step: int, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                    scheduler: torch.optim.lr_scheduler.LRScheduler, config: dict[str, Any],
                    model_config: dict[str, Any], metrics: dict[str, Any] | None = None,
                    data: dict[str, Any] | None = None, keep: int = 2, is_writer: bool = True) -> Path:
    """Write a checkpoint for `step`; call on every rank (gathering is collective), rank 0 writes.

    Keeps the newest `keep` checkpoints and deletes older ones.
    """
    model_sd, optim_sd = get_state_dict(model, optimizer,
                                        options=StateDictOptions(full_state_dict=True, cpu_offload=True))
    final = checkpoint_dir(out_dir, step)
    if not is_writer:
        return final
    tmp = final.with_name(final.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_file({k: v.detach().to("cpu").contiguous().clone() for k, v in model_sd.items()}, str(tmp / MODEL_FILE))
    optim_tensors, optim_meta = _flatten_optimizer(optim_sd)
    save_file(optim_tensors, str(tmp / OPTIMIZER_FILE))
    (tmp / MODEL_CONFIG_FILE).write_text(json.dumps(model_config, indent=2))
    state = {"step": step, "optimizer": optim_meta, "scheduler": scheduler.state_dict(), "config": config,
             "metrics": metrics or {}, "data": data or {}}
    with open(tmp / STATE_FILE, "w") as fh:
        json.dump(state, fh, indent=1, default=_json_default)
        fh.flush()
        os.fsync(fh.fileno())
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    for old in list_checkpoints(out_dir)[:-keep] if keep > 0 else []:
        shutil.rmtree(old, ignore_errors=True)
    return final


def _json_default(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.item() if value.numel() == 1 else value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in a checkpoint's state.json")


def read_checkpoint_state(path: str | Path) -> CheckpointState:
    """Read `state.json` of a checkpoint folder (cheap: no tensors)."""
    path = Path(path)
    state_file = path / STATE_FILE
    if not state_file.is_file():
        raise CheckpointError(f"{path} is not a complete checkpoint (no {STATE_FILE}); "
                              f"pick one of the step-* folders under <out_dir>/{CHECKPOINTS_DIR}")
    state = json.loads(state_file.read_text())
    model_config = json.loads((path / MODEL_CONFIG_FILE).read_text())
    return CheckpointState(path=path, step=int(state["step"]), config=state["config"],
                           model_config=model_config, metrics=state.get("metrics", {}), data=state.get("data", {}))


def load_checkpoint(path: str | Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                    scheduler: torch.optim.lr_scheduler.LRScheduler) -> CheckpointState:
    """Restore model, optimizer and scheduler from checkpoint `path` (every rank calls this)."""
    info = read_checkpoint_state(path)
    raw = json.loads((info.path / STATE_FILE).read_text())
    model_sd = load_file(str(info.path / MODEL_FILE))
    optim_sd = _unflatten_optimizer(load_file(str(info.path / OPTIMIZER_FILE)), raw["optimizer"])
    try:
        set_state_dict(model, optimizer, model_state_dict=model_sd, optim_state_dict=optim_sd)
    except (RuntimeError, KeyError) as exc:
        raise CheckpointError(f"checkpoint {path} does not fit this model/optimizer: {exc}") from exc
    scheduler.load_state_dict(raw["scheduler"])
    return info
