"""Stage I training of AIM: flow-matching on future RGB, value-map and action tokens.

One `train_stage1(config)` call runs (or resumes) a run in this process; under `torchrun` every
rank calls it and the loss is wrapped in DDP (or the model sharded by FSDP2). The run is deterministic for a fixed
seed on CPU: batches and noise of step `s` depend only on (seed, s, rank), and the optimizer,
scheduler and weights are restored from the checkpoint, so a resumed run reproduces the loss
sequence of an uninterrupted one. SIGTERM / Ctrl-C finish the current step, write a checkpoint
and return, so an interruption loses at most the step in flight.
"""
from __future__ import annotations

import contextlib
import math
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from aim_core.models.aim_model import AIMModel
from aim_core.models.config import AIMConfig
from aim_core.training.checkpoint import (BundleParts, bundle_weights, latest_checkpoint, load_checkpoint,
                                          save_checkpoint)
from aim_core.training.config import TrainConfig
from aim_core.training.data_source import TrainingData, open_training_data, prepare_training_data
from aim_core.training.distributed import (DistContext, distributed_objective, init_distributed, resolve_parallel,
                                            shutdown_distributed)
from aim_core.training.ema import averaged_weights, make_ema, restore_ema
from aim_core.training.flow_matching import FlowMatchingConfig, FlowMatchingObjective
from aim_core.training.metrics_log import TrainingLog
from aim_core.training.model_presets import NOISE_SCHEDULES, build_model, model_blocks, run_model_config
from aim_core.training.sampling import StepBatchSampler, step_seed
from aim_core.training.schedule import warmup_cosine_scheduler
from aim_core.training.validation import validation_image


@dataclass
class TrainResult:
    """Where a run ended."""

    checkpoint: Path
    step: int
    final_loss: float
    stopped: str
    """"completed", "time_budget" or "interrupted"."""


class _StopRequest:
    """Turns SIGTERM / SIGINT into a flag checked between steps (restores handlers on exit)."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> "_StopRequest":
        with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        self.requested = True

    def __exit__(self, *exc: Any) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def _param_groups(model: torch.nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """No weight decay on biases, norms, embeddings-like vectors (1-D parameters)."""
    decay, no_decay = [], []
    for param in model.parameters():
        if param.requires_grad:
            (decay if param.ndim >= 2 else no_decay).append(param)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


BF16_MIN_PARAMETERS = 100_000_000
"""`precision="auto"` uses bf16 autocast on CUDA from this model size up. Below it a step is bound by kernel
launches, not arithmetic, and autocast only adds cast kernels: aim-small (2.8 M) on an H200 took 0.176 s a step
with bf16 autocast vs 0.124 s in fp32 (RESULTS, GPU check)."""


def _uses_bf16(precision: str, device: torch.device, parameters: int) -> bool:
    """bf16 autocast when asked for, or by default on CUDA for models of `BF16_MIN_PARAMETERS` and more."""
    return precision == "bf16" or (precision == "auto" and device.type == "cuda" and parameters >= BF16_MIN_PARAMETERS)


def _mean_over_ranks(values: dict[str, float], ctx: DistContext) -> dict[str, float]:
    if not ctx.distributed:
        return values
    keys = sorted(values)
    t = torch.tensor([values[k] for k in keys], dtype=torch.float64, device=ctx.device)
    dist.all_reduce(t)
    return {k: float(v) / ctx.world_size for k, v in zip(keys, t.tolist())}


def _agree(flag: bool, ctx: DistContext) -> bool:
    """True on every rank when any rank says True (stop decisions must be collective)."""
    if not ctx.distributed:
        return flag
    t = torch.tensor([int(flag)], device=ctx.device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


class StageOneTrainer:
    """Builds data, model, optimizer and logs for one run; `run()` trains to the end."""

    def __init__(self, config: TrainConfig, resume: bool = False, ctx: DistContext | None = None):
        self.config = config
        self.ctx = ctx or init_distributed()
        self.out_dir = Path(config.out_dir)
        torch.manual_seed(config.seed)
        if self.ctx.is_main:
            prepare_training_data(config)
        if self.ctx.distributed:
            dist.barrier()
        self.data: TrainingData = open_training_data(config)
        self.loss_config = FlowMatchingConfig(**config.loss)
        self.model_config: AIMConfig = run_model_config(config.model, config.model_overrides,
                                                        self.data.model_requirements())
        self.model: AIMModel = build_model(self.model_config, config.pretrained).to(self.ctx.device)
        if self.model.reads_scene_statistics:  # a resumed run loads its own below
            self.model.set_scene_statistics(self.data.windows.opening_frames())
        self.model.gradient_checkpointing = config.activation_checkpointing
        self.noise_schedule = NOISE_SCHEDULES[config.model]  # the sampler must use the same one: save it too
        self.action_codec = self.data.windows.codec  # the bundle's action_codec/: the statistics the windows used
        self.bf16 = _uses_bf16(config.precision, self.ctx.device, sum(p.numel() for p in self.model.parameters()))
        self.parallel = resolve_parallel(config.parallel, self.ctx, config.model)
        objective = FlowMatchingObjective(self.model, self.loss_config, self.noise_schedule)
        self.objective = distributed_objective(self.model, objective, self.ctx, self.parallel, model_blocks(self.model),
                                               self.bf16)
        opt = config.optim
        self.optimizer = torch.optim.AdamW(_param_groups(self.model, opt.weight_decay), lr=opt.lr, betas=opt.betas)
        self.scheduler = warmup_cosine_scheduler(self.optimizer, opt.warmup_steps, config.steps, opt.min_lr_ratio)
        self.sampler = StepBatchSampler(self.data.history_groups(), config.batch_size, config.seed, self.ctx.rank,
                                        self.ctx.world_size)
        self.ema = make_ema(self.model, config)
        self.start_step = 0
        if resume:
            found = latest_checkpoint(self.out_dir)
            if found is not None:
                self.start_step = load_checkpoint(found, self.model, self.optimizer, self.scheduler).step
                if self.ema is not None:
                    restore_ema(self.ema, self.model, bundle_weights(found), self.start_step)
        self.log = TrainingLog(self.out_dir, resume_step=self.start_step) if self.ctx.is_main else None
        if self.ctx.is_main:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            (self.out_dir / "train_config.json").write_text(config.to_json())

    def _checkpoint(self, step: int, metrics: dict[str, float]) -> Path:
        bundle = BundleParts(codec=self.action_codec, schedule=self.noise_schedule, spec=self.data.policy_spec(),
                             encoders_source=self.data.encoders_source)
        return save_checkpoint(self.out_dir, step, self.model, self.optimizer, self.scheduler,
                               config=self.config.to_dict(), bundle=bundle, metrics=metrics,
                               data=self.data.metadata(), keep=self.config.keep_checkpoints, is_writer=self.ctx.is_main,
                               ema=self.ema)

    def _train_step(self, step: int) -> tuple[float, dict[str, float], float, float]:
        """One optimizer step: (loss, loss terms, grad norm, seconds spent assembling the batch)."""
        seed = step_seed(self.config.seed, step, self.ctx.rank)
        torch.manual_seed(seed)
        generator = torch.Generator(device=self.ctx.device).manual_seed(seed)
        fetch_start = time.perf_counter()
        batch = self.data.batch(self.sampler.indices(step), self.ctx.device)
        data_s = time.perf_counter() - fetch_start
        self.objective.train()
        autocast = torch.autocast(self.ctx.device.type, dtype=torch.bfloat16) if self.bf16 else contextlib.nullcontext()
        with autocast:
            loss, terms = self.objective(batch, generator=generator)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"loss is {loss.item()} at step {step}; lower optim.lr or check the data "
                                     f"(terms: {terms}); the last checkpoint is untouched")
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.optim.grad_clip)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        if self.ema is not None:
            self.ema.step(self.model.parameters())
        return float(loss.detach()), {k: float(v) for k, v in terms.items()}, float(grad_norm), data_s

    def _validate(self, step: int) -> None:
        """A validation image of the weights the step's bundle acts with (the average, when kept)."""
        sharded_root = self.parallel == "fsdp2"
        with averaged_weights(self.ema, self.model):
            if sharded_root:  # the rollout calls submodules of the root directly: gather the root's own params
                self.model.unshard()
            try:
                image = validation_image(self.model, self.noise_schedule, self.data, step)
            finally:
                if sharded_root:
                    self.model.reshard()
        if self.log is not None:
            self.log.image(step, "validation/future", image)

    def run(self) -> TrainResult:
        cfg = self.config
        if self.start_step >= cfg.steps:  # resumed a finished run: nothing to do
            return TrainResult(checkpoint=latest_checkpoint(self.out_dir), step=self.start_step,
                               final_loss=math.nan, stopped="completed")
        started = time.perf_counter()
        window_start, window_steps, window_data_s = started, 0, 0.0
        loss_value, metrics = math.nan, {}
        stopped = "completed"
        step = self.start_step
        progress = Progress(TextColumn("[bold]train[/]"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("loss {task.fields[loss]:.4f}"), TimeRemainingColumn(),
                            console=Console(stderr=True), disable=not self.ctx.is_main)
        with _StopRequest() as stop, progress:
            bar = progress.add_task("train", total=cfg.steps, completed=step, loss=math.nan)
            while step < cfg.steps:
                loss_value, terms, grad_norm, data_s = self._train_step(step)
                step += 1
                window_steps += 1
                window_data_s += data_s
                progress.update(bar, completed=step, loss=loss_value)
                if step % cfg.log_every == 0 or step == cfg.steps:
                    elapsed = time.perf_counter() - window_start
                    metrics = _mean_over_ranks({"loss/total": loss_value, **{f"loss/{k}": v for k, v in terms.items()},
                                                "grad_norm": grad_norm}, self.ctx)
                    metrics["lr"] = self.scheduler.get_last_lr()[0]
                    if self.ema is not None:
                        metrics["ema_decay"] = self.ema.cur_decay_value
                    metrics["throughput/steps_per_s"] = window_steps / elapsed
                    metrics["throughput/samples_per_s"] = window_steps * cfg.batch_size * self.ctx.world_size / elapsed
                    # where a step's time goes (is a GPU run data-bound?): batch assembly vs everything else
                    metrics["time/step_s"] = elapsed / window_steps
                    metrics["time/data_s"] = window_data_s / window_steps
                    metrics["epoch"] = self.sampler.epoch_of(step)
                    if self.log is not None:
                        self.log.scalars(step, metrics)
                    window_start, window_steps, window_data_s = time.perf_counter(), 0, 0.0
                if cfg.val_every and step % cfg.val_every == 0:
                    self._validate(step)
                over_budget = cfg.max_minutes is not None and time.perf_counter() - started > 60 * cfg.max_minutes
                interrupted = _agree(stop.requested, self.ctx)
                if _agree(over_budget, self.ctx) or interrupted:
                    stopped = "interrupted" if interrupted else "time_budget"
                    break
                if step % cfg.checkpoint_every == 0 and step < cfg.steps:
                    self._checkpoint(step, metrics)
        final = self._checkpoint(step, metrics)
        if cfg.val_every and step % cfg.val_every:
            self._validate(step)
        if self.log is not None:
            self.log.close()
        return TrainResult(checkpoint=final, step=step, final_loss=loss_value, stopped=stopped)


def train_stage1(config: TrainConfig, resume: bool = False) -> TrainResult:
    """Run (or with `resume`, continue) Stage I training described by `config`."""
    try:
        return StageOneTrainer(config, resume=resume).run()
    finally:
        shutdown_distributed()
