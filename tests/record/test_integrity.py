"""Store integrity with real processes: concurrent writers and annotators of the same episodes, kill -9
mid-write, damaged / truncated / deleted chunks, and an index left stale by an interrupted overwrite.

Why real processes: the claims are only meaningful between processes (exclusive file creates, pid
liveness), and a kill -9 is the crash that leaves half-written groups behind.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from aim_core.data.episodes import complete_episodes, open_dataset
from data_schemas import episode_id
from data_schemas.integrity import ClaimedError, ClaimLostError, IntegrityError, claim
from pipeline.record.store import DatasetStore
from pipeline.record.summary import repair_store, validate_store
from pipeline.record.synthetic import synthetic_episode, synthetic_value_maps
from tests.record.test_cli import run

SIZE = (96, 128)
WRITER = """
import json, random, sys
from data_schemas.integrity import ClaimedError
from pipeline.record.store import DatasetStore
from pipeline.record.synthetic import synthetic_episode
store = DatasetStore.open(sys.argv[1], mode="a")
seeds = [int(s) for s in sys.argv[3].split(",")]
random.Random(int(sys.argv[4])).shuffle(seeds)
for seed in seeds:
    try:
        written = store.write_episode(synthetic_episode(seed=seed, num_steps=int(sys.argv[2]), image_size=(96, 128)))
    except ClaimedError:
        written = "busy"
    print(json.dumps([seed, written]), flush=True)
store.update_index()
"""
ANNOTATOR = """
import json, sys
from data_schemas.integrity import ClaimedError
from pipeline.record.store import DatasetStore
from pipeline.record.synthetic import synthetic_value_maps
store = DatasetStore.open(sys.argv[1], mode="a")
level = float(sys.argv[2])
for _ in range(int(sys.argv[3])):
    for eid in store.episode_ids():
        maps = synthetic_value_maps(store.read_episode(eid, ["depth"]), level)
        try:
            store.write_value(eid, maps, {"digest": str(level)})
            print(json.dumps([eid, True]), flush=True)
        except ClaimedError:
            print(json.dumps([eid, "busy"]), flush=True)
"""


def writer(path: Path, steps: int, seeds: list[int], order: int = 0) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(steps), ",".join(map(str, seeds)),
                             str(order)], stdout=subprocess.PIPE, text=True)


def outcomes(procs: list[subprocess.Popen]) -> list[list]:
    """[seed, written] lines of every process, after each exited 0 (no traceback)."""
    lines = []
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        lines += [json.loads(line) for line in out.splitlines()]
    return lines


def assert_whole(store_path: Path, seeds: list[int], steps: int) -> None:
    """Every seed complete, byte-equal to what was written, valid in full; no complete episode is missing data."""
    store = DatasetStore.open(store_path)
    assert store.episode_ids() == sorted(episode_id("place_shoe", "easy", s) for s in seeds)
    assert validate_store(store, deep=True) == {}
    for seed in seeds:
        expected = synthetic_episode(seed=seed, num_steps=steps, image_size=SIZE)
        stored = store.read_episode(expected.episode_id)
        assert stored.arrays.keys() == expected.arrays.keys()
        for name, data in expected.arrays.items():
            np.testing.assert_array_equal(stored.arrays[name], data, err_msg=name)


@pytest.mark.parametrize("trial", range(2))
def test_four_writers_with_overlapping_seeds_write_each_episode_once(store_path, trial) -> None:
    seeds = list(range(6))
    procs = [writer(store_path, 16, seeds, order=10 * trial + w) for w in range(4)]
    lines = outcomes(procs)
    for seed in seeds:
        results = [w for s, w in lines if s == seed]
        assert len(results) == 4 and results.count(True) == 1, (seed, results)  # exactly one writer won
    assert_whole(store_path, seeds, 16)


def test_concurrent_reannotation_leaves_one_whole_version(store, store_path) -> None:
    for seed in range(3):
        store.write_episode(synthetic_episode(seed=seed, num_steps=16, image_size=SIZE))
    store.update_index()
    procs = [subprocess.Popen([sys.executable, "-c", ANNOTATOR, str(store_path), str(level), "3"],
                              stdout=subprocess.PIPE, text=True) for level in (0.25, 0.5, 0.75)]
    lines = outcomes(procs)
    assert sum(w is True for _, w in lines) >= 3
    reader = DatasetStore.open(store_path)
    assert validate_store(reader, deep=True) == {}
    for eid in reader.episode_ids():
        maps = reader.read_episode(eid, ["value/map", "value/rgb", "value/phase"]).arrays
        level = float(reader.value_params(eid)["digest"])
        assert np.all(maps["value/map"] == np.float16(level))  # one annotation's maps, whole, named by its params


def test_kill_9_at_random_points_never_leaves_a_damaged_complete_episode(store, store_path) -> None:
    rng = random.Random(7)
    seeds = list(range(5))
    for round_ in range(4):
        procs = [writer(store_path, 64, seeds, order=round_ * 3 + w) for w in range(2)]
        time.sleep(rng.uniform(0.5, 3.0))
        for proc in procs:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        store = DatasetStore.open(store_path)
        assert validate_store(store, deep=True) == {}  # whatever is complete is whole
        assert all(store.read_episode(e, ["rgb"]) for e in store.episode_ids())
    outcomes([writer(store_path, 64, seeds, order=99)])  # a rerun takes over the dead writers' claims
    assert_whole(store_path, seeds, 64)


def test_kill_9_during_annotation_keeps_the_live_maps_whole(store, store_path) -> None:
    for seed in range(3):
        store.write_episode(synthetic_episode(seed=seed, num_steps=64, image_size=SIZE))
    store.update_index()
    for level, delay in ((0.25, 1.5), (0.5, 2.5), (0.75, 2.0)):
        proc = subprocess.Popen([sys.executable, "-c", ANNOTATOR, str(store_path), str(level), "1"],
                                stdout=subprocess.PIPE, text=True)
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        reader = DatasetStore.open(store_path)
        assert validate_store(reader, deep=True) == {}
        for eid in reader.episode_ids():
            params = reader.value_params(eid)
            if params is not None:
                maps = reader.read_episode(eid, ["value/map", "value/rgb", "value/phase"]).arrays
                assert np.all(maps["value/map"] == np.float16(float(params["digest"])))
    assert all(w is True for _, w in outcomes([subprocess.Popen(  # no claim of the dead annotators blocks a rerun
        [sys.executable, "-c", ANNOTATOR, str(store_path), "0.5", "1"], stdout=subprocess.PIPE, text=True)]))


def _first_object(folder: Path) -> Path:
    return next(p for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "zarr.json")


def test_damaged_truncated_and_deleted_chunks_are_named_and_repaired(store, store_path) -> None:
    episodes = [synthetic_episode(seed=s, num_steps=16, image_size=SIZE) for s in range(5)]
    for ep in episodes:
        store.write_episode(ep)
        store.write_value(ep.episode_id, synthetic_value_maps(ep), {"digest": "a"})
    store.update_index()
    ids = [ep.episode_id for ep in episodes]
    random_bytes = _first_object(store_path / "episodes" / ids[0] / "rgb")
    random_bytes.write_bytes(np.random.default_rng(0).bytes(random_bytes.stat().st_size))
    truncated = _first_object(store_path / "episodes" / ids[1] / "depth")
    truncated.write_bytes(truncated.read_bytes()[:40])
    flipped = _first_object(store_path / "episodes" / ids[2] / "qpos")
    data = bytearray(flipped.read_bytes())
    data[len(data) // 2] ^= 0x10
    flipped.write_bytes(bytes(data))
    _first_object(store_path / "episodes" / ids[3] / "action").unlink()
    _first_object(next((store_path / "episodes" / ids[4] / "value").glob("v*")) / "map").unlink()

    reader = DatasetStore.open(store_path)
    cheap = validate_store(reader)  # listing + sizes: deleted and truncated objects
    assert set(cheap) == {ids[1], ids[3], ids[4]}
    deep = validate_store(reader, deep=True)
    assert set(deep) == set(ids)
    for eid, name in zip(ids, ("rgb", "depth", "qpos", "action", "map")):
        assert any(f"array {name!r}" in p for p in deep[eid]), deep[eid]
        with pytest.raises(IntegrityError, match=f"{eid}.*{name}"):  # the pipeline reader names episode and array
            reader.read_episode(eid)
    validate = run("aim-dataset", "validate", "--deep", str(store_path))
    assert validate.returncode == 1 and all(eid in validate.stdout for eid in ids)

    root = open_dataset(store_path)  # the training reader refuses too: no zeros read in place of lost chunks
    with pytest.raises(IntegrityError, match=f"{ids[1]}.*'depth'"):
        complete_episodes(root)

    repaired = run("aim-dataset", "repair", str(store_path))
    assert repaired.returncode == 0, repaired.stdout
    store = DatasetStore.open(store_path, mode="a")
    assert store.episode_ids() == [ids[4]] and store.value_params(ids[4]) is None  # only its maps moved aside
    quarantined = sorted(p.name for p in (store_path / "quarantine").iterdir() if p.is_dir())
    assert [q.rsplit("-", 1)[0] for q in quarantined] == ids[:4] + [f"{ids[4]}.value"]  # kept, not deleted
    assert validate_store(store, deep=True) == {}
    for ep in episodes[:4]:  # a rerun regenerates what was moved
        assert store.write_episode(ep) is True
    assert validate_store(store, deep=True) == {}


def test_training_reader_names_a_chunk_that_fails_to_decode(store, store_path) -> None:
    ep = synthetic_episode(seed=0, num_steps=16, image_size=SIZE)
    store.write_episode(ep)
    target = _first_object(store_path / "episodes" / ep.episode_id / "action")
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01  # same size: passes the cheap check, fails crc32c on decode
    target.write_bytes(bytes(data))
    [ref] = complete_episodes(open_dataset(store_path))
    with pytest.raises(IntegrityError, match=f"episode {ep.episode_id}: array 'action' cannot be decoded"):
        ref.read("action")


def _marked_incomplete(group_json) -> bool:
    """The overwrite has re-created the group with complete=False (it deletes the old one first: the file may be
    gone, or half written, between two reads)."""
    try:
        return json.loads(group_json.read_text())["attributes"]["complete"] is False
    except (FileNotFoundError, json.JSONDecodeError):
        return False


def test_index_is_rechecked_after_an_interrupted_overwrite(store, store_path) -> None:
    for seed in range(2):
        store.write_episode(synthetic_episode(seed=seed, num_steps=150, image_size=SIZE))
    store.update_index()
    victim = store_path / "episodes" / episode_id("place_shoe", "easy", 0) / "zarr.json"
    script = ("import sys; from pipeline.record.store import DatasetStore; from pipeline.record.synthetic import "
              "synthetic_episode; DatasetStore.open(sys.argv[1], 'a').write_episode("
              "synthetic_episode(seed=0, num_steps=150, image_size=(96, 128)), overwrite=True)")
    proc = subprocess.Popen([sys.executable, "-c", script, str(store_path)])
    deadline = time.monotonic() + 50
    while not _marked_incomplete(victim):
        assert proc.poll() is None and time.monotonic() < deadline, "overwrite ended before it was interrupted"
        time.sleep(0.002)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    reader = DatasetStore.open(store_path)
    assert reader.episode_ids() == [episode_id("place_shoe", "easy", 1)]  # the stored index was not trusted
    info = run("aim-dataset", "info", str(store_path))
    assert info.returncode == 0 and "incomplete episode groups (being written or left by a crash): 1" in \
        " ".join(info.stdout.split())


def test_claims_refuse_live_holders_take_over_dead_ones_and_fence_lost_ones(store, store_path) -> None:
    unit = "episodes/x"
    first = claim(store._root.store, unit, lease_s=0.2)
    with pytest.raises(ClaimedError, match=f"{unit} is being written by .*:{os.getpid()}"):
        claim(store._root.store, unit)
    time.sleep(0.3)  # lease ran out: the next writer takes over with a newer generation
    second = claim(store._root.store, unit)
    with pytest.raises(ClaimLostError):
        first.check()
    second.check()
    second.release()
    subprocess.run([sys.executable, "-c", "import sys; from data_schemas.integrity import claim; "
                           "from zarr.storage import LocalStore; claim(LocalStore(sys.argv[1]), 'episodes/y')",
                    str(store_path)], check=True)
    claim(store._root.store, "episodes/y").release()  # its owner exited without releasing: taken over at once


def test_claims_on_an_fsspec_object_store() -> None:
    remote = DatasetStore.open("memory://claims-test", mode="a")
    held = claim(remote._root.store, "episodes/z")
    with pytest.raises(ClaimedError):
        claim(remote._root.store, "episodes/z")
    held.release()
    ep = synthetic_episode(seed=3, num_steps=8, image_size=(16, 16))
    assert remote.write_episode(ep) is True and validate_store(remote, deep=True) == {}
