"""Value maps replaced atomically for readers, their params, and the episode index."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import zarr

from data_schemas import SchemaError
from pipeline.record.store import DatasetStore
from pipeline.record.synthetic import synthetic_episode, synthetic_value_maps
from tests.record.conftest import tree_snapshot

READER = """
import sys, numpy as np
from pipeline.record.store import DatasetStore
store = DatasetStore.open(sys.argv[1], mode="r")

def read_level():
    maps = store.read_episode(sys.argv[2], names=["value/map", "value/rgb"]).arrays
    values = np.unique(maps["value/map"])
    assert len(values) == 1, f"mixed value maps {values}"
    assert np.array_equal(np.unique(maps["value/rgb"]), (values * 255).astype(np.uint8)), "map and rgb differ"
    return float(values[0])

seen = {read_level()}
print("ready", flush=True)
while 0.0 not in seen:  # until the writer's final level shows up
    seen.add(read_level())
print(sorted(seen))
"""


def test_write_value_round_trip_and_params(store) -> None:
    ep = synthetic_episode()
    store.write_episode(ep)
    assert store.value_params(ep.episode_id) is None
    maps = synthetic_value_maps(ep)
    maps["value/points"] = np.random.default_rng(0).random((ep.attrs.num_steps, 10, 3)).astype(np.float32)
    store.write_value(ep.episode_id, maps, {"digest": "abc", "sigma": 2.5})
    assert store.value_params(ep.episode_id) == {"digest": "abc", "sigma": 2.5}
    back = store.read_episode(ep.episode_id)
    for name, arr in maps.items():
        np.testing.assert_array_equal(back.arrays[name], arr)
    assert store.check_episode(ep.episode_id) == []
    assert store.update_index()[0]["annotated"] is True


def test_bad_value_maps_are_refused(store, store_path) -> None:
    ep = synthetic_episode()
    store.write_episode(ep)
    store.write_value(ep.episode_id, synthetic_value_maps(ep), {"digest": "old"})
    before = tree_snapshot(store_path)
    wrong = synthetic_value_maps(ep)
    wrong["value/map"] = wrong["value/map"].astype(np.float32)
    with pytest.raises(SchemaError, match="value/map: dtype float32, expected float16"):
        store.write_value(ep.episode_id, wrong, {"digest": "new"})
    missing = synthetic_value_maps(ep)
    del missing["value/phase"]
    with pytest.raises(SchemaError, match="missing array 'value/phase'"):
        store.write_value(ep.episode_id, missing, {"digest": "new"})
    with pytest.raises(SchemaError, match="JSON"):
        store.write_value(ep.episode_id, synthetic_value_maps(ep), {"digest": np.zeros(2)})
    with pytest.raises(KeyError, match="no complete episode"):
        store.write_value("place_shoe-easy-000077", synthetic_value_maps(ep), {})
    assert tree_snapshot(store_path) == before
    assert store.value_params(ep.episode_id) == {"digest": "old"}


def test_replacement_is_atomic_for_a_concurrent_reader(store, store_path) -> None:
    ep = synthetic_episode(num_steps=16, image_size=(48, 64))
    store.write_episode(ep)
    store.write_value(ep.episode_id, synthetic_value_maps(ep, 1.0), {"digest": "1.0"})
    reader = subprocess.Popen([sys.executable, "-c", READER, str(store_path), ep.episode_id],
                              stdout=subprocess.PIPE, text=True)
    assert reader.stdout.readline() == "ready\n"  # it has read the first maps: now replace them under it
    levels = [0.25, 0.5, 0.75] * 4 + [0.0]
    for level in levels:
        store.write_value(ep.episode_id, synthetic_value_maps(ep, level), {"digest": str(level)})
    out, _ = reader.communicate(timeout=120)
    assert reader.returncode == 0
    seen = set(json.loads(out))
    assert {1.0, 0.0} <= seen <= {1.0, *levels}  # saw the maps before and after all replacements
    assert store.value_params(ep.episode_id) == {"digest": "0.0"}
    versions = sorted(p.name for p in (store_path / "episodes" / ep.episode_id / "value").iterdir() if p.is_dir())
    assert len(versions) == 2  # the live version and the previous one; older ones are removed


def test_index_rebuild_and_stale_fallback(store, store_path) -> None:
    first = synthetic_episode(seed=0)
    store.write_episode(first)
    rows = store.update_index()
    assert rows == [{"episode_id": first.episode_id, "task": "place_shoe", "setting": "easy", "seed": 0,
                     "num_steps": 12, "success": True, "annotated": False}]
    second = synthetic_episode(seed=1, setting="hard")
    store.write_episode(second)  # the stored index is now stale: read_index must scan
    reader = DatasetStore.open(store_path, mode="r")
    assert [r["episode_id"] for r in reader.read_index()] == [first.episode_id, second.episode_id]
    assert reader.episode_ids(setting="hard") == [second.episode_id]
    assert len(store.update_index()) == 2
    assert reader.read_index() == store.update_index()


def test_index_notices_a_pending_episode_that_completed(store, store_path) -> None:
    ep = synthetic_episode(seed=4)
    store.write_episode(ep)
    group = zarr.open_group(store_path / "episodes" / ep.episode_id, mode="r+")
    group.update_attributes({"complete": False})  # as if its writer were still running
    assert store.update_index() == []
    group.update_attributes({"complete": True})  # the writer finished after the index was built
    assert [r["episode_id"] for r in store.read_index()] == [ep.episode_id]
