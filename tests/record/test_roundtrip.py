"""Write/read round trips of schema-exact synthetic episodes, local and fsspec stores."""
from __future__ import annotations

import numpy as np
import pytest

from data_schemas import SchemaError
from pipeline.record.store import DatasetStore
from pipeline.record.synthetic import synthetic_episode, synthetic_value_maps
from tests.record.conftest import tree_snapshot


def assert_same_episode(a, b) -> None:
    assert a.attrs.model_dump(exclude={"complete"}) == b.attrs.model_dump(exclude={"complete"})
    assert sorted(a.arrays) == sorted(b.arrays)
    for name, arr in a.arrays.items():
        assert b.arrays[name].dtype == arr.dtype, name
        np.testing.assert_array_equal(b.arrays[name], arr, err_msg=name)


@pytest.mark.parametrize("url_kind", ["path", "file", "memory"])
def test_round_trip(tmp_path, url_kind) -> None:
    url = {"path": tmp_path / "d", "file": f"file://{tmp_path}/d", "memory": f"memory://rt-{tmp_path.name}"}[url_kind]
    store = DatasetStore.open(url, mode="a")
    episodes = [synthetic_episode(setting=s, seed=i) for i, s in enumerate(["easy", "hard", "easy"])]
    for ep in episodes:
        assert store.write_episode(ep) is True
    reader = DatasetStore.open(url, mode="r")
    assert reader.episode_ids() == sorted(ep.episode_id for ep in episodes)
    assert reader.episode_ids(setting="hard") == [episodes[1].episode_id]
    assert reader.episode_ids(task="other") == []
    for ep in episodes:
        back = reader.read_episode(ep.episode_id)
        assert back.attrs.complete is True
        assert_same_episode(ep, back)


def test_lazy_array_and_subset(store) -> None:
    ep = synthetic_episode(num_steps=20)
    store.write_episode(ep)
    rgb = store.array(ep.episode_id, "rgb")
    assert rgb.shape == ep.arrays["rgb"].shape
    np.testing.assert_array_equal(rgb[5:9, 1], ep.arrays["rgb"][5:9, 1])
    part = store.read_episode(ep.episode_id, names=["qpos", "contacts/step"])
    assert sorted(part.arrays) == ["contacts/step", "qpos"]
    with pytest.raises(KeyError, match="no array 'value/map'"):
        store.array(ep.episode_id, "value/map")


def test_layout_is_sharded_and_compressed(store, store_path) -> None:
    ep = synthetic_episode(num_steps=40, image_size=(48, 64))
    store.write_episode(ep)
    rgb = store.array(ep.episode_id, "rgb")
    assert rgb.chunks == (8, 1, 48, 64, 3)  # the inner chunk: 8 steps of one camera
    assert rgb.shards == (40, 3, 48, 64, 3)
    inner = [c["name"] for c in rgb.metadata.to_dict()["codecs"][0]["configuration"]["codecs"]]
    assert inner[-2:] == ["blosc", "crc32c"]  # compressed, then checksummed (a damaged chunk fails to decode)
    rgb_files = list((store_path / "episodes" / ep.episode_id / "rgb").rglob("*"))
    assert len([p for p in rgb_files if p.is_file()]) == 2  # zarr.json + one shard
    files = [p for p in (store_path / "episodes" / ep.episode_id).rglob("*") if p.is_file()]
    assert len(files) < 45


def test_rerun_does_not_duplicate(store, store_path) -> None:
    ep = synthetic_episode(seed=3)
    assert store.write_episode(ep) is True
    before = tree_snapshot(store_path)
    assert store.write_episode(ep) is False
    assert tree_snapshot(store_path) == before
    assert store.episode_ids() == [ep.episode_id]
    changed = synthetic_episode(seed=3)
    changed.arrays["qpos"] = changed.arrays["qpos"] + 1
    assert store.write_episode(changed, overwrite=True) is True
    np.testing.assert_array_equal(store.array(ep.episode_id, "qpos")[...], changed.arrays["qpos"])


def test_invalid_episode_is_refused_before_writing(store, store_path) -> None:
    good = synthetic_episode(seed=1)
    store.write_episode(good)
    before = tree_snapshot(store_path)
    bad = synthetic_episode(seed=2)
    bad.arrays["depth"] = bad.arrays["depth"].astype(np.float32)
    with pytest.raises(SchemaError, match="depth: dtype float32, expected uint16"):
        store.write_episode(bad)
    extra = synthetic_episode(seed=2)
    extra.arrays["value/map"] = synthetic_value_maps(extra)["value/map"]
    with pytest.raises(SchemaError, match="write_value"):
        store.write_episode(extra)
    unjsonable = synthetic_episode(seed=2)
    unjsonable.attrs.timing = {"total_s": object()}
    with pytest.raises(SchemaError, match="JSON"):
        store.write_episode(unjsonable)
    assert tree_snapshot(store_path) == before


def test_read_only_store_refuses_writes(store, store_path) -> None:
    store.write_episode(synthetic_episode())
    reader = DatasetStore.open(store_path, mode="r")
    with pytest.raises(PermissionError, match="mode='a'"):
        reader.write_episode(synthetic_episode(seed=5))
