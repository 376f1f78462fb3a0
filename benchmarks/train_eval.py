"""Benchmark (not a test): train aim-tiny on CPU for a bounded time and evaluate it closed loop.

Records expert episodes of one or two easy tasks, trains aim-tiny twice for the same wall-clock
budget (variant aim, and the no-value ablation without a value stream), and
evaluates both next to the replayed expert and the trivial hold policy on expert-solvable
evaluation seeds. Prints training throughput and the success table as markdown for
benchmarks/RESULTS.md ("Train & eval").

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/train_eval.py --out /tmp/aim-bench --train-minutes 8
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

from aim_core.inference.policy import PolicyConfig
from aim_core.eval.chain import ChainConfig, eval_config, generate_annotated_dataset, train_config
from aim_core.eval.evaluate import evaluate_checkpoints
from aim_core.training.metrics_log import read_metrics
from aim_core.training.trainer import train_stage1


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--tasks", default="stack_blocks_two")
    p.add_argument("--episodes", type=int, default=6, help="recorded expert episodes per task")
    p.add_argument("--train-minutes", type=float, default=8.0)
    p.add_argument("--train-steps", type=int, default=5000)
    p.add_argument("--eval-episodes", type=int, default=3)
    args = p.parse_args()
    out = Path(args.out)
    chain = ChainConfig(out_dir=str(out), tasks=args.tasks.split(","), episodes_per_task=args.episodes,
                        train_steps=args.train_steps, train_minutes=args.train_minutes, eval_episodes=args.eval_episodes)
    figures: dict = {}
    start = time.perf_counter()
    dataset = generate_annotated_dataset(chain)
    figures["generate_s"] = round(time.perf_counter() - start, 1)
    checkpoints = {}
    shared_cache = str(out / "train-aim" / "latent_cache")  # both runs' tiny encoders are identical (same seed)
    for name, variant in (("aim", "aim"), ("aim-no-value", "no-value")):
        start = time.perf_counter()
        config = replace(train_config(replace(chain, variant=variant), dataset, out / f"train-{variant}"),
                         latent_cache=shared_cache)
        result = train_stage1(config, resume=True)
        rows = read_metrics(out / f"train-{variant}")
        figures[name] = {"steps": result.step, "train_s": round(time.perf_counter() - start, 1),
                         "final_loss": round(result.final_loss, 4), "first_loss": round(rows[0]["loss/total"], 4),
                         "samples_per_s": round(sum(r["throughput/samples_per_s"] for r in rows[-5:]) / min(5, len(rows)), 2)}
        checkpoints[name] = result.checkpoint
    start = time.perf_counter()
    outcome = evaluate_checkpoints(checkpoints, eval_config(chain, out / "eval"),
                                   PolicyConfig(num_inference_steps=chain.eval_sampling_steps))
    figures["eval_s"] = round(time.perf_counter() - start, 1)
    figures["episode_steps"] = {p: sum(r.steps for r in outcome.results if r.policy == p) for p in
                                dict.fromkeys(r.policy for r in outcome.results)}
    print(json.dumps(figures, indent=1))
    print(outcome.reports.markdown.read_text())
    (out / "figures.json").write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
