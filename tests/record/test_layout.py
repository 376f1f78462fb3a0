"""Chunk/shard layout rules: time chunks, one camera per chunk, shards capped at TIME_SHARD."""
from __future__ import annotations

from data_schemas.spec import TIME_CHUNK, TIME_SHARD
from pipeline.record.layout import array_layout


def test_camera_arrays_chunk_one_camera_and_shard_the_episode() -> None:
    layout = array_layout("rgb", (150, 3, 240, 320, 3), num_steps=150)
    assert layout.chunks == (TIME_CHUNK, 1, 240, 320, 3)
    assert layout.shards == (152, 3, 240, 320, 3)  # whole episode, rounded up to whole chunks


def test_long_episodes_get_several_shards() -> None:
    layout = array_layout("qpos", (1300, 16), num_steps=1300)
    assert layout.chunks == (TIME_CHUNK, 16) and layout.shards == (TIME_SHARD, 16)


def test_static_and_empty_arrays_are_one_chunk() -> None:
    assert array_layout("intrinsics", (3, 3, 3), num_steps=50).chunks == (3, 3, 3)
    empty = array_layout("contacts/position", (0, 3), num_steps=50)
    assert empty.chunks == (1, 3) and empty.shards is None


def test_extra_value_arrays_follow_time_when_time_major() -> None:
    assert array_layout("value/points", (50, 100, 3), num_steps=50).chunks == (TIME_CHUNK, 100, 3)
    assert array_layout("value/summary", (4,), num_steps=50).shards is None
