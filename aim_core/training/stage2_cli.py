"""`aim-train-stage2`: GRPO post-training of a Stage I policy bundle in the simulator (a thin parser).

    aim-train-stage2 --checkpoint RUN/checkpoints/step-003000 --tasks click_bell --out runs/stage2 \
        --iterations 20 --group-size 4 --workers 2

Writes `<out>/checkpoints/step-NNNNNN/` (policy bundles: `aim-eval --checkpoint` takes them),
`<out>/train_state/`, `<out>/stage2_metrics.jsonl` and `<out>/stage2_curve.png`; rerunning the same
command resumes from the newest checkpoint (`--no-resume` starts over in a fresh folder only).

This module is a composition root, like `flows/train_stage2.py`: the GRPO library
(`aim_core.training.stage2`) never imports the simulator; this entry point hands it the simulator
rollout source of `aim_core.eval.grpo_rollouts`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aim_core.training.grpo import GRPOHyper
from aim_core.training.stage2 import Stage2Config, Stage2InputError, check_stage2_inputs, curve_png, train_stage2


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(",") if x.strip())


def build_parser() -> argparse.ArgumentParser:
    d, h = Stage2Config(checkpoint="", out_dir="", tasks=[]), GRPOHyper()
    p = argparse.ArgumentParser(prog="aim-train-stage2", description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", required=True, help="Stage I policy bundle (variant 'aim': with a value stream)")
    p.add_argument("--tasks", required=True, help="comma-separated task names")
    p.add_argument("--out", required=True)
    p.add_argument("--settings", default="easy")
    p.add_argument("--iterations", type=int, default=d.iterations)
    p.add_argument("--groups", type=int, default=d.groups_per_iteration, help="(task, seed) groups per iteration")
    p.add_argument("--group-size", "-G", type=int, default=h.group_size, help="rollouts per group (>= 2)")
    p.add_argument("--lr", type=float, default=h.lr)
    p.add_argument("--clip-eps", type=float, default=h.clip_eps)
    p.add_argument("--kl", type=float, default=h.kl_coef, help="KL weight to the Stage I head (0: off)")
    p.add_argument("--lambda-dense", type=float, default=h.lambda_dense)
    p.add_argument("--lambda-sparse", type=float, default=h.lambda_sparse)
    p.add_argument("--updates", type=int, default=h.updates_per_iteration, help="gradient steps per iteration")
    p.add_argument("--noise-level", type=float, default=d.noise_level, help="Flow-GRPO SDE noise level a")
    p.add_argument("--sde-steps", type=_ints, default=d.sde_steps, help="stochastic denoising steps, e.g. 0,1")
    p.add_argument("--steps", type=int, help="denoising steps per chunk (default: the bundle's)")
    p.add_argument("--execute-frames", type=int)
    p.add_argument("--workers", type=int, default=1, help="rollout processes")
    p.add_argument("--max-steps", type=int, help="episode step limit (default 1.5 x the expert's)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--seed-start", type=int, default=0, help="first training seed (evaluation uses 100000+)")
    p.add_argument("--checkpoint-every", type=int, default=d.checkpoint_every)
    p.add_argument("--max-minutes", type=float)
    p.add_argument("--no-resume", action="store_true")
    return p


def config_from_args(args: argparse.Namespace) -> Stage2Config:
    hyper = GRPOHyper(group_size=args.group_size, clip_eps=args.clip_eps, kl_coef=args.kl, lr=args.lr,
                      lambda_dense=args.lambda_dense, lambda_sparse=args.lambda_sparse,
                      updates_per_iteration=args.updates)
    return Stage2Config(checkpoint=args.checkpoint, out_dir=args.out, tasks=[t for t in args.tasks.split(",") if t],
                        settings=[s for s in args.settings.split(",") if s], iterations=args.iterations,
                        groups_per_iteration=args.groups, seed=args.seed, seed_start=args.seed_start,
                        sampling_steps=args.steps, noise_level=args.noise_level, sde_steps=args.sde_steps,
                        execute_frames=args.execute_frames, grpo=hyper, checkpoint_every=args.checkpoint_every,
                        max_minutes=args.max_minutes)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from aim_core.eval.grpo_rollouts import sim_source

    try:
        config = config_from_args(args)
        source = sim_source(config.checkpoint, config.sampling_steps, config.execute_frames, config.sde,
                            workers=args.workers, max_steps=args.max_steps)
        check_stage2_inputs(config, source)
    except (ValueError, Stage2InputError) as exc:
        print(f"aim-train-stage2: {exc}", file=sys.stderr)
        return 2

    def report(row: dict) -> None:
        print(f"iteration {row['iteration']}/{config.iterations}: success {row['success']:.2f} "
              f"dense {row['dense_mean']:.3f} reward {row['reward_mean']:.3f} "
              f"({row['rollout_s']:.0f} s rollouts, {row['update_s']:.0f} s update)", flush=True)

    try:
        result = train_stage2(config, source, resume=not args.no_resume, on_iteration=report)
    finally:
        source.close()
    curve = Path(config.out_dir) / "stage2_curve.png"
    curve.write_bytes(curve_png(result.metrics, title=f"Stage II: {', '.join(config.tasks)}"))
    print(f"{result.stopped} at iteration {result.iteration}; checkpoint {result.checkpoint}; curve {curve}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
