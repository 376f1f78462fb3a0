"""An exponential moving average of the Stage I weights, the weights a policy bundle acts with.

Why: the learning benchmark trains with batches of 4 windows, so the last optimizer step's weights are
one noisy sample around where the run has settled; diffusion policies (Diffusion Policy, LeRobot) act
with an average of the recent weights instead. The average is diffusers' `EMAModel` with its warm-up
(decay 1 - (1 + step)^-power, capped at `TrainConfig.ema_decay`), kept in place of the parameters'
own layout, so it works unchanged for DDP and FSDP2 (sharded parameters have sharded averages): to
save or validate with it, the averages are swapped into the parameters and back (`averaged_weights`).
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from diffusers.training_utils import EMAModel
from torch.distributed.checkpoint.state_dict import StateDictOptions, set_model_state_dict
from torch.distributed.tensor import DTensor

from aim_core.training.config import TrainConfig


def make_ema(model: torch.nn.Module, config: TrainConfig) -> EMAModel | None:
    """The moving average of `model`'s parameters, starting from them; None when `config.ema_decay` is 0."""
    if not config.ema_decay:
        return None
    # foreach kernels are one launch for all parameters, but DTensor (FSDP2's sharded parameters) has no
    # sharding rule for aten._foreach_copy_: the first save under FSDP2 failed with NotImplementedError
    sharded = any(isinstance(p, DTensor) for p in model.parameters())
    return EMAModel(model.parameters(), decay=config.ema_decay, use_ema_warmup=True, power=config.ema_power,
                    foreach=not sharded)


@contextlib.contextmanager
def averaged_weights(ema: EMAModel | None, model: torch.nn.Module) -> Iterator[None]:
    """Inside the block `model` holds the averaged weights (unchanged when `ema` is None); the trained
    weights are put back on exit, also after an error."""
    if ema is None:
        yield
        return
    ema.store(model.parameters())
    ema.copy_to(model.parameters())
    try:
        yield
    finally:
        ema.restore(model.parameters())


def restore_ema(ema: EMAModel, model: torch.nn.Module, averaged: dict[str, torch.Tensor], step: int) -> None:
    """Resume the average from a checkpoint: `averaged` is its bundle's (full) state dict, `step` the
    optimizer steps behind it. `model` keeps the trained weights it holds."""
    ema.store(model.parameters())
    try:
        set_model_state_dict(model, averaged, options=StateDictOptions(full_state_dict=True))
        ema.shadow_params = [p.detach().clone() for p in model.parameters()]
    finally:
        ema.restore(model.parameters())
    ema.optimization_step = step
