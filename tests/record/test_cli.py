"""The console scripts, run as real subprocesses: exit codes and what they print."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import zarr

from pipeline.record.store import DatasetStore
from pipeline.record.synthetic import synthetic_episode, synthetic_value_maps

BIN = Path(sys.executable).parent


def run(script: str, *args: str, timeout: float = 120, **popen) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([str(BIN / script), *args], capture_output=True, text=True, timeout=timeout, env=env,
                          **popen)


@pytest.fixture
def filled(store, store_path) -> Path:
    for seed, setting in [(0, "easy"), (1, "easy"), (2, "hard")]:
        store.write_episode(synthetic_episode(setting=setting, seed=seed))
    ep = synthetic_episode(seed=0)
    store.write_value(ep.episode_id, synthetic_value_maps(ep), {"digest": "d"})
    return store_path


def test_validate_exit_codes(filled, tmp_path) -> None:
    ok = run("aim-dataset", "validate", str(filled))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "valid: 3 complete episodes checked, 0 with problems" in ok.stdout
    eid = "place_shoe-hard-000002"
    group = zarr.open_group(filled / "episodes" / eid, mode="r+")
    del group["qpos"]
    group.create_array("qpos", shape=(5, 16), dtype="float64")[:] = np.zeros((5, 16))
    bad = run("aim-dataset", "validate", str(filled))
    assert bad.returncode == 1
    assert eid in bad.stdout and "qpos: shape (5, 16), expected (12, 16)" in bad.stdout
    assert "1 with problems" in bad.stdout
    missing = run("aim-dataset", "validate", str(tmp_path / "nothing"))
    assert missing.returncode == 2 and "no AIM dataset" in missing.stdout
    assert not (tmp_path / "nothing").exists()


def test_info_table(filled) -> None:
    out = run("aim-dataset", "info", str(filled))
    assert out.returncode == 0, out.stdout + out.stderr
    easy = next(line for line in out.stdout.splitlines() if "place_shoe" in line and "easy" in line)
    assert [c.strip() for c in easy.split("│")[3:7]] == ["2", "50%", "24", "1/2"]  # episodes, success, steps, annotated
    assert "size on disk" in out.stdout and "incomplete episode groups" in out.stdout


def test_rollout_rejects_bad_arguments(tmp_path) -> None:
    out = run("aim-rollout", "--task", "place_shoe", "--setting", "easy", "--episodes", "1",
              "--out", str(tmp_path / "d"), "--resolution", "big")
    assert out.returncode == 2 and "240x320" in out.stderr
    typo = run("aim-rollout", "--task", "place_sheo", "--setting", "easy", "--episodes", "1", "--out", str(tmp_path / "d"))
    assert typo.returncode == 2 and "unknown task 'place_sheo'; available tasks: " in typo.stderr
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "data.csv").write_text("a,b")
    foreign = run("aim-rollout", "--task", "place_shoe", "--setting", "easy", "--episodes", "1",
                  "--out", str(tmp_path / "foreign"))
    assert foreign.returncode == 2 and "not a Zarr v3 store" in foreign.stdout
    assert not (tmp_path / "d").exists() and [p.name for p in (tmp_path / "foreign").iterdir()] == ["data.csv"]


@pytest.mark.slow
def test_rollout_end_to_end_one_real_episode(tmp_path) -> None:
    """One real SAPIEN + mplib episode at 32x40 into a new store, then a rerun that skips it."""
    out_dir = tmp_path / "real.zarr"
    args = ("--task", "place_shoe", "--setting", "easy", "--episodes", "1", "--seed", "0",
            "--out", str(out_dir), "--resolution", "32x40")
    first = run("aim-rollout", *args, timeout=900)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "place_shoe-easy-000000" in first.stdout and "written" in first.stdout
    store = DatasetStore.open(out_dir, mode="r")
    assert store.episode_ids() == ["place_shoe-easy-000000"]
    episode = store.read_episode("place_shoe-easy-000000", names=["rgb", "action"])
    assert episode.arrays["rgb"].shape[1:] == (3, 32, 40, 3) and episode.arrays["rgb"].std() > 0
    assert episode.attrs.num_steps == episode.arrays["action"].shape[0] > 1
    again = run("aim-rollout", *args, timeout=300)
    assert again.returncode == 0 and "0 written, 1 already present" in again.stdout
    assert store.episode_ids() == ["place_shoe-easy-000000"]
    valid = run("aim-dataset", "validate", str(out_dir))
    assert valid.returncode == 0, valid.stdout


@pytest.mark.slow
def test_rollout_workers_record_what_one_process_records(tmp_path) -> None:
    """`--workers 2` shares the seeds between two processes: the same episodes, array for array, as one process."""
    common = ("--task", "click_bell", "--setting", "easy", "--episodes", "2", "--seed", "3", "--resolution", "32x40")
    bad = run("aim-rollout", *common, "--out", str(tmp_path / "none.zarr"), "--workers", "0")
    assert bad.returncode == 2 and "--workers must be >= 1" in bad.stderr
    stores = {}
    for workers in (1, 2):
        out = run("aim-rollout", *common, "--out", str(tmp_path / f"w{workers}.zarr"), "--workers", str(workers),
                  timeout=900)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "2 written, 0 already present" in out.stdout
        stores[workers] = DatasetStore.open(tmp_path / f"w{workers}.zarr", mode="r")
    ids = ["click_bell-easy-000003", "click_bell-easy-000004"]
    assert stores[1].episode_ids() == stores[2].episode_ids() == ids
    for eid in ids:
        one, two = (stores[w].read_episode(eid, names=["rgb", "qpos", "action"]) for w in (1, 2))
        assert one.attrs.num_steps == two.attrs.num_steps
        for name in ("rgb", "qpos", "action"):
            np.testing.assert_array_equal(one.arrays[name], two.arrays[name], err_msg=f"{eid} {name}")
