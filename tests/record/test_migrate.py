"""Schema v1 stores (actions lagging one control step): refused everywhere with the migrate command
named, converted exactly and idempotently by `aim-dataset migrate`, also after a crash half-way."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import zarr

import pipeline.record.migrate as migrate
from aim_core.data.episodes import open_dataset
from data_schemas import SchemaError, episode_id
from data_schemas.spec import ACTION_LAYOUT, ARMS, GRIPPER_OPEN, MANIFEST_ATTR, STATS_GROUP
from pipeline.record.store import DatasetStore
from pipeline.record.synthetic import synthetic_value_maps
from pipeline.sim.config import RobotConfig
from tests.record.conftest import tree_snapshot
from tests.record.test_cli import run

COPY_ID = episode_id("stack_blocks_two", "easy", 99)


def v1_actions(v2: np.ndarray) -> np.ndarray:
    """What the v1 recorder stored for the same run: at frame t the target already in force, i.e. the
    robot's initial targets (home posture, grippers open) at frame 0 and the v2 row t-1 after."""
    first = np.full(16, GRIPPER_OPEN, dtype=np.float32)
    for arm in ARMS:
        first[ACTION_LAYOUT[f"{arm}_arm"]] = RobotConfig().home_qpos
    return np.concatenate([first[None], v2[:-1]])


@pytest.fixture
def v1_store(store, store_path, recorded_episode):
    """Two recorded episodes (one annotated, with a latent-cache group), index and action statistics,
    then rewritten the v1 way: actions shifted back, schema_version 1 in root and episode attrs."""
    copy = recorded_episode.attrs.model_copy(update={"episode_id": COPY_ID, "seed": 99})
    for episode in (recorded_episode, type(recorded_episode)(attrs=copy, arrays=recorded_episode.arrays)):
        store.write_episode(episode)
    store.write_value(recorded_episode.episode_id, synthetic_value_maps(recorded_episode), {"digest": "d"})
    store.update_index()
    root = zarr.open_group(store_path, mode="r+")
    latents = root["episodes"][recorded_episode.episode_id].create_group("latents", attributes={"complete": True})
    latents.create_array("rgb", shape=(3, 4, 2, 2), dtype="float16")[...] = 0.5
    root.create_group(STATS_GROUP, attributes={"action": {"0123abcd": {"low": [0.0], "high": [1.0], "count": 9}}})
    for eid in (recorded_episode.episode_id, COPY_ID):
        group = root["episodes"][eid]
        group["action"][...] = v1_actions(recorded_episode.arrays["action"])
        group.update_attributes({"schema_version": 1})
    root.update_attributes({"schema_version": 1})
    return store_path


def test_v1_store_is_refused_naming_the_command(v1_store):
    before = tree_snapshot(v1_store)
    advice = f"schema version 1, this AIM reads version 2: convert it in place with `aim-dataset migrate {v1_store}`."
    for mode in ("r", "a"):
        with pytest.raises(SchemaError) as refused:
            DatasetStore.open(v1_store, mode=mode)
        assert str(refused.value) == f"{v1_store} has {advice}"
    with pytest.raises(SchemaError, match="aim-dataset migrate"):
        open_dataset(v1_store)  # the training reader
    info = run("aim-dataset", "info", str(v1_store))
    assert info.returncode == 2 and f"aim-dataset migrate {v1_store}" in " ".join(info.stdout.split())
    assert tree_snapshot(v1_store) == before


def test_migrate_is_exact_keeps_everything_else_and_runs_once(v1_store, recorded_episode):
    before = tree_snapshot(v1_store)
    done = run("aim-dataset", "migrate", str(v1_store))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "schema version 1 -> 2; 2 episodes converted" in " ".join(done.stdout.split())
    store = DatasetStore.open(v1_store)
    for eid in (recorded_episode.episode_id, COPY_ID):
        migrated = store.read_episode(eid)
        assert migrated.attrs.schema_version == 2 and store.check_episode(eid) == []
        for name, recorded in recorded_episode.arrays.items():
            np.testing.assert_array_equal(migrated.arrays[name], recorded, err_msg=name)
    after = tree_snapshot(v1_store)
    assert after.keys() == before.keys()  # no backup left behind
    changed = {path for path in before if before[path] != after[path]}
    episode_meta = {f"episodes/{eid}/zarr.json" for eid in (recorded_episode.episode_id, COPY_ID)}
    assert {p for p in changed if "/action/" not in p} == {"zarr.json", f"{STATS_GROUP}/zarr.json"} | episode_meta
    root = zarr.open_group(v1_store, mode="r")
    assert root[STATS_GROUP].attrs["action"] == {}  # statistics of the old actions are gone
    for eid in (recorded_episode.episode_id, COPY_ID):  # the attrs of a v2 recording, in their order
        written = json.loads((v1_store / f"episodes/{eid}/zarr.json").read_text())["attributes"]
        assert set(written.pop(MANIFEST_ATTR)["arrays"]) == set(recorded_episode.arrays)  # resealed (checked above)
        original = recorded_episode.attrs.model_dump(mode="json") | {"episode_id": eid, "seed": written["seed"],
                                                                     "complete": True}
        assert list(written.items()) == list(original.items())
    again = run("aim-dataset", "migrate", str(v1_store))
    assert again.returncode == 0 and "already at schema version 2" in again.stdout
    assert tree_snapshot(v1_store) == after


class Crash(Exception):
    pass


@pytest.mark.parametrize("where", ["backup half written", "actions rewritten, attrs not yet"])
def test_migration_resumes_exactly_after_a_crash(v1_store, tmp_path, monkeypatch, where):
    clean = tmp_path / "clean.zarr"
    shutil.copytree(v1_store, clean)
    migrate.migrate_store(clean)
    if where.startswith("backup"):
        def crash(group, path, schema_name, data, num_steps):  # array created, its chunks not yet written
            write_array(group, path, schema_name, np.zeros_like(data), num_steps)
            raise Crash
        write_array = migrate.write_array
        monkeypatch.setattr(migrate, "write_array", crash)
    else:
        monkeypatch.setattr(migrate, "_finish_episode", lambda group: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        migrate.migrate_store(v1_store)
    with pytest.raises(SchemaError, match="aim-dataset migrate"):
        DatasetStore.open(v1_store)  # still v1 until the whole store is converted
    monkeypatch.undo()
    report = migrate.migrate_store(v1_store)
    assert len(report.migrated) == 2
    assert tree_snapshot(v1_store) == tree_snapshot(clean)


def test_migrate_refusals(v1_store, tmp_path):
    zarr.open_group(v1_store, mode="r+").update_attributes({"schema_version": 99})
    before = tree_snapshot(v1_store)
    unknown = run("aim-dataset", "migrate", str(v1_store))
    assert unknown.returncode == 2 and "no migration to version 2 exists" in " ".join(unknown.stdout.split())
    assert tree_snapshot(v1_store) == before
    missing = run("aim-dataset", "migrate", str(tmp_path / "nothing"))
    assert missing.returncode == 2 and "no AIM dataset" in missing.stdout
    assert not (tmp_path / "nothing").exists()
