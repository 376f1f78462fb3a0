"""The `generate-dataset` flow: plan missing units -> rollout -> annotate -> commit -> index -> report.

Thin by design: every task calls one function of `pipeline.generate` / `pipeline.annotate`,
which work without Prefect. The flow adds what a person running a large job needs: retries
of simulator crashes, scale-out on Dask, a bounded number of episodes in flight (memory),
resumability (the plan asks the store what is missing), and artifacts to watch in the UI.
"""
from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Iterator
from typing import Annotated, Literal

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture, as_completed
from pydantic import Field

from data_schemas.location import default_dataset
from data_schemas.spec import Setting
from pipeline.annotate.annotate import annotate_episode
from pipeline.annotate.params import AnnotationParams
from pipeline.generate import (CommitResult, DatasetSpec, EpisodeUnit, commit_episode, dataset_report,
                               missing_units, produce_episode, update_index)
from pipeline.generate.plan import (ALL_TASKS, EpisodeCount, ExpertNoiseRad, Pixels, RecordEvery, Seed,
                                    normalize_output)
from pipeline.sim.config import SimConfig
from pipeline.tasks import list_tasks

from flows.progress import StepProgress, record_parameters
from flows.task_runner import dask_task_runner, runner_workers

DEFAULT_OUTPUT = default_dataset()
"""Where a run writes when no `output` is given ($AIM_DATASET sets it for a whole deployment, docker/)."""
DEFAULT_DASK_ADDRESS = os.environ.get("AIM_DASK_ADDRESS", "")
"""Scheduler used when no `dask_address` is given; empty: a local cluster sized to the machine."""
TaskName = Literal[tuple([ALL_TASKS, *sorted(list_tasks())])]  # type: ignore[valid-type]
"""Task names as an enum in the deployment's parameter schema: the server rejects unknown ones."""
WorkerCount = Annotated[int, Field(ge=0, le=1024, description="local Dask workers; 0: one per core")]
UNITS_IN_FLIGHT_PER_WORKER = 2
"""Episodes submitted ahead per worker: keeps workers busy while bounding episodes held in memory."""
_DEFAULTS = DatasetSpec()


def _simulator_crash(task, task_run, state) -> bool:
    """Retry crashes; never retry bad input (unknown task, schema errors), which fails the same way again."""
    try:
        state.result()
    except (KeyError, ValueError, TypeError):
        return False
    except Exception:  # noqa: BLE001 - any other failure of the simulator is worth a retry
        return True
    return False


@task(name="plan-units", cache_policy=NO_CACHE)
def plan_units(spec: DatasetSpec, output: str, params: AnnotationParams | None) -> list[EpisodeUnit]:
    return missing_units(spec, output, params)


@task(name="rollout", cache_policy=NO_CACHE,
      retries=2, retry_delay_seconds=2, retry_condition_fn=_simulator_crash)
def rollout(unit: EpisodeUnit, config: SimConfig, output: str, expert_noise_rad: float = 0.0):
    return produce_episode(unit, config, output, expert_noise_rad=expert_noise_rad)


@task(name="annotate", cache_policy=NO_CACHE)
def annotate_maps(episode, params: AnnotationParams):
    return annotate_episode(episode, params)


@task(name="commit", cache_policy=NO_CACHE)
def commit(output: str, episode, annotation) -> CommitResult:
    return commit_episode(output, episode, annotation)


@task(name="update-index", cache_policy=NO_CACHE)
def index_store(output: str) -> int:
    return len(update_index(output))


@task(name="dataset-report", cache_policy=NO_CACHE)
def report(output: str, results: list[CommitResult], wall_s: float, failed: list[str]):
    summary = dataset_report(output, results, wall_s, failed)
    create_table_artifact(summary.rows, key="dataset-summary",
                          description=f"Episodes per task/setting in {output}")
    create_markdown_artifact(summary.markdown, key="dataset-report", description=f"Dataset report: {output}")
    return summary.episodes_per_hour


def _completed_in_window(submit: Callable[[EpisodeUnit], PrefectFuture], units: list[EpisodeUnit],
                         window: int) -> Iterator[tuple[EpisodeUnit, PrefectFuture]]:
    """Submit units `window` at a time and yield each as it finishes, topping the window up."""
    queue = iter(units)
    in_flight = {submit(u): u for u in itertools.islice(queue, window)}
    while in_flight:
        done = next(as_completed(list(in_flight)))
        unit = in_flight.pop(done)
        for nxt in itertools.islice(queue, 1):
            in_flight[submit(nxt)] = nxt
        yield unit, done


@flow(name="generate-dataset", description=__doc__.splitlines()[0])
def generate_dataset(
    output: str = DEFAULT_OUTPUT,
    tasks: list[TaskName] = _DEFAULTS.tasks,
    episodes_per_task: EpisodeCount = _DEFAULTS.episodes_per_task,
    settings: list[Setting] = _DEFAULTS.settings,
    seed: Seed = _DEFAULTS.seed,
    resolution: tuple[Pixels, Pixels] = _DEFAULTS.resolution,
    record_every: RecordEvery = _DEFAULTS.record_every,
    annotate: bool = _DEFAULTS.annotate,
    expert_noise_rad: ExpertNoiseRad = _DEFAULTS.expert_noise_rad,
    dask_address: str = DEFAULT_DASK_ADDRESS,
    workers: WorkerCount = 0,
) -> dict:
    """Generate the missing episodes of (tasks x settings x episodes_per_task) into the store at `output`.

    Each unit is one episode: rollout with the scripted expert, value-map annotation, commit. A
    rerun produces exactly the units the store still lacks. Progress with an ETA is the
    `generate-dataset-progress` artifact and a log line per finished unit.

    Args:
        output: AIM Zarr store to write (path or fsspec URL), created if absent; default `$AIM_DATASET`
            or data/aim-dataset.zarr.
        tasks: Task names, or ["all"] for every registered task.
        episodes_per_task: Episodes per task and setting (seeds `seed` .. `seed` + n - 1).
        settings: easy (clean scene) and/or hard (domain randomised: clutter, textures, lights, table height).
        seed: First seed; unit i of a task/setting uses seed + i.
        resolution: Camera image size [H, W] in pixels (RoboTwin: 240 x 320).
        record_every: Physics steps (250 Hz) per recorded step; 15 as in RoboTwin.
        annotate: Compute the value maps (needed for training).
        expert_noise_rad: Std (rad per joint) of DART-style noise in the expert's execution: the demonstrations
            then show recoveries from off-path states, their recorded actions the expert's commands; 0: exact.
        dask_address: Dask scheduler to run the episodes on (tcp://host:8786). Empty: a temporary local
            Dask cluster on this machine, sized by `workers`; default `$AIM_DASK_ADDRESS`.
        workers: Worker processes of the local cluster (empty `dask_address` only); 0: one per CPU core.
    """
    effective = dict(locals())
    log = get_run_logger()
    output = normalize_output(output)
    spec = DatasetSpec(tasks=list(tasks), episodes_per_task=episodes_per_task, settings=list(settings),
                       seed=seed, resolution=tuple(resolution), record_every=record_every,
                       annotate=annotate, expert_noise_rad=expert_noise_rad)
    params = AnnotationParams() if spec.annotate else None
    effective["output"] = output
    effective = record_parameters("generate-dataset", effective, notes={
        "dask_address": "" if dask_address else "empty = a temporary local Dask cluster on this machine",
        "workers": f"0 = one per CPU core ({os.cpu_count()} here)" if not workers and not dask_address else ""})
    started = time.perf_counter()
    units = plan_units(spec, output, params)
    log.info("%d units missing in %s", len(units), output)
    progress = StepProgress("generate-dataset-progress", f"episodes committed to {output}", len(units),
                            unit="episodes")
    results: list[CommitResult] = []
    failed: list[str] = []
    if units:
        config = spec.sim_config()
        with dask_task_runner(dask_address, workers) as runner:
            def submit(unit: EpisodeUnit) -> PrefectFuture:
                def named(step):
                    return step.with_options(task_run_name=f"{step.name}-{unit.episode_id}")

                episode = runner.submit(named(rollout), {"unit": unit, "config": config, "output": output,
                                                         "expert_noise_rad": spec.expert_noise_rad})
                maps = runner.submit(named(annotate_maps), {"episode": episode, "params": params}) if params else None
                return runner.submit(named(commit), {"output": output, "episode": episode, "annotation": maps})

            window = UNITS_IN_FLIGHT_PER_WORKER * runner_workers(runner)
            for done_count, (unit, future) in enumerate(_completed_in_window(submit, units, window), start=1):
                try:
                    results.append(future.result())
                except Exception as exc:  # noqa: BLE001 - one failed unit must not stop the others
                    failed.append(unit.episode_id)
                    log.error("unit %s failed: %s", unit.episode_id, exc)
                progress.update(done_count, f"last {unit.episode_id}, {len(failed)} failed", force=True)
    progress.finish(f"{len(results)} committed, {len(failed)} failed" if units else "nothing missing in the store")
    index_store(output)
    wall_s = time.perf_counter() - started
    per_hour = report(output, results, wall_s, failed)
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(units)} units failed ({', '.join(failed)}); "
                           "the others are committed: rerun the flow to produce exactly the missing ones")
    return {"planned": [u.episode_id for u in units],
            "written": sorted(r.episode_id for r in results if r.written),
            "annotated": sorted(r.episode_id for r in results if r.annotated),
            "failed": failed, "wall_s": round(wall_s, 2), "episodes_per_hour": round(per_hour, 1),
            "parameters": effective}
