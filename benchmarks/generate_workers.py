"""Generation benchmark: wall time of recording and annotating N expert episodes in 1 process vs in N worker processes.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/generate_workers.py [--task stack_blocks_two] [--episodes 8]
        [--workers 2] [--height 96 --width 128]

Both runs record the same seeds (easy, from 0) into a new store each with `generate_locally` (the loop of
`aim-rollout`, the small chain and `benchmarks/learning.py`), one after the other in this process, and must
store the same episodes (ids, steps, actions); the ratio is the speed-up `workers` buys on this machine.
Spawning the workers and loading a simulator in each is part of the measured time, as it is for a user.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from pipeline.generate import DatasetSpec, generate_locally
from pipeline.record.store import DatasetStore


def timed(spec: DatasetSpec, out: Path, workers: int) -> tuple[float, dict[str, np.ndarray]]:
    """Seconds to generate `spec` into `out`, and each stored episode's actions by id."""
    clock = time.perf_counter()
    results = generate_locally(spec, out, workers=workers)
    seconds = time.perf_counter() - clock
    store = DatasetStore.open(out, mode="r")
    return seconds, {r.episode_id: store.read_episode(r.episode_id, names=["action"]).arrays["action"]
                     for r in results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", default="stack_blocks_two")
    parser.add_argument("--episodes", type=int, default=8)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--height", type=int, default=96)
    parser.add_argument("--width", type=int, default=128)
    args = parser.parse_args()
    spec = DatasetSpec(tasks=[args.task], settings=["easy"], episodes_per_task=args.episodes, seed=0,
                       resolution=(args.height, args.width))
    with tempfile.TemporaryDirectory() as out:
        one_s, one = timed(spec, Path(out) / "one.zarr", 1)
        many_s, many = timed(spec, Path(out) / "many.zarr", args.workers)
    if one.keys() != many.keys() or not all(np.array_equal(one[k], many[k]) for k in one):
        raise SystemExit(f"generate_workers: the {args.workers}-process run stored other episodes")
    print(json.dumps({"cpus": os.cpu_count(), "task": args.task, "episodes": len(one),
                      "steps": sum(len(a) for a in one.values()), "one_process_s": round(one_s, 1),
                      f"{args.workers}_workers_s": round(many_s, 1), "speed_up": round(one_s / many_s, 2),
                      "episodes_per_min": {"one": round(60 * len(one) / one_s, 1),
                                           "workers": round(60 * len(one) / many_s, 1)},
                      "load_average": os.getloadavg()}, indent=1))


if __name__ == "__main__":
    main()
