"""The whole AIM chain at small scale: generate -> annotate -> train aim-tiny briefly -> evaluate.

One function a README job (or a person) can run on a CPU machine to see every stage work on real
simulator data: expert episodes recorded in SAPIEN and annotated with value maps, a Stage I
run of aim-tiny, and a closed-loop evaluation against the expert and the trivial policy.

    python -m aim_core.eval.chain --out runs/chain --tasks stack_blocks_two --episodes 4 --train-minutes 5
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from aim_core.eval.evaluate import EvalConfig, EvalOutcome, evaluate_checkpoints
from aim_core.inference.policy import PolicyConfig
from aim_core.training.config import OptimConfig, TrainConfig
from aim_core.training.trainer import TrainResult, train_stage1
from pipeline.generate import DatasetSpec, generate_locally
from pipeline.sim.config import SimConfig

console = Console(stderr=True)


@dataclass
class ChainConfig:
    """Small-scale settings of every stage (camera sides must be multiples of 16 for aim-tiny)."""

    out_dir: str
    tasks: list[str] = field(default_factory=lambda: ["stack_blocks_two"])
    settings: list[str] = field(default_factory=lambda: ["easy"])
    episodes_per_task: int = 4
    image_size: tuple[int, int] = (64, 80)
    record_every: int = SimConfig().record_every
    seed: int = 0
    expert_noise_rad: float = 0.0
    """`DatasetSpec.expert_noise_rad`: DART-style noise in the expert's execution (0: exact)."""
    workers: int = 1
    """Processes recording the demonstrations (`generate_locally`)."""
    train_steps: int = 300
    train_minutes: float | None = 5.0
    batch_size: int = 2
    lr: float = 1e-3
    variant: str = "aim"
    """`AIMConfig.variant`: aim, or the ablations unified / no-value."""
    eval_episodes: int = 2
    eval_sampling_steps: int = 6


@dataclass
class ChainResult:
    dataset: Path
    training: TrainResult
    evaluation: EvalOutcome


def generate_annotated_dataset(config: ChainConfig) -> Path:
    """Record and annotate the missing expert episodes of the chain's dataset (idempotent)."""
    output = Path(config.out_dir) / "dataset.zarr"
    spec = DatasetSpec(tasks=config.tasks, episodes_per_task=config.episodes_per_task, settings=config.settings,
                       seed=config.seed, resolution=tuple(config.image_size), record_every=config.record_every,
                       expert_noise_rad=config.expert_noise_rad)
    generate_locally(spec, output, workers=config.workers, on_result=lambda r: console.log(
        f"{r.episode_id}: success={r.success}, {r.num_steps} steps"))
    return output


def train_config(config: ChainConfig, dataset: Path, out_dir: Path) -> TrainConfig:
    return TrainConfig(dataset=str(dataset), out_dir=str(out_dir), model="aim-tiny",
                       model_overrides={"variant": config.variant}, tasks=config.tasks, settings=config.settings,
                       steps=config.train_steps, batch_size=config.batch_size, seed=config.seed,
                       optim=OptimConfig(lr=config.lr, warmup_steps=min(50, config.train_steps // 10)),
                       max_minutes=config.train_minutes, checkpoint_every=100, val_every=max(1, config.train_steps // 2),
                       log_every=10)


def eval_config(config: ChainConfig, out_dir: Path) -> EvalConfig:
    return EvalConfig(tasks=config.tasks, out_dir=str(out_dir), settings=config.settings,
                      episodes=config.eval_episodes, step_limit_factor=1.5, videos=1,
                      sim=SimConfig(image_size=tuple(config.image_size), record_every=config.record_every))


def run_small_chain(config: ChainConfig) -> ChainResult:
    """generate -> annotate -> train -> evaluate, each stage resuming what an earlier call left."""
    out = Path(config.out_dir)
    console.rule("generate + annotate")
    dataset = generate_annotated_dataset(config)
    console.rule("train aim-tiny")
    training = train_stage1(train_config(config, dataset, out / "train"), resume=True)
    console.rule("evaluate")
    policy = PolicyConfig(num_inference_steps=config.eval_sampling_steps)
    evaluation = evaluate_checkpoints({"aim": training.checkpoint}, eval_config(config, out / "eval"), policy)
    console.print(evaluation.reports.markdown.read_text())
    return ChainResult(dataset=dataset, training=training, evaluation=evaluation)


def main(argv: list[str] | None = None) -> int:
    defaults = ChainConfig(out_dir="")
    p = argparse.ArgumentParser(prog="python -m aim_core.eval.chain", description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--tasks", default=",".join(defaults.tasks))
    p.add_argument("--settings", default=",".join(defaults.settings))
    p.add_argument("--episodes", type=int, default=defaults.episodes_per_task, help="recorded episodes per task/setting")
    p.add_argument("--train-steps", type=int, default=defaults.train_steps)
    p.add_argument("--train-minutes", type=float, default=defaults.train_minutes)
    p.add_argument("--eval-episodes", type=int, default=defaults.eval_episodes)
    args = p.parse_args(argv)
    config = ChainConfig(out_dir=args.out, tasks=args.tasks.split(","), settings=args.settings.split(","),
                         episodes_per_task=args.episodes, train_steps=args.train_steps,
                         train_minutes=args.train_minutes, eval_episodes=args.eval_episodes)
    result = run_small_chain(config)
    console.log(f"checkpoint {result.training.checkpoint}; tables {result.evaluation.reports.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
