"""Commit a produced (and optionally annotated) episode to the dataset store, and refresh the index.

Why separate from producing: the commit is the only step that writes, so it is where
idempotence is decided (an episode already complete is never written again) and where a
crash can leave at most one incomplete group, which readers skip and the next run overwrites.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from data_schemas.validate import EpisodeData


@dataclass(frozen=True)
class CommitResult:
    """What one commit did; the flow aggregates these into its progress and report."""

    episode_id: str
    task: str
    setting: str
    written: bool
    """True when this call wrote the episode (False: it was already complete)."""
    annotated: bool
    success: bool
    num_steps: int
    rollout_s: float
    """Simulator time of the episode (attrs.timing.total_s), 0 when it came from the store."""
    busy: str = ""
    """Set when another process was writing this episode (its copy is the one kept)."""


def _rollout_seconds(episode: EpisodeData) -> float:
    timing = getattr(episode.attrs, "timing", None) or {}
    return float(timing.get("total_s", 0.0))


def commit_episode(output: str | Path, episode: EpisodeData, annotation=None, overwrite: bool = False) -> CommitResult:
    """Write `episode` (if not complete yet, or replacing it with `overwrite`) and the value maps of
    `annotation` (an AnnotationResult).

    The episode is complete before its maps are written, so a crash in between leaves a
    valid, unannotated episode that the next run only annotates.
    """
    from pipeline.record.store import DatasetStore

    store = DatasetStore.open(output, mode="a")
    written = store.write_episode(episode, overwrite=overwrite)
    if annotation is not None:
        if annotation.episode_id != episode.episode_id:
            raise ValueError(f"annotation of {annotation.episode_id} passed with episode {episode.episode_id}")
        store.write_value(episode.episode_id, annotation.arrays, annotation.attrs)
    attrs = episode.attrs
    return CommitResult(episode_id=episode.episode_id, task=attrs.task, setting=attrs.setting,
                        written=written, annotated=annotation is not None, success=bool(attrs.success),
                        num_steps=int(attrs.num_steps), rollout_s=_rollout_seconds(episode) if written else 0.0)


def update_index(output: str | Path) -> list[dict]:
    """Rebuild the store's top-level index from its complete episodes; returns its rows."""
    from pipeline.record.store import DatasetStore

    return DatasetStore.open(output, mode="a").update_index()
