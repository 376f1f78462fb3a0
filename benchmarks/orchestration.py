"""Benchmark of generate-dataset orchestration: throughput with 1 vs 2 local Dask workers, and the
orchestration overhead per episode against the same episodes produced by the plain library loop.

    .venv/bin/python benchmarks/orchestration.py --episodes 8 [--resolution 240 320 --record-every 15] [--write]

Fresh stores, the same units each time, one temporary Prefect server (SQLite):
- plain library loop without Prefect (produce -> annotate -> commit), run as one Dask task on a
  warmed-up worker (the same process settings as the flow's workers);
- cold: the flow with its own local cluster (`workers=1`, `workers=2`), as a default run gets:
  cluster start, worker imports and each process's one-off render warm-up are inside the time;
- warm: the flow on an already running cluster whose workers have rendered once (`dask_address`,
  as with docker/compose.yaml's long-lived workers), each worker with one core's thread pools, so
  1 vs 2 workers is 1 vs 2 cores (a cold run's single worker may use every core's lavapipe threads);
- the hardware's limit: the plain loop split over the two warm workers at once.
Overhead per episode = (warm flow with 1 worker - plain loop) / episodes. --write replaces the
"Flows" section of benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

from distributed import Client
from rich.console import Console

from pipeline.annotate.annotate import annotate_episode
from pipeline.annotate.params import AnnotationParams
from pipeline.generate import DatasetSpec, commit_episode, missing_units, produce_episode, update_index

from results import write_section

SECTION = "Flows"
console = Console()


WARM_UP_SEED = 10**6
"""Seed of the throwaway episode that warms a process's renderer (outside every measured unit)."""


def warm_up(spec: DatasetSpec) -> None:
    from pipeline.record.rollout import rollout_episode

    rollout_episode(spec.tasks[0], spec.settings[0], WARM_UP_SEED, spec.sim_config())


def plain_loop(spec: DatasetSpec, output: str, part: int = 0, parts: int = 1) -> tuple[float, list[float]]:
    """Wall time of the library steps alone on every `parts`-th unit from `part`, and each episode's rollout seconds."""
    started = time.perf_counter()
    rollout_s = []
    params = AnnotationParams()
    for unit in missing_units(spec, output, params)[part::parts]:
        episode = produce_episode(unit, spec.sim_config(), output)
        rollout_s.append(commit_episode(output, episode, annotate_episode(episode, params)).rollout_s)
    update_index(output)
    return time.perf_counter() - started, rollout_s


def flow_run(params: dict, **where) -> float:
    """Wall time of one generate-dataset run; `where`: workers=N (own local cluster) or dask_address."""
    from flows.generate_dataset import generate_dataset

    started = time.perf_counter()
    summary = generate_dataset(**params, **where)
    assert len(summary["written"]) == params["episodes_per_task"] * len(params["tasks"]), summary
    return time.perf_counter() - started


def side_by_side_plain_loops(client: Client, spec: DatasetSpec, output: str) -> float:
    """Wall time of the plain loop split over every worker at once: what the hardware allows, no Prefect."""
    workers = sorted(client.scheduler_info()["workers"])
    started = time.perf_counter()
    futures = [client.submit(plain_loop, spec, output, i, len(workers), workers=[w], pure=False)
               for i, w in enumerate(workers)]
    client.gather(futures)
    return time.perf_counter() - started


def run_split(since: datetime) -> tuple[float, float]:
    """(fixed seconds, seconds between tasks) of the newest generate-dataset run started after `since`,
    from Prefect's own records. Fixed: flow start to first rollout plus last commit to flow end."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterStartTime
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as api:
        run = api.read_flow_runs(flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(after_=since)),
                                 sort=FlowRunSort.START_TIME_DESC, limit=1)[0]
        tasks = [t for t in api.read_task_runs(flow_run_filter=FlowRunFilter(id={"any_": [run.id]}))
                 if t.name.split("-")[0] in ("rollout", "annotate", "commit")]
    first = min(t.start_time for t in tasks)
    last = max(t.end_time for t in tasks)
    fixed = (first - run.start_time).total_seconds() + (run.end_time - last).total_seconds()
    busy = sum(t.total_run_time.total_seconds() for t in tasks)
    return fixed, (last - first).total_seconds() - busy


@contextmanager
def warm_cluster(spec: DatasetSpec, workers: int) -> Iterator[tuple[str, Client]]:
    """A running local cluster whose every worker has one core's thread pools (LP_NUM_THREADS=1 ...)
    and has rendered an episode: adding a worker adds a core, as on a real cluster."""
    from distributed import LocalCluster

    from flows.task_runner import local_cluster_kwargs

    with LocalCluster(**local_cluster_kwargs(workers, cores=workers)) as cluster, Client(cluster) as client:
        client.run(warm_up, spec)
        yield cluster.scheduler_address, client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=["stack_blocks_two"])
    parser.add_argument("--episodes", type=int, default=8, help="episodes per task")
    defaults = DatasetSpec()  # what a generate-dataset run without parameters records
    parser.add_argument("--resolution", type=int, nargs=2, default=defaults.resolution, metavar=("H", "W"))
    parser.add_argument("--record-every", type=int, default=defaults.record_every)
    parser.add_argument("--write", action="store_true", help=f"update the {SECTION} section of RESULTS.md")
    args = parser.parse_args()

    from prefect.testing.utilities import prefect_test_harness

    spec = DatasetSpec(tasks=args.tasks, episodes_per_task=args.episodes, settings=["easy"],
                       resolution=tuple(args.resolution), record_every=args.record_every)
    n = args.episodes * len(args.tasks)
    params = {"tasks": args.tasks, "episodes_per_task": args.episodes, "settings": ["easy"],
              "resolution": list(args.resolution), "record_every": args.record_every}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="aim-bench-flows-") as tmp, prefect_test_harness(server_startup_timeout=300):
        cold = {w: flow_run({**params, "output": f"{tmp}/cold{w}.zarr"}, workers=w) for w in (1, 2)}
        warm = {}
        with warm_cluster(spec, 1) as (address, client):
            plain_s, rollout_s = client.submit(plain_loop, spec, f"{tmp}/plain.zarr", pure=False).result()
            since = datetime.now(timezone.utc)
            warm[1] = flow_run({**params, "output": f"{tmp}/warm1.zarr"}, dask_address=address)
            fixed_s, between_s = run_split(since)
        with warm_cluster(spec, 2) as (address, client):
            ceiling_s = side_by_side_plain_loops(client, spec, f"{tmp}/plain2.zarr")
            warm[2] = flow_run({**params, "output": f"{tmp}/warm2.zarr"}, dask_address=address)
    load_after = os.getloadavg()[0]

    mean_rollout = sum(rollout_s) / len(rollout_s)
    overhead_per_episode = (warm[1] - plain_s) / n
    rows = [("plain library loop (no Prefect) on a warmed-up single-core worker", plain_s),
            ("plain library loop split over 2 warmed-up single-core workers at once (the hardware's limit)", ceiling_s),
            ("flow, own local cluster, 1 worker (cold)", cold[1]), ("flow, own local cluster, 2 workers (cold)", cold[2]),
            ("flow, running warmed-up cluster, 1 single-core worker", warm[1]),
            ("flow, running warmed-up cluster, 2 single-core workers", warm[2])]
    markdown = "\n".join([
        f"Machine: 2-core CPU VM, lavapipe (Mesa 25); load average {load_before:.1f} before / {load_after:.1f} after.",
        f"Script: `.venv/bin/python benchmarks/orchestration.py --tasks {' '.join(args.tasks)} --episodes {args.episodes} "
        f"--resolution {args.resolution[0]} {args.resolution[1]} --record-every {args.record_every}` "
        f"({n} episodes per row, easy, annotated, one temporary Prefect server).",
        "",
        "| how | wall s | episodes/hour |",
        "|---|---|---|",
        *[f"| {name} | {secs:.1f} | {n * 3600 / secs:.1f} |" for name, secs in rows],
        "",
        f"- speed-up 2 vs 1 workers: **{warm[1] / warm[2]:.2f}x** on running workers (goal >= 1.8x); "
        f"{cold[1] / cold[2]:.2f}x when each run starts its own cluster ({n} episodes). Two plain processes "
        f"side by side reach {plain_s / ceiling_s:.2f}x on this machine, so Prefect + Dask keep "
        f"**{100 * (warm[1] / warm[2]) / (plain_s / ceiling_s):.0f}%** of what the hardware allows",
        f"- mean rollout time per episode: {mean_rollout:.1f} s; orchestration overhead per episode "
        f"(warm flow with 1 worker minus plain loop): {overhead_per_episode:.2f} s = "
        f"**{100 * overhead_per_episode / mean_rollout:.1f}%** of rollout time (goal <= 5%). From Prefect's "
        f"records of that run: {fixed_s:.1f} s once per run (flow start to first rollout, last commit to flow end) "
        f"and {between_s / n:.2f} s per episode between its tasks = **{100 * between_s / n / mean_rollout:.1f}%** "
        f"of rollout time per episode beyond the fixed cost",
        f"- cold rows use the flow's defaults (a lone local worker's lavapipe gets every core's threads, so "
        f"cold 1 vs 2 workers is not 1 vs 2 cores); each cold worker pays its start, imports and first "
        f"render compile inside the run",
    ])
    console.print(markdown)
    if args.write:
        write_section(SECTION, markdown)


if __name__ == "__main__":
    main()
