"""Refused inputs and failed writes end in one line and exit 2, with nothing lost, across the console scripts.

Why: a demanding user's typos and broken disks must not produce tracebacks, silent new stores, runs
that simulate for minutes and then fail, or a resumed run that records hyperparameters it never used.
Each case runs the installed console script in a real process.
"""
from __future__ import annotations

import json
import os
import resource
import signal
from pathlib import Path

import pytest

from aim_core.training.config import OptimConfig, TrainConfig
from pipeline.record.store import DatasetStore
from pipeline.record.summary import validate_store
from pipeline.record.synthetic import synthetic_episode, synthetic_value_maps
from tests.record.conftest import tree_snapshot
from tests.record.test_cli import run


def one_line_refusal(out, *needles: str) -> None:
    text = (out.stdout + out.stderr).strip()
    assert out.returncode == 2, text
    assert "Traceback" not in text and all(n in " ".join(text.split()) for n in needles), text


def test_absurd_and_untrainable_resolutions_are_refused_before_simulating(tmp_path) -> None:
    base = ("--task", "place_shoe", "--setting", "easy", "--episodes", "1", "--out", str(tmp_path / "d"))
    one_line_refusal(run("aim-rollout", *base, "--resolution", "100000x100000"), "[8, 2048]")
    one_line_refusal(run("aim-rollout", *base, "--resolution", "30x41"), "multiples of 8", "24x40")
    one_line_refusal(run("aim-rollout", *base, "--expert-noise", "0.5"), "--expert-noise must lie in [0, 0.2]")
    assert not (tmp_path / "d").exists()


def test_resuming_a_store_recorded_by_an_older_expert_is_refused(store, store_path) -> None:
    """click_bell's expert changed (revision 2): topping up a store of revision-1 episodes would mix both."""
    store.write_episode(synthetic_episode("click_bell", "easy", 0, expert_revision=1))
    before = tree_snapshot(store_path)
    out = run("aim-rollout", "--task", "click_bell", "--setting", "easy", "--episodes", "2", "--out", str(store_path))
    one_line_refusal(out, "click_bell-easy-000000: expert revision 1, this code's is 2", "--overwrite")
    assert tree_snapshot(store_path) == before


def test_read_only_output_folder(tmp_path) -> None:
    """--out inside a folder this user cannot write (root writes anywhere except sysfs)."""
    if os.geteuid() == 0:
        target = Path("/sys/aim-test.zarr")
    else:
        (tmp_path / "locked").mkdir(mode=0o555)
        target = tmp_path / "locked" / "d.zarr"
    out = run("aim-rollout", "--task", "place_shoe", "--setting", "easy", "--episodes", "1", "--out", str(target))
    one_line_refusal(out, str(target), "writable --out")
    assert not target.exists()


def _limit_file_size() -> None:
    """A disk that fills up: any file write past 64 KiB fails with an OSError (SIGXFSZ ignored)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_full_disk_while_repairing_loses_nothing(store, store_path) -> None:
    ep = synthetic_episode(seed=0, num_steps=64, image_size=(96, 128))
    store.write_episode(ep)
    shard = next(p for p in (store_path / "episodes" / ep.episode_id / "rgb").rglob("*")
                 if p.is_file() and p.name != "zarr.json")
    shard.write_bytes(shard.read_bytes()[:-10])  # damaged: repair must copy it aside, which needs space
    out = run("aim-dataset", "repair", str(store_path), preexec_fn=_limit_file_size)
    one_line_refusal(out, "File too large", "Nothing complete was lost")
    assert DatasetStore.open(store_path).episode_states() == {ep.episode_id: True}  # the original is still there
    assert set(validate_store(DatasetStore.open(store_path))) == {ep.episode_id}


def test_annotate_refuses_a_mistyped_dataset(tmp_path) -> None:
    one_line_refusal(run("aim-annotate", "--task", "place_shoe", "--dataset", str(tmp_path / "typo.zarr")),
                     "no AIM dataset at", "typo.zarr")
    assert not (tmp_path / "typo.zarr").exists()


def test_serve_and_eval_refuse_bad_arguments(tmp_path) -> None:
    one_line_refusal(run("aim-serve", "--limit", "-1"), "--limit: must be >= 1")
    (tmp_path / "out").write_text("a file")
    one_line_refusal(run("aim-eval", "--tasks", "place_shoe", "--out", str(tmp_path / "out")), "is a file")
    assert (tmp_path / "out").read_text() == "a file"


@pytest.fixture
def trainable(store, store_path) -> Path:
    ep = synthetic_episode(seed=0, num_steps=16, image_size=(32, 32))
    store.write_episode(ep)
    store.write_value(ep.episode_id, synthetic_value_maps(ep), {"digest": "x"})
    return store_path


def test_train_refuses_bad_learning_rates_and_config_files(trainable, tmp_path) -> None:
    args = ("--dataset", str(trainable), "--out", str(tmp_path / "run"))
    one_line_refusal(run("aim-train", *args, "--lr", "-1"), "learning rate must be a positive number, got -1.0")
    config = TrainConfig(dataset=str(trainable), out_dir=str(tmp_path / "run")).to_dict()
    missing = {k: v for k, v in config.items() if k != "dataset"}
    (tmp_path / "missing.json").write_text(json.dumps(missing))
    one_line_refusal(run("aim-train", "--config-file", str(tmp_path / "missing.json")), "not a valid TrainConfig",
                     "dataset")
    (tmp_path / "wrong.json").write_text(json.dumps({**config, "steps": "ten"}))
    one_line_refusal(run("aim-train", "--config-file", str(tmp_path / "wrong.json")), "not a valid TrainConfig")
    one_line_refusal(run("aim-train", "--config-file", str(tmp_path / "absent.json")), "absent.json")
    assert not (tmp_path / "run").exists()


def test_resume_refuses_changed_hyperparameters(trainable, tmp_path) -> None:
    """The newest checkpoint of a run trained with lr 1e-4 (its state file as the trainer writes it)."""
    run_dir = tmp_path / "run"
    saved = TrainConfig(dataset=str(trainable), out_dir=str(run_dir), optim=OptimConfig(lr=1e-4))
    (run_dir / "checkpoints" / "step-000010" / "transformer").mkdir(parents=True)
    (run_dir / "checkpoints" / "step-000010" / "transformer" / "config.json").write_text("{}")
    (run_dir / "train_state" / "step-000010").mkdir(parents=True)
    (run_dir / "train_state" / "step-000010" / "state.json").write_text(
        json.dumps({"step": 10, "config": json.loads(saved.to_json())}))
    before = tree_snapshot(run_dir)
    out = run("aim-train", "--dataset", str(trainable), "--out", str(run_dir), "--resume", "--lr", "3e-4")
    one_line_refusal(out, "other hyperparameters", "'lr': 0.0001", "0.0003", "--override-hparams")
    assert tree_snapshot(run_dir) == before
