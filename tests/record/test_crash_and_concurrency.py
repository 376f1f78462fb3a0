"""Crash safety (a writer killed mid-episode) and two writer processes sharing one store."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import zarr

from data_schemas import episode_id
from pipeline.record.store import DatasetStore
from pipeline.record.summary import validate_store
from pipeline.record.synthetic import synthetic_episode

WRITER = """
import sys
from pipeline.record.store import DatasetStore
from pipeline.record.synthetic import synthetic_episode
store = DatasetStore.open(sys.argv[1], mode="a")
for seed in map(int, sys.argv[3].split(",")):
    store.write_episode(synthetic_episode(seed=seed, num_steps=int(sys.argv[2]), image_size=(96, 128)))
    store.update_index()
"""


def start_writer(path, num_steps: int, seeds: list[int]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(num_steps), ",".join(map(str, seeds))])


def test_killed_writer_leaves_an_invisible_group_that_is_rewritten(store, store_path) -> None:
    eid = episode_id("place_shoe", "easy", 0)
    group_meta = store_path / "episodes" / eid / "zarr.json"
    proc = start_writer(store_path, 150, [0])
    deadline = time.monotonic() + 60
    while not group_meta.exists():
        assert proc.poll() is None and time.monotonic() < deadline, "writer ended before starting the episode"
        time.sleep(0.002)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert zarr.open_group(store_path / "episodes" / eid, mode="r").attrs["complete"] is False
    reader = DatasetStore.open(store_path, mode="r")
    assert reader.episode_states() == {eid: False}
    assert not reader.has_episode(eid)
    assert reader.episode_ids() == [] and reader.read_index() == []
    episode = synthetic_episode(seed=0, num_steps=150, image_size=(96, 128))
    assert store.write_episode(episode) is True  # the leftover is replaced, not skipped
    np.testing.assert_array_equal(reader.array(eid, "rgb")[...], episode.arrays["rgb"])
    assert validate_store(reader) == {}


def test_two_processes_write_disjoint_episodes(store_path) -> None:
    procs = [start_writer(store_path, 16, [0, 2, 4]), start_writer(store_path, 16, [1, 3, 5])]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    store = DatasetStore.open(store_path, mode="r")
    expected = sorted(episode_id("place_shoe", "easy", s) for s in range(6))
    assert store.episode_ids() == expected
    assert validate_store(store) == {}
    stored_index = zarr.open_group(store_path / "index", mode="r").attrs
    assert sorted(row[0] for row in stored_index["rows"]) == expected  # the last updater saw every episode
    for seed in range(6):
        np.testing.assert_array_equal(store.array(expected[seed], "qpos")[...],
                                      synthetic_episode(seed=seed, num_steps=16, image_size=(96, 128)).arrays["qpos"])
