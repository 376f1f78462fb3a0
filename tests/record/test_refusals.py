"""Stores and episodes the store must refuse, with the store left exactly as it was."""
from __future__ import annotations

import pytest
import zarr

from data_schemas import SchemaError
from pipeline.record.store import DatasetStore
from pipeline.record.synthetic import synthetic_episode
from tests.record.conftest import tree_snapshot


@pytest.mark.parametrize("mode", ["r", "a"])
def test_foreign_zarr_store(tmp_path, mode) -> None:
    foreign = zarr.open_group(tmp_path / "foreign", mode="w", attributes={"owner": "someone else"})
    foreign.create_array("data", shape=(4,), dtype="int32")[:] = 7
    before = tree_snapshot(tmp_path / "foreign")
    with pytest.raises(SchemaError, match="is not an AIM dataset .*format=None"):
        DatasetStore.open(tmp_path / "foreign", mode=mode)
    assert tree_snapshot(tmp_path / "foreign") == before


def test_root_array_is_refused(tmp_path) -> None:
    zarr.create_array(tmp_path / "arr", shape=(3,), dtype="int8")
    before = tree_snapshot(tmp_path / "arr")
    with pytest.raises(SchemaError, match="root is not a group"):
        DatasetStore.open(tmp_path / "arr", mode="a")
    assert tree_snapshot(tmp_path / "arr") == before


def test_directory_that_is_not_zarr(tmp_path) -> None:
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(SchemaError, match="not a Zarr v3 store .*cat.jpg"):
        DatasetStore.open(tmp_path / "photos", mode="a")
    assert sorted(p.name for p in (tmp_path / "photos").iterdir()) == ["cat.jpg"]
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(SchemaError, match="is a file"):
        DatasetStore.open(tmp_path / "notes.txt", mode="a")
    assert (tmp_path / "notes.txt").read_text() == "hello"


def test_missing_store_in_read_mode(tmp_path) -> None:
    with pytest.raises(SchemaError, match="no AIM dataset at .*aim-rollout --out"):
        DatasetStore.open(tmp_path / "missing", mode="r")
    assert not (tmp_path / "missing").exists()
    with pytest.raises(SchemaError, match="no AIM dataset"):
        DatasetStore.open("memory://never-created", mode="r")


def test_other_schema_version(store, store_path) -> None:
    store.write_episode(synthetic_episode())
    zarr.open_group(store_path, mode="r+").update_attributes({"schema_version": 99})
    before = tree_snapshot(store_path)
    for mode in ("r", "a"):
        with pytest.raises(SchemaError, match="schema version 99, this AIM reads version 2: use the AIM release"):
            DatasetStore.open(store_path, mode=mode)
    assert tree_snapshot(store_path) == before


def test_malformed_episode_attrs(store, store_path) -> None:
    ep = synthetic_episode()
    store.write_episode(ep)
    zarr.open_group(store_path / "episodes" / ep.episode_id, mode="r+").update_attributes({"setting": "medium"})
    before = tree_snapshot(store_path)
    with pytest.raises(SchemaError, match="(?s)malformed episode attributes.*setting"):
        store.read_attrs(ep.episode_id)
    with pytest.raises(SchemaError, match="malformed"):
        store.episode_ids()
    assert "malformed" in store.check_episode(ep.episode_id)[0]
    assert tree_snapshot(store_path) == before


def test_invalid_episode_id(store) -> None:
    with pytest.raises(SchemaError, match="invalid episode id"):
        store.has_episode("../escape")
