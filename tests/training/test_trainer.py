"""Stage I trainer on a real tiny AIM model, real latent cache and real checkpoints (CPU)."""
import json
import shutil

import pytest
import torch
from safetensors.torch import load_file

from aim_core.models.aim_model import AIMModel
from aim_core.inference.bundle import check_bundle
from aim_core.training.checkpoint import (bundle_weights, latest_bundle, list_checkpoints, read_checkpoint_state,
                                          train_state_dir)
from aim_core.training.metrics_log import read_metrics
from aim_core.training.schedule import warmup_cosine_factor
from aim_core.training.config import TrainConfig
from aim_core.training.trainer import _uses_bf16, train_stage1


def test_warmup_then_cosine_to_floor():
    factors = [warmup_cosine_factor(s, warmup_steps=4, total_steps=14, min_lr_ratio=0.1) for s in range(15)]
    assert factors[:4] == [0.25, 0.5, 0.75, 1.0]
    assert factors[4] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(factors[4:], factors[5:]))
    assert factors[14] == pytest.approx(0.1)


def test_resume_reproduces_the_uninterrupted_run(tiny_config):
    config = tiny_config(steps=6, checkpoint_every=3)
    result = train_stage1(config)
    assert result.step == 6 and result.stopped == "completed"
    full = read_metrics(config.out_dir)
    assert [m["step"] for m in full] == [1, 2, 3, 4, 5, 6]
    assert {"loss/rgb", "loss/map", "loss/act", "lr", "throughput/samples_per_s"} <= set(full[0])
    assert all(0 < m["time/data_s"] < m["time/step_s"] for m in full)  # batch assembly is part of the step
    assert full[-1]["lr"] < full[2]["lr"]  # cosine decay after the 2 warmup steps
    assert [p.name for p in list_checkpoints(config.out_dir)] == ["step-000003", "step-000006"]

    state = read_checkpoint_state(result.checkpoint)
    assert state.step == 6 and state.config["seed"] == config.seed
    assert state.model_config["variant"] == "aim" and state.data["num_episodes"] == 3
    check_bundle(result.checkpoint)  # a checkpoint is a policy bundle; its transformer a loadable model folder
    model = AIMModel.from_pretrained(result.checkpoint / "transformer")
    weights = bundle_weights(result.checkpoint)
    assert all(torch.equal(model.state_dict()[k], v) for k, v in weights.items())
    assert not any(p.name.startswith("optimizer") for p in result.checkpoint.rglob("*"))  # resume state sits beside
    optimizer_state = load_file(str(train_state_dir(result.checkpoint) / "optimizer.safetensors"))
    assert any(k.endswith("/exp_avg_sq") for k in optimizer_state)

    # simulate a crash after step 5: the step-6 checkpoint never got written
    shutil.rmtree(result.checkpoint)
    shutil.rmtree(train_state_dir(result.checkpoint))
    resumed = train_stage1(config, resume=True)
    assert resumed.step == 6
    again = read_metrics(config.out_dir)
    assert [m["step"] for m in again] == [1, 2, 3, 4, 5, 6]
    for before, after in zip(full, again):
        assert after["loss/total"] == before["loss/total"], f"step {before['step']} differs after resume"
        assert after["lr"] == before["lr"]
    finished = train_stage1(config, resume=True)  # resuming a finished run trains nothing
    assert finished.step == 6 and finished.checkpoint == resumed.checkpoint
    assert read_metrics(config.out_dir) == again


def test_bundles_act_with_the_moving_average_of_the_weights_and_a_resumed_run_keeps_it(tiny_config, tmp_path):
    plain = tiny_config(out_dir=str(tmp_path / "plain"), steps=2, checkpoint_every=1)
    train_stage1(plain)
    trained = [bundle_weights(p) for p in list_checkpoints(plain.out_dir)]  # weights after steps 1 and 2

    config = tiny_config(out_dir=str(tmp_path / "ema"), steps=2, checkpoint_every=1, ema_decay=0.99, ema_power=0.75)
    result = train_stage1(config)
    first, second = list_checkpoints(config.out_dir)
    # the average does not change training: the trained weights sit in the training state, as without it
    kept = load_file(str(train_state_dir(second) / "model.safetensors"))
    assert all(torch.equal(kept[k], trained[1][k]) for k in trained[1])
    # step 1 starts the average at the weights (decay 0), step 2 mixes with decay 1 - 2^-0.75
    for key, value in bundle_weights(first).items():
        torch.testing.assert_close(value, trained[0][key])
    decay = 1 - 2 ** -0.75
    averaged = bundle_weights(second)
    moved = [k for k in averaged if not torch.equal(trained[0][k], trained[1][k])]
    assert moved, "two steps changed no weight"
    for key in moved:
        torch.testing.assert_close(averaged[key], decay * trained[0][key] + (1 - decay) * trained[1][key])
        assert not torch.equal(averaged[key], trained[1][key])
    assert read_metrics(config.out_dir)[-1]["ema_decay"] == pytest.approx(decay)
    assert result.checkpoint == second

    longer = tiny_config(out_dir=str(tmp_path / "long"), steps=6, checkpoint_every=3, ema_decay=0.99, val_every=3)
    uninterrupted = bundle_weights(train_stage1(longer).checkpoint)
    last = list_checkpoints(longer.out_dir)[-1]
    shutil.rmtree(last)
    shutil.rmtree(train_state_dir(last))
    resumed = bundle_weights(train_stage1(longer, resume=True).checkpoint)
    assert all(torch.equal(resumed[k], uninterrupted[k]) for k in uninterrupted)


@pytest.mark.parametrize("fields", [{"ema_decay": 1.0}, {"ema_decay": -0.1}, {"ema_power": 0.0}])
def test_a_moving_average_that_cannot_work_is_refused(fields):
    with pytest.raises(ValueError, match="ema_"):
        TrainConfig(dataset="d.zarr", out_dir="out", **fields)


def test_no_value_ablation_trains_without_value_stream(tiny_config, tmp_path):
    config = tiny_config(steps=2, model_overrides={"variant": "no-value"}, val_every=2, activation_checkpointing=True,
                         precision="bf16")  # the GPU paths, exercised on CPU
    result = train_stage1(config)
    metrics = read_metrics(config.out_dir)
    assert "loss/map" not in metrics[-1] and metrics[-1]["loss/total"] > 0
    assert json.loads((result.checkpoint / "transformer" / "config.json").read_text())["variant"] == "no-value"
    assert (tmp_path / "run" / "validation" / "validation-future-000002.png").stat().st_size > 0


def test_a_longer_history_from_a_config_file_trains_and_a_contradiction_is_still_refused(tiny_config):
    """model_overrides.layout arrives as a dict from a JSON config: it was refused as contradicting the data's
    ChunkLayout even when equal; an actions-per-frame the cache does not have is still refused."""
    longer = {"history_frames": 3, "future_frames": 2, "actions_per_frame": 4}  # the tiny cache: 4 per latent frame
    config = TrainConfig.from_dict(json.loads(tiny_config(steps=1, model_overrides={"layout": longer}).to_json()))
    result = train_stage1(config)
    assert json.loads((result.checkpoint / "transformer" / "config.json").read_text())["layout"] == longer
    with pytest.raises(ValueError, match="contradict the data"):
        train_stage1(tiny_config(steps=1, model_overrides={"layout": {**longer, "actions_per_frame": 3}}))


def test_a_bundle_copied_without_its_training_state_is_found_for_evaluation(tiny_config, tmp_path):
    """A bundle trained elsewhere (a GPU machine) arrives without train_state/: evaluation still finds it, and a
    newer folder that is not a whole bundle (a copy cut short) is passed over."""
    config = tiny_config(steps=2, checkpoint_every=2)
    trained = train_stage1(config).checkpoint
    copied = tmp_path / "copied" / "checkpoints"
    shutil.copytree(trained, copied / trained.name)
    (copied / "step-000009" / "transformer").mkdir(parents=True)
    assert list_checkpoints(copied.parent) == []  # not resumable: no training state
    assert latest_bundle(copied.parent) == copied / trained.name
    assert latest_bundle(tmp_path / "empty") is None


def test_auto_precision_is_bf16_on_cuda_for_large_models_only():
    """A launch-bound small model is slower under autocast on a GPU (aim-small on an H200: 0.176 vs 0.124 s)."""
    cuda, cpu = torch.device("cuda"), torch.device("cpu")  # device objects need no GPU
    assert _uses_bf16("auto", cuda, 9_698_566_288) and not _uses_bf16("auto", cuda, 2_771_536)
    assert not _uses_bf16("auto", cpu, 9_698_566_288)
    assert _uses_bf16("bf16", cuda, 2_771_536) and not _uses_bf16("fp32", cuda, 9_698_566_288)
