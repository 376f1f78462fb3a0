"""Process-group set-up and model wrapping for single-process, DDP and FSDP2 training.

`torchrun` sets RANK / WORLD_SIZE / LOCAL_RANK; without them the run is a single process.
NCCL on CUDA, gloo on CPU (so DDP is exercised by the tests on a CPU-only machine).
"""
from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class DistContext:
    """Where this process sits in the job."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def init_distributed(force_cpu: bool = False) -> DistContext:
    """Join the torchrun process group if there is one; pick the device of this rank."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = torch.cuda.is_available() and not force_cpu
    device = torch.device("cuda", local_rank) if use_cuda else torch.device("cpu")
    if use_cuda:
        torch.cuda.set_device(device)
    if world_size > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo",
                                timeout=datetime.timedelta(minutes=30))
    return DistContext(rank=rank, world_size=world_size, local_rank=local_rank, device=device)


def shutdown_distributed() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def resolve_parallel(requested: str, ctx: DistContext, model_name: str) -> str:
    """Turn "auto" into none / ddp / fsdp2: sharding only pays off for the 5B model."""
    if requested != "auto":
        if requested != "none" and not ctx.distributed:
            return "none"
        return requested
    if not ctx.distributed:
        return "none"
    return "fsdp2" if model_name.endswith("5b") else "ddp"


def distributed_objective(model: nn.Module, objective: nn.Module, ctx: DistContext, parallel: str,
                          blocks: list[nn.Module], bf16: bool) -> nn.Module:
    """The module a training step calls: `objective` (the loss around `model`) in DDP, or as it is once FSDP2 has
    sharded `model` in place (one shard unit per transformer block, bf16 params, fp32 reductions). State dicts
    are read from `model` itself.

    DDP wraps the whole objective, not the model, because its reducer expects one forward per backward: the
    loss calls a model with an action prior twice (the prior, then the transformer), and gradients of the first
    call were marked ready twice. Unused-parameter detection is on because a window at an episode's first step
    has no past actions (no padding, `windows.py`): the past-action stream takes no part in that batch's loss,
    and without it DDP waited for those gradients and failed at the next step."""
    if parallel == "ddp":
        return nn.parallel.DistributedDataParallel(
            objective, device_ids=[ctx.device.index] if ctx.device.type == "cuda" else None,
            find_unused_parameters=True)
    if parallel == "fsdp2":
        from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard

        policy = MixedPrecisionPolicy(param_dtype=torch.bfloat16, reduce_dtype=torch.float32) if bf16 \
            else MixedPrecisionPolicy()
        for block in blocks:
            fully_shard(block, mp_policy=policy)
        fully_shard(model, mp_policy=policy)
    return objective
