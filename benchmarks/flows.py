"""Benchmark of generate-dataset orchestration: throughput with 1 vs 2 local Dask workers, and the
orchestration overhead per episode against the same episodes produced by the plain library loop.

    .venv/bin/python benchmarks/flows.py --episodes 4 --resolution 96 128 --record-every 30 [--write]

Three fresh stores, same units each time: (a) plain loop without Prefect (produce -> annotate ->
commit), (b) the flow with workers=1, (c) the flow with workers=2, all against one temporary
Prefect server (SQLite). --write replaces the "Flows" section of benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

# this file is named flows.py: keep its folder off the path so `import flows` finds the package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from rich.console import Console  # noqa: E402
from rich.progress import track  # noqa: E402

from pipeline.annotate.annotate import annotate_episode  # noqa: E402
from pipeline.annotate.params import AnnotationParams  # noqa: E402
from pipeline.generate import DatasetSpec, commit_episode, missing_units, produce_episode, update_index  # noqa: E402

RESULTS = Path(__file__).with_name("RESULTS.md")
SECTION = "Flows"
console = Console()


def plain_loop(spec: DatasetSpec, output: str) -> tuple[float, list[float]]:
    """Wall time of the library steps alone, and the rollout seconds of each episode."""
    started = time.perf_counter()
    rollout_s = []
    params = AnnotationParams()
    for unit in track(missing_units(spec, output, params), description="plain loop", console=console):
        episode = produce_episode(unit, spec.rollout_config(), output)
        rollout_s.append(commit_episode(output, episode, annotate_episode(episode, params)).rollout_s)
    update_index(output)
    return time.perf_counter() - started, rollout_s


def flow_run(params: dict, workers: int) -> float:
    from flows.generate_dataset import generate_dataset

    started = time.perf_counter()
    summary = generate_dataset(**params, workers=workers)
    assert len(summary["written"]) == params["episodes_per_task"] * len(params["tasks"]), summary
    return time.perf_counter() - started


def write_section(markdown: str) -> None:
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    block = f"## {SECTION}\n\n{markdown.strip()}\n"
    pattern = re.compile(rf"^## {SECTION}\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(lambda _: block + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + block
    RESULTS.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=["stack_blocks_two"])
    parser.add_argument("--episodes", type=int, default=4, help="episodes per task")
    parser.add_argument("--resolution", type=int, nargs=2, default=(96, 128), metavar=("H", "W"))
    parser.add_argument("--record-every", type=int, default=30)
    parser.add_argument("--write", action="store_true", help=f"update the {SECTION} section of {RESULTS.name}")
    args = parser.parse_args()

    from prefect.testing.utilities import prefect_test_harness

    spec = DatasetSpec(tasks=args.tasks, episodes_per_task=args.episodes, settings=["easy"],
                       resolution=tuple(args.resolution), record_every=args.record_every)
    n = args.episodes * len(args.tasks)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="aim-bench-flows-") as tmp, prefect_test_harness(server_startup_timeout=300):
        plain_s, rollout_s = plain_loop(spec, f"{tmp}/plain.zarr")
        params = {"tasks": args.tasks, "episodes_per_task": args.episodes, "settings": ["easy"],
                  "resolution": list(args.resolution), "record_every": args.record_every}
        one_s = flow_run({**params, "output": f"{tmp}/one.zarr"}, workers=1)
        two_s = flow_run({**params, "output": f"{tmp}/two.zarr"}, workers=2)
    load_after = os.getloadavg()[0]

    mean_rollout = sum(rollout_s) / len(rollout_s)
    overhead_per_episode = (one_s - plain_s) / n
    rows = [("plain library loop (no Prefect)", plain_s), ("flow, 1 local Dask worker", one_s),
            ("flow, 2 local Dask workers", two_s)]
    markdown = "\n".join([
        f"Machine: 2-core CPU VM, lavapipe (Mesa 25); load average {load_before:.1f} before / "
        f"{load_after:.1f} after (other engineers' jobs share the cores, so figures are noisy).",
        f"Script: `.venv/bin/python benchmarks/flows.py --tasks {' '.join(args.tasks)} --episodes {args.episodes} "
        f"--resolution {args.resolution[0]} {args.resolution[1]} --record-every {args.record_every}` "
        f"({n} episodes per row, easy, annotated, one temporary Prefect server).",
        "",
        "| how | wall s | episodes/hour |",
        "|---|---|---|",
        *[f"| {name} | {secs:.1f} | {n * 3600 / secs:.1f} |" for name, secs in rows],
        "",
        f"- speed-up 2 vs 1 workers: **{one_s / two_s:.2f}x** (goal >= 1.8x)",
        f"- mean rollout time per episode: {mean_rollout:.1f} s; orchestration overhead per episode "
        f"(flow with 1 worker minus plain loop, incl. Dask cluster start and worker imports): "
        f"{overhead_per_episode:.1f} s = **{100 * overhead_per_episode / mean_rollout:.1f}%** of rollout time (goal <= 5%)",
    ])
    console.print(markdown)
    if args.write:
        write_section(markdown)
        console.print(f"wrote section '{SECTION}' of {RESULTS}")


if __name__ == "__main__":
    main()
