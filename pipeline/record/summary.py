"""Dataset-level summaries, checks and repair behind `aim-dataset info`, `validate` and `repair`.

Why separate from the CLI: the Prefect flows publish the same figures as artifacts, and tests
check them without parsing terminal output.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from data_schemas.integrity import ClaimedError
from pipeline.record.store import DatasetStore


@dataclass(frozen=True)
class GroupSummary:
    """Figures for the episodes of one (task, setting)."""

    task: str
    setting: str
    episodes: int
    successes: int
    steps: int
    annotated: int

    @property
    def success_rate(self) -> float:
        return self.successes / self.episodes if self.episodes else 0.0


def summarize(store: DatasetStore) -> list[GroupSummary]:
    """One row per (task, setting) present in the store, sorted."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in store.read_index():
        groups.setdefault((row["task"], row["setting"]), []).append(row)
    return [GroupSummary(task, setting, len(rows), sum(r["success"] for r in rows),
                         sum(r["num_steps"] for r in rows), sum(r["annotated"] for r in rows))
            for (task, setting), rows in sorted(groups.items())]


def validate_store(store: DatasetStore, on_episode: Callable[[str], None] | None = None,
                   deep: bool = False) -> dict[str, list[str]]:
    """Problems per complete episode (only episodes with problems appear in the result).

    `deep` reads every stored object against its checksum (every chunk of episodes without a manifest)."""
    problems = {}
    for eid in [e for e, complete in store.episode_states().items() if complete]:
        found = store.check_episode(eid, deep=deep)
        if found:
            problems[eid] = found
        if on_episode is not None:
            on_episode(eid)
    return problems


@dataclass(frozen=True)
class RepairReport:
    """What `repair_store` did: damaged units moved under quarantine/, and those another process held."""

    moved: dict[str, tuple[str, list[str]]]  # episode id -> (quarantine path, problems found)
    busy: dict[str, str]                       # episode id -> who holds it


def repair_store(store: DatasetStore, on_episode: Callable[[str], None] | None = None) -> RepairReport:
    """Read every complete episode in full and move the damaged ones (only the value maps when just those
    are damaged) under quarantine/, so a rerun of aim-rollout / aim-annotate regenerates them."""
    moved, busy = {}, {}
    for eid in [e for e, complete in store.episode_states().items() if complete]:
        own, value = store.damage(eid)
        if own or value:
            try:
                moved[eid] = (store.quarantine(eid, value_only=not own), own + value)
            except ClaimedError as exc:
                busy[eid] = str(exc)
        if on_episode is not None:
            on_episode(eid)
    if moved:
        store.update_index()
    return RepairReport(moved, busy)
