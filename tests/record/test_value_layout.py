"""The value-map version rule of `data_schemas.value_layout`, and that writer and reader share it.

A store written by `DatasetStore.write_value` is read back through `aim_core.data.episodes`
(which never imports pipeline): both must name the same live version, including after a
re-annotation and when `live` points at a version group that is gone.
"""
import numpy as np

from aim_core.data.episodes import complete_episodes, open_dataset
from data_schemas import VALUE_GROUP, live_version, next_version, value_member, value_name
from pipeline.record.synthetic import synthetic_episode, synthetic_value_maps


def test_names_and_versions() -> None:
    assert value_member("value/map") == "map" and value_name("map") == "value/map"
    assert value_member("rgb") is None and value_member("value/a/b") is None and value_member("value/") is None
    assert next_version([]) == "v0001"
    assert next_version(["v0001", "v0009", "staging", "v12"]) == "v0010"
    assert live_version({"live": "v0002"}, {"v0001", "v0002"}) == "v0002"
    assert live_version({"live": "v0003"}, {"v0001", "v0002"}) is None
    assert live_version({}, {"v0001"}) is None


def test_writer_and_reader_agree_on_the_live_version(store, store_path) -> None:
    episode = synthetic_episode(num_steps=4, image_size=(8, 8))
    episode_id = episode.episode_id
    store.write_episode(episode)
    for level in (0.25, 0.75):
        store.write_value(episode_id, synthetic_value_maps(episode, level), {"level": level})
    [ref] = [r for r in complete_episodes(open_dataset(store_path, mode="a")) if r.episode_id == episode_id]
    assert ref.value_version() == "v0002"
    value_group = ref.store.root[f"episodes/{episode_id}/{VALUE_GROUP}"]
    assert value_group.attrs["params"] == {"level": 0.75}
    np.testing.assert_array_equal(ref.array("value/map")[...], np.full((4, 3, 8, 8), 0.75, np.float16))
    np.testing.assert_array_equal(store.array(episode_id, "value/map")[...], ref.array("value/map")[...])

    value_group.update_attributes({"live": "v0007"})
    assert ref.value_version() is None
    assert store.value_params(episode_id) is None
    assert any("v0007" in p for p in store.check_episode(episode_id))
