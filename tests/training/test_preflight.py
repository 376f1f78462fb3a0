"""Bad inputs of a training run fail before any model is built, with a message saying what to fix."""
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from aim_core.training.cli import build_parser, config_from_args
from aim_core.training.config import TrainConfig
from aim_core.training.preflight import TrainingInputError, preflight


def test_good_selection(tiny_dataset, tmp_path):
    selection = preflight(TrainConfig(dataset=str(tiny_dataset), out_dir=str(tmp_path / "run")))
    assert selection.tasks == ["place_shoe"] and len(selection.episode_ids) == 3


@pytest.mark.parametrize("overrides, message", [
    ({"dataset": "/nonexistent/ds.zarr"}, "cannot be used"),
    ({"tasks": ["fold_towel"]}, "not in dataset"),
    ({"settings": ["hard"]}, "no usable episodes"),
    ({"pretrained": "/nonexistent/wan"}, "does not exist"),
])
def test_unusable_inputs(tiny_dataset, tmp_path, overrides, message):
    config = TrainConfig(**{"dataset": str(tiny_dataset), "out_dir": str(tmp_path / "run"), **overrides})
    with pytest.raises(TrainingInputError, match=message):
        preflight(config)


def test_weights_folder_without_transformer(tiny_dataset, tmp_path):
    (tmp_path / "wan").mkdir()
    with pytest.raises(TrainingInputError, match="transformer/config.json"):
        preflight(TrainConfig(dataset=str(tiny_dataset), out_dir=str(tmp_path / "run"), pretrained=str(tmp_path / "wan")))


def test_unannotated_dataset_is_refused(tmp_path, make_dataset):
    dataset = make_dataset(tmp_path / "raw.zarr", annotate=False)
    with pytest.raises(TrainingInputError, match="run aim-annotate"):
        preflight(TrainConfig(dataset=str(dataset), out_dir=str(tmp_path / "run")))


def test_empty_task_selection_is_a_config_error(tmp_path):
    with pytest.raises(ValueError, match="tasks is an empty list"):
        TrainConfig(dataset="x", out_dir=str(tmp_path), tasks=[])


def test_max_episodes_takes_tasks_in_turn_and_every_step_uses_the_same_ones(tmp_path, make_dataset):
    """A capped quick run: round-robin over (task, setting), and the latent cache, the training windows
    and preflight all select the same demonstrations (a mismatch would fail on missing latents)."""
    from aim_core.data.episodes import open_dataset
    from aim_core.training.data_source import open_training_data, prepare_training_data

    dataset = make_dataset(tmp_path / "two.zarr", seeds=(0, 2, 4))
    make_dataset(dataset, seeds=(6, 8), task="click_bell")
    config = TrainConfig(dataset=str(dataset), out_dir=str(tmp_path / "run"), max_episodes=3)
    chosen = preflight(config).episode_ids
    store = open_dataset(dataset)
    by_task = {}
    for episode_id in sorted(store.episode_ids()):
        by_task.setdefault(store.read_attrs(episode_id).task, []).append(episode_id)
    assert sorted(chosen) == sorted(by_task["click_bell"][:2] + by_task["place_shoe"][:1])
    assert sorted(prepare_training_data(config, progress=False).built) == sorted(chosen)
    assert sorted(e.episode_id for e in open_training_data(config).windows.episodes) == sorted(chosen)
    everything = TrainConfig(dataset=str(dataset), out_dir=str(tmp_path / "run"), max_episodes=10)
    assert len(preflight(everything).episode_ids) == 5
    with pytest.raises(ValueError, match="max_episodes must be >= 1"):
        TrainConfig(dataset="x", out_dir=str(tmp_path), max_episodes=0)
    with pytest.raises(ValueError, match="opening_repeats must be >= 1"):
        TrainConfig(dataset="x", out_dir=str(tmp_path), opening_repeats=0)
    with pytest.raises(ValueError, match="cache_workers must be >= 1"):
        TrainConfig(dataset="x", out_dir=str(tmp_path), cache_workers=0)


def test_cli_reports_bad_input_without_training(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "aim_core.training.cli", "--dataset", str(tmp_path / "missing.zarr"),
                           "--out", str(tmp_path / "run")], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    assert "aim-train: dataset" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "run").exists()


def test_cli_flags_reach_the_train_config(tmp_path):
    args = ["--dataset", str(tmp_path / "d.zarr"), "--out", str(tmp_path / "run"), "--variant", "unified"]
    plain, short = (config_from_args(build_parser().parse_args(args + extra))
                    for extra in ([], ["--short-history", "--opening-repeats", "4", "--cache-workers", "2",
                                      "--preload-latents"]))
    assert (plain.short_history, short.short_history) == (False, True)
    assert (plain.opening_repeats, short.opening_repeats) == (1, 4)
    assert (plain.cache_workers, short.cache_workers) == (1, 2)
    assert (plain.preload_latents, short.preload_latents) == (False, True)
    assert short.model_overrides == {"variant": "unified"}
    assert TrainConfig.from_dict(short.to_dict()) == short  # train_config.json keeps it for --resume


def _checkpoint_trained_with(run_dir, config: dict) -> None:
    """The files `latest_checkpoint` and `read_checkpoint_state` look at, as the trainer writes them."""
    import json
    (run_dir / "checkpoints" / "step-000010" / "transformer").mkdir(parents=True)
    (run_dir / "checkpoints" / "step-000010" / "transformer" / "config.json").write_text("{}")
    (run_dir / "train_state" / "step-000010").mkdir(parents=True)
    (run_dir / "train_state" / "step-000010" / "state.json").write_text(json.dumps({"step": 10, "config": config}))


def test_resume_refuses_another_moving_average(tmp_path):
    """A run averaged with decay 0.999 resumed without the average (or with another decay) would act with
    weights of a different kind than its first steps; an older checkpoint without the field resumes with
    the default it was trained with."""
    from aim_core.training.preflight import check_resume
    averaged = TrainConfig(dataset="d.zarr", out_dir=str(tmp_path / "avg"), ema_decay=0.999)
    _checkpoint_trained_with(tmp_path / "avg", averaged.to_dict())
    check_resume(averaged)
    with pytest.raises(TrainingInputError, match=r"ema_decay 0\.999 -> 0\.0"):
        check_resume(TrainConfig(dataset="d.zarr", out_dir=str(tmp_path / "avg")))
    with pytest.raises(TrainingInputError, match=r"ema_decay 0\.999 -> 0\.99\b"):
        check_resume(TrainConfig(dataset="d.zarr", out_dir=str(tmp_path / "avg"), ema_decay=0.99))
    check_resume(TrainConfig(dataset="d.zarr", out_dir=str(tmp_path / "avg")), override=True)

    old = TrainConfig(dataset="d.zarr", out_dir=str(tmp_path / "old"))
    written_before_the_field = {k: v for k, v in old.to_dict().items() if k not in ("ema_decay", "ema_power")}
    _checkpoint_trained_with(tmp_path / "old", written_before_the_field)
    check_resume(old)
    with pytest.raises(TrainingInputError, match=r"ema_decay 0\.0 -> 0\.999"):
        check_resume(TrainConfig(dataset="d.zarr", out_dir=str(tmp_path / "old"), ema_decay=0.999))
    # fields with a default factory too: a checkpoint from before `loss` and `optim` resumes with their defaults
    _checkpoint_trained_with(tmp_path / "older", {k: v for k, v in written_before_the_field.items()
                                                  if k not in ("loss", "optim")})
    check_resume(TrainConfig(dataset="d.zarr", out_dir=str(tmp_path / "older")))
    with pytest.raises(TrainingInputError, match=r"loss \{\} -> \{'history_noise': 0\.0\}"):
        check_resume(TrainConfig(dataset="d.zarr", out_dir=str(tmp_path / "older"), loss={"history_noise": 0.0}))


def test_preloaded_latents_serve_the_same_windows_from_memory(tmp_path, make_dataset):
    """TrainConfig.preload_latents reads the cache into memory once; the windows are the store's."""
    from aim_core.training.data_source import open_training_data, prepare_training_data

    config = TrainConfig(dataset=str(make_dataset(tmp_path / "d.zarr", seeds=(0, 2))), out_dir=str(tmp_path / "run"))
    prepare_training_data(config, progress=False)
    lazy = open_training_data(config).windows
    eager = open_training_data(replace(config, preload_latents=True)).windows
    assert all(isinstance(latents["rgb"], np.ndarray) for latents in eager.latents)
    assert not isinstance(lazy.latents[0]["rgb"], np.ndarray)
    assert len(eager) == len(lazy) > 0
    for i in range(len(lazy)):
        assert all((eager[i][k] == lazy[i][k]).all() for k in lazy[i])
