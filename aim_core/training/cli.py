"""`aim-train`: command-line entry of Stage I training (a thin parser over `train_stage1`).

    aim-train --config aim-tiny --dataset PATH --out DIR [--pretrained WAN_DIR] [--resume]
    aim-train --config-file DIR/train_config.json [--resume]     (what the train-stage1 flow runs)

Under `torchrun` every rank runs this same command; only rank 0 prints and writes files.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from aim_core.models.config import VARIANTS
from aim_core.training.config import OptimConfig, TrainConfig
from aim_core.training.model_presets import MODEL_PRESETS
from aim_core.training.preflight import TrainingInputError, check_resume, preflight
from data_schemas import ACTION_SPACES


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="aim-train", description="Stage I training of AIM (flow matching).")
    p.add_argument("--config", default="aim-tiny", choices=sorted(MODEL_PRESETS), help="model preset")
    p.add_argument("--config-file", type=Path, help="a full TrainConfig JSON (other run options are ignored)")
    p.add_argument("--dataset", help="AIM Zarr dataset (annotated)")
    p.add_argument("--out", help="run directory: checkpoints, TensorBoard logs, metrics.jsonl")
    p.add_argument("--pretrained", help="local Wan2.2-TI2V-5B-Diffusers folder for the video branch")
    p.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in --out")
    p.add_argument("--override-hparams", action="store_true",
                   help="with --resume: continue with hyperparameters that differ from the checkpoint's")
    p.add_argument("--tasks", help="comma-separated task names (default: all in the dataset)")
    p.add_argument("--settings", help="comma-separated settings, easy,hard (default: both)")
    p.add_argument("--max-episodes", type=int, help="at most this many demonstrations, spread evenly over the "
                   "selected tasks and settings (default: all)")
    p.add_argument("--variant", choices=list(VARIANTS),
                   help="aim (default); ablations: unified (actions also see future RGB), no-value (no value stream)")
    p.add_argument("--short-history", action="store_true",
                   help="also train every window from its current frame alone (no past actions), as at an "
                   "episode's first step, so the image must choose the actions (TrainConfig.short_history)")
    p.add_argument("--opening-repeats", type=int, default=TrainConfig.opening_repeats,
                   help="train each episode's opening window (no past actions) this many times per epoch "
                   "(TrainConfig.opening_repeats)")
    p.add_argument("--relative-targets", action="store_true",
                   help="predict arm joints as offsets from the measured joints at the current frame "
                   "(TrainConfig.relative_targets)")
    p.add_argument("--action-space", choices=list(ACTION_SPACES), default=TrainConfig.action_space,
                   help="joints: predict joint targets; tcp: predict both grippers' world poses, commanded through "
                   "inverse kinematics (TrainConfig.action_space)")
    p.add_argument("--steps", type=int, default=TrainConfig.steps)
    p.add_argument("--batch-size", type=int, default=TrainConfig.batch_size)
    p.add_argument("--lr", type=float, default=OptimConfig.lr, help="peak learning rate (> 0)")
    p.add_argument("--warmup-steps", type=int, default=OptimConfig.warmup_steps)
    p.add_argument("--seed", type=int, default=TrainConfig.seed)
    p.add_argument("--ema-decay", type=float, default=TrainConfig.ema_decay,
                   help="checkpoints act with a moving average of the weights, of at most this decay, e.g. 0.999 "
                   "(0: the last step's weights; TrainConfig.ema_decay)")
    p.add_argument("--checkpoint-every", type=int, default=TrainConfig.checkpoint_every)
    p.add_argument("--val-every", type=int, default=TrainConfig.val_every)
    p.add_argument("--log-every", type=int, default=TrainConfig.log_every)
    p.add_argument("--max-minutes", type=float, help="stop (with a checkpoint) after this wall-clock time")
    p.add_argument("--precision", choices=["auto", "fp32", "bf16"], default=TrainConfig.precision)
    p.add_argument("--parallel", choices=["auto", "none", "ddp", "fsdp2"], default=TrainConfig.parallel)
    p.add_argument("--activation-checkpointing", action="store_true")
    p.add_argument("--latent-cache", help="latent cache location (default: <out>/latent_cache)")
    p.add_argument("--cache-workers", type=int, default=TrainConfig.cache_workers,
                   help="processes encoding the latent cache on a CPU machine, one torch thread each (default 1)")
    p.add_argument("--preload-latents", action="store_true",
                   help="read the whole latent cache into memory once, for caches that fit in memory "
                   "(TrainConfig.preload_latents: faster windows)")
    return p


def _split(value: str | None) -> list[str] | None:
    return None if value is None else [v.strip() for v in value.split(",") if v.strip()]


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    if args.config_file is not None:
        try:
            return TrainConfig.from_dict(json.loads(args.config_file.read_text()))
        except OSError as exc:
            raise TrainingInputError(f"--config-file {args.config_file}: {exc.strerror or exc}") from exc
        except (TypeError, KeyError, AttributeError, ValueError) as exc:  # missing field, wrong type, bad JSON
            raise TrainingInputError(f"--config-file {args.config_file} is not a valid TrainConfig: {exc}") from exc
    if not args.dataset or not args.out:
        raise TrainingInputError("--dataset and --out are required (or give --config-file)")
    return TrainConfig(
        dataset=args.dataset, out_dir=args.out, model=args.config, pretrained=args.pretrained,
        model_overrides={"variant": args.variant} if args.variant else {},
        tasks=_split(args.tasks), settings=_split(args.settings),
        max_episodes=args.max_episodes, short_history=args.short_history,
        opening_repeats=args.opening_repeats, relative_targets=args.relative_targets,
        action_space=args.action_space, steps=args.steps,
        batch_size=args.batch_size,
        seed=args.seed, optim=OptimConfig(lr=args.lr, warmup_steps=args.warmup_steps), ema_decay=args.ema_decay,
        precision=args.precision, parallel=args.parallel, activation_checkpointing=args.activation_checkpointing,
        checkpoint_every=args.checkpoint_every, log_every=args.log_every, val_every=args.val_every,
        max_minutes=args.max_minutes, latent_cache=args.latent_cache, cache_workers=args.cache_workers,
        preload_latents=args.preload_latents)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    is_main = int(os.environ.get("RANK", "0")) == 0
    try:
        config = config_from_args(args)
        preflight(config)
        if args.resume:
            check_resume(config, override=args.override_hparams)
    except (TrainingInputError, ValueError) as exc:
        print(f"aim-train: {exc}", file=sys.stderr)
        return 2
    from aim_core.training.trainer import train_stage1  # heavy imports after the cheap checks

    result = train_stage1(config, resume=args.resume)
    if is_main:
        print(json.dumps({"checkpoint": str(result.checkpoint), "step": result.step,
                          "final_loss": result.final_loss, "stopped": result.stopped}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
