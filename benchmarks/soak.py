"""Soak benchmark of the dataset store: W worker processes with overlapping units, killed at random.

Every worker loops over the same units (synthetic episodes, seeds 0..U-1, each worker in its own
order), writes each missing episode and then its value maps, and reports every successful write on
stdout. For the run's duration the parent kills a random worker with SIGKILL every few seconds and
starts a fresh one in its place. At the end one clean worker finishes what is missing, and the store
is checked in full:

- written: episode writes that returned True (value-map writes counted apart);
- duplicates: units written (True) more than once without overwrite (goal 0);
- corrupt-but-complete: complete episodes failing `validate --deep` or differing from the synthetic
  reference, or annotated with a live value version that is not whole (goal 0);
- lost: units reported written whose episode is not complete at the end, or units missing after the
  clean pass (goal 0).

    .venv/bin/python benchmarks/soak.py [--workers 4] [--units 24] [--minutes 3] [--kill-every 4]

writes the "Soak" section of benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np

from pipeline.record.store import DatasetStore
from pipeline.record.summary import validate_store
from pipeline.record.synthetic import synthetic_episode
from results import write_section

STEPS, SIZE = 24, (96, 128)
WORKER = f"""
import json, random, sys
from data_schemas.integrity import ClaimedError
from pipeline.record.store import DatasetStore
from pipeline.record.synthetic import synthetic_episode, synthetic_value_maps
store = DatasetStore.open(sys.argv[1], mode="a")
units, rng, passes = int(sys.argv[2]), random.Random(int(sys.argv[3])), int(sys.argv[4])
for _ in range(passes):
    order = list(range(units))
    rng.shuffle(order)
    for seed in order:
        ep = synthetic_episode(seed=seed, num_steps={STEPS}, image_size={SIZE})
        try:
            if store.write_episode(ep):
                print(json.dumps(["episode", seed]), flush=True)
            if store.value_params(ep.episode_id) is None:
                store.write_value(ep.episode_id, synthetic_value_maps(ep), {{"digest": "soak"}})
                print(json.dumps(["value", seed]), flush=True)
        except ClaimedError:
            pass
store.update_index()
"""


def start(path: Path, units: int, seed: int, passes: int, log: list) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", WORKER, str(path), str(units), str(seed), str(passes)],
                            stdout=subprocess.PIPE, text=True)

    def follow() -> None:
        for line in proc.stdout:
            log.append(json.loads(line))
    threading.Thread(target=follow, daemon=True).start()
    return proc


def soak(path: Path, workers: int, units: int, seconds: float, kill_every: float, seed: int) -> dict:
    rng = random.Random(seed)
    log: list = []
    procs = [start(path, units, rng.randrange(1 << 30), 10**6, log) for _ in range(workers)]
    kills, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(rng.uniform(0.2, 2 * kill_every))
        i = rng.randrange(workers)
        procs[i].kill()
        procs[i].wait()
        kills += 1
        procs[i] = start(path, units, rng.randrange(1 << 30), 10**6, log)
    for proc in procs:
        proc.kill()
        proc.wait()
    time.sleep(0.5)
    finisher = start(path, units, 0, 1, log)
    finisher.wait()
    time.sleep(0.5)
    store = DatasetStore.open(path)
    written = Counter(s for kind, s in log if kind == "episode")
    complete = {e for e, ok in store.episode_states().items() if ok}
    ids = {s: synthetic_episode(seed=s, num_steps=STEPS, image_size=SIZE).episode_id for s in range(units)}
    corrupt = set(validate_store(store, deep=True))
    for s, eid in ids.items():
        if eid in complete and eid not in corrupt:
            expected = synthetic_episode(seed=s, num_steps=STEPS, image_size=SIZE)
            stored = store.read_episode(eid)
            if any(not np.array_equal(stored.arrays[n], a) for n, a in expected.arrays.items()) or \
                    not np.all(stored.arrays["value/map"] == np.float16(0.5)):
                corrupt.add(eid)
    lost = {ids[s] for s in written if ids[s] not in complete} | {eid for eid in ids.values() if eid not in complete}
    return {"workers": workers, "units": units, "seconds": seconds, "kills": kills,
            "episode writes": sum(written.values()), "value writes": sum(1 for k, _ in log if k == "value"),
            "duplicates": sum(n - 1 for n in written.values() if n > 1), "corrupt but complete": len(corrupt),
            "lost": len(lost), "complete at end": len(complete)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--units", type=int, default=24)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--kill-every", type=float, default=4.0, help="mean seconds between kills")
    parser.add_argument("--rounds", type=int, default=1, help="independent stores, one after the other")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = []
    for r in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            rows.append(soak(Path(tmp) / "soak.zarr", args.workers, args.units, args.minutes * 60 / args.rounds,
                             args.kill_every, args.seed + r))
        print(rows[-1])
    keys = list(rows[0])
    table = "| " + " | ".join(keys) + " |\n|" + "---|" * len(keys) + "\n" + "\n".join(
        "| " + " | ".join(f"{r[k]:.0f}" if isinstance(r[k], float) else str(r[k]) for k in keys) + " |" for r in rows)
    write_section("Soak", f"`benchmarks/soak.py --workers {args.workers} --units {args.units} --minutes "
                          f"{args.minutes} --kill-every {args.kill_every} --rounds {args.rounds}`: synthetic episodes "
                          f"({STEPS} steps, 3 cameras {SIZE[0]}x{SIZE[1]}) and their value maps written by worker "
                          "processes over the same units in random orders, a random worker SIGKILLed and replaced "
                          "every ~kill-every s, then one clean pass; checked with validate --deep and against the "
                          "reference arrays. Goals: duplicates 0, corrupt but complete 0, lost 0. 2-core VM.\n\n"
                          + table)


if __name__ == "__main__":
    main()
