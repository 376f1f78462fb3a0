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
