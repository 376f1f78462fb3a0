"""Record expert rollouts into a dataset store, skipping episodes that are already there.

Why: `aim-rollout` and the Prefect generation flow do the same loop (seed range -> rollout ->
store); it lives here once. Reruns are cheap: a present episode is skipped before any
simulation, so an interrupted job resumes where it stopped. Workers with overlapping seeds are
safe: the store lets one writer per episode through, the others skip it.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from data_schemas.integrity import ClaimedError
from data_schemas.spec import episode_id
from pipeline.record.store import DatasetStore

if TYPE_CHECKING:
    from pipeline.record.rollout import RolloutConfig


@dataclass(frozen=True)
class EpisodeOutcome:
    """What happened to one seed: written now, or skipped because the store had it or another process
    was writing it (`busy` then names that process)."""

    episode_id: str
    seed: int
    written: bool
    success: bool
    num_steps: int
    seconds: float
    busy: str = ""


def record_episodes(store: DatasetStore, task: str, setting: str, seeds: Iterable[int],
                    config: RolloutConfig | None = None,
                    overwrite: bool = False, on_episode: Callable[[EpisodeOutcome], None] | None = None,
                    on_step: Callable[[int], None] | None = None) -> list[EpisodeOutcome]:
    """Roll out `task`/`setting` for each seed and write the episodes into `store`.

    `config` is a `pipeline.record.rollout.RolloutConfig` (None: its defaults). `on_step` is
    passed to the rollout as its per-step progress callback; `on_episode` is called after each
    seed with its outcome.
    """
    # imported here: the simulator stack (SAPIEN, mplib) is heavy and only needed to record
    from pipeline.record.rollout import rollout_episode

    outcomes = []
    for seed in seeds:
        eid = episode_id(task, setting, seed)
        start = time.perf_counter()
        if store.has_episode(eid) and not overwrite:
            attrs = store.read_attrs(eid)
            outcome = EpisodeOutcome(eid, seed, False, attrs.success, attrs.num_steps, time.perf_counter() - start)
        else:
            episode = rollout_episode(task, setting, seed, config, progress=on_step)
            try:
                written, busy = store.write_episode(episode, overwrite=overwrite), ""
            except ClaimedError as exc:  # another worker writes this seed now: its copy will be the one
                written, busy = False, str(exc)
            outcome = EpisodeOutcome(eid, seed, written, episode.attrs.success, episode.attrs.num_steps,
                                     time.perf_counter() - start, busy)
        outcomes.append(outcome)
        if on_episode is not None:
            on_episode(outcome)
    store.update_index()
    return outcomes
