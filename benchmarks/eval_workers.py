"""Evaluation benchmark: wall time of one closed-loop evaluation in 1 process vs in N worker processes.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/eval_workers.py --checkpoint BUNDLE [--tasks click_bell]
        [--episodes 6] [--workers 2] [--step-limit-factor 1.5]

Both runs evaluate the same bundle on the same expert-solvable seeds (easy, from 100000, no reference
rows, no videos) with `aim_core.eval.evaluate_checkpoints`, one after the other in this process, and
must give the same episodes (seed, success, steps); the ratio is the speed-up `EvalConfig.workers`
buys on this machine. Setting up the workers (spawning, loading the policy and a simulator each) is
part of the measured time, as it is for a user.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import torch

from aim_core.eval.evaluate import EvalConfig, checkpoint_sim_config, evaluate_checkpoints


def timed(config: EvalConfig, bundle: str) -> tuple[float, list[tuple]]:
    clock = time.perf_counter()
    outcome = evaluate_checkpoints({"aim": bundle}, config)
    return time.perf_counter() - clock, [(r.seed, r.success, r.steps) for r in outcome.results]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True, help="a policy bundle")
    parser.add_argument("--tasks", default="click_bell")
    parser.add_argument("--episodes", type=int, default=6)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--step-limit-factor", type=float, default=1.5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as out:
        base = dict(tasks=args.tasks.split(","), settings=["easy"], episodes=args.episodes, videos=0,
                    reference_policies=False, step_limit_factor=args.step_limit_factor,
                    sim=checkpoint_sim_config(args.checkpoint))
        one_s, one = timed(EvalConfig(out_dir=str(Path(out) / "one"), **base), args.checkpoint)
        many_s, many = timed(EvalConfig(out_dir=str(Path(out) / "many"), workers=args.workers, **base),
                             args.checkpoint)
    if one != many:
        raise SystemExit(f"eval_workers: the {args.workers}-process run played other episodes: {one} vs {many}")
    print(json.dumps({"cpus": os.cpu_count(), "episodes": len(one), "policy_steps": sum(s for _, _, s in one),
                      "one_process_s": round(one_s, 1), f"{args.workers}_workers_s": round(many_s, 1),
                      "speed_up": round(one_s / many_s, 2), "load_average": os.getloadavg()}, indent=1))


if __name__ == "__main__":
    main()
