"""Dataset-level summaries and checks behind `aim-dataset info` and `aim-dataset validate`.

Why separate from the CLI: the Prefect flows publish the same figures as artifacts, and tests
check them without parsing terminal output.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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


def validate_store(store: DatasetStore, on_episode: Callable[[str], None] | None = None) -> dict[str, list[str]]:
    """Problems per complete episode (only episodes with problems appear in the result)."""
    problems = {}
    for eid in [e for e, complete in store.episode_states().items() if complete]:
        found = store.check_episode(eid)
        if found:
            problems[eid] = found
        if on_episode is not None:
            on_episode(eid)
    return problems
