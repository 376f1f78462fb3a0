"""Produce episodes: one unit from the store or the simulator, and the whole local loop over a spec.

Why: a run that crashed after committing an episode but before annotating it must not roll
the episode out again (it would be produced twice); it only needs the annotation redone.
`generate_locally` is the one "roll out, annotate, store" loop for callers without Prefect
(`aim-rollout`, `aim-annotate` on an empty store, the small chain, benchmarks); the
`generate-dataset` flow runs the same three steps per unit as Prefect tasks on Dask.
"""
from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from functools import partial
from pathlib import Path

from data_schemas.integrity import ClaimedError
from data_schemas.spec import EPISODE_ARRAYS
from data_schemas.validate import EpisodeData
from pipeline.annotate.params import AnnotationParams
from pipeline.generate.commit import CommitResult, commit_episode, update_index
from pipeline.generate.plan import DatasetSpec, EpisodeUnit, all_units, missing_units
from pipeline.sim.config import SimConfig


def produce_episode(unit: EpisodeUnit, config: SimConfig, output: str | Path, reuse: bool = True,
                    on_step: Callable[[int], None] | None = None, expert_noise_rad: float = 0.0) -> EpisodeData:
    """The unit's recorded episode: read back when the store has it complete (and `reuse`), else rolled out
    (the expert executing with `expert_noise_rad`, `DatasetSpec.expert_noise_rad`)."""
    from pipeline.record.rollout import RecordOptions, rollout_episode  # the simulator stack loads only when recording
    from pipeline.record.store import DatasetStore

    store = DatasetStore.open(output, mode="r")
    if reuse and store.has_episode(unit.episode_id):  # recorded arrays only: the maps are to be (re)made
        stored = set(store.arrays(unit.episode_id))
        return store.read_episode(unit.episode_id, [s.name for s in EPISODE_ARRAYS if s.name in stored])
    return rollout_episode(unit.task, unit.setting, unit.seed, config, RecordOptions(expert_noise_rad=expert_noise_rad),
                           progress=on_step)


def generate_locally(spec: DatasetSpec, output: str | Path, params: AnnotationParams | None = None,
                     overwrite: bool = False, on_result: Callable[[CommitResult], None] | None = None,
                     on_step: Callable[[int], None] | None = None, workers: int = 1) -> list[CommitResult]:
    """Produce, annotate (when `spec.annotate`, with `params` or the defaults) and commit every unit of
    `spec` the store at `output` lacks (all of them with `overwrite`); then refresh the index. Returns the
    results in the units' order. `workers` > 1 shares the units among that many processes (each rollout is
    single-threaded simulation: on 2 cores two processes recorded 1.67x the episodes a minute over 8 episodes,
    `benchmarks/generate_workers.py`);
    `on_result` then follows them as they finish, and `on_step(n)`, which follows the recorded steps of the
    episode being rolled out, only a single process. A unit another process is writing right now is reported
    `busy` and skipped (its copy will be the one)."""
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    params = (params or AnnotationParams()) if spec.annotate else None
    units = all_units(spec) if overwrite else missing_units(spec, output, params)
    config = spec.sim_config()
    make = partial(_produce_and_commit, config=config, output=str(output), params=params, overwrite=overwrite,
                   expert_noise_rad=spec.expert_noise_rad)
    results: dict[str, CommitResult] = {}
    for result in _produced(units, make, workers, on_step):
        results[result.episode_id] = result
        if on_result is not None:
            on_result(result)
    update_index(output)
    return [results[unit.episode_id] for unit in units]


def _produced(units: list[EpisodeUnit], make: Callable[..., CommitResult], workers: int,
              on_step: Callable[[int], None] | None) -> Iterator[CommitResult]:
    """`make(unit)` of every unit as it finishes: one after another here (following `on_step`), or in `workers`
    spawned processes."""
    if workers == 1 or len(units) < 2:
        yield from (make(unit, on_step=on_step) for unit in units)
        return
    spawn = multiprocessing.get_context("spawn")  # a fresh simulator per process, never a forked one
    with ProcessPoolExecutor(max_workers=min(workers, len(units)), mp_context=spawn) as pool:
        yield from (done.result() for done in as_completed([pool.submit(make, unit) for unit in units]))


def _produce_and_commit(unit: EpisodeUnit, config: SimConfig, output: str, params: AnnotationParams | None,
                        overwrite: bool, expert_noise_rad: float,
                        on_step: Callable[[int], None] | None = None) -> CommitResult:
    """One unit of `generate_locally`: produced, annotated where `params` say so, committed."""
    from pipeline.annotate.annotate import annotate_episode

    episode = produce_episode(unit, config, output, reuse=not overwrite, on_step=on_step,
                              expert_noise_rad=expert_noise_rad)
    try:
        return commit_episode(output, episode, annotate_episode(episode, params) if params else None,
                              overwrite=overwrite)
    except ClaimedError as exc:
        attrs = episode.attrs
        return CommitResult(episode_id=unit.episode_id, task=unit.task, setting=unit.setting, written=False,
                            annotated=False, success=bool(attrs.success), num_steps=int(attrs.num_steps),
                            rollout_s=0.0, busy=str(exc))
