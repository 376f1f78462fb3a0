"""Shared helpers for the store tests: a fresh store per test and a byte snapshot of a tree."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pipeline.record.store import DatasetStore


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "dataset.zarr"


@pytest.fixture
def store(store_path: Path) -> DatasetStore:
    return DatasetStore.open(store_path, mode="a")


def tree_snapshot(root: Path) -> dict[str, str]:
    """Relative path -> sha1 of every file under `root` (to prove a refusal touched nothing)."""
    return {str(p.relative_to(root)): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def recorded_episode():
    """One real expert episode (stack_blocks_two, easy, seed 0) at the real control rate, small cameras:
    the recorder's action alignment and the v1 -> v2 migration are checked against it."""
    from pipeline.record.rollout import RecordOptions, rollout_episode
    from pipeline.sim.config import SimConfig

    episode = rollout_episode("stack_blocks_two", "easy", 0,
                              SimConfig(image_size=(32, 48)), RecordOptions(segmentation=False, surface_points=16))
    assert episode.attrs.success, episode.attrs.model_extra.get("failure")
    return episode
