"""Bad inputs of a training run fail before any model is built, with a message saying what to fix."""
import subprocess
import sys

import pytest

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


def test_cli_reports_bad_input_without_training(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "aim_core.training.cli", "--dataset", str(tmp_path / "missing.zarr"),
                           "--out", str(tmp_path / "run")], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    assert "aim-train: dataset" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "run").exists()
