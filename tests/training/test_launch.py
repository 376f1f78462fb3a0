"""Training as a child process: torchrun with 2 gloo ranks (DDP, FSDP2) and SIGTERM handling."""
import shutil

import pytest
import torch
from safetensors.torch import load_file

from aim_core.models.aim_model import AIMModel
from aim_core.training.checkpoint import (TRAINED_WEIGHTS_FILE, bundle_weights, latest_checkpoint, list_checkpoints,
                                          read_checkpoint_state, train_state_dir)
from aim_core.training.launch import launch_training, training_command
from aim_core.training.metrics_log import read_metrics


def test_command_uses_torchrun_only_for_several_processes(tmp_path):
    single = training_command(tmp_path / "c.json", resume=True, nproc=1)
    multi = training_command(tmp_path / "c.json", resume=False, nproc=4)
    assert single[1:3] == ["-m", "aim_core.training.cli"] and single[-1] == "--resume"
    assert multi[1:3] == ["-m", "torch.distributed.run"] and "--nproc-per-node=4" in multi and "--resume" not in multi


PRIOR = {"action_keypoints": 2, "action_prior_keypoints": 2}
"""The action prior is called by the loss outside the wrapped model's forward: DDP and FSDP2 must still train it."""


@pytest.mark.parametrize("parallel, model", [("ddp", {}), ("ddp", PRIOR), pytest.param("fsdp2", {}, marks=pytest.mark.slow),
                                             pytest.param("fsdp2", PRIOR, marks=pytest.mark.slow)])
def test_two_gloo_ranks_train_and_write_one_full_checkpoint(tiny_config, parallel, model):
    config = tiny_config(steps=2, batch_size=1, checkpoint_every=1, parallel=parallel, val_every=2,
                         model_overrides=model)
    result = launch_training(config, resume=False, nproc=2, poll_s=0.5)
    assert result.step == 2 and result.stopped == "completed"
    assert [m["step"] for m in read_metrics(config.out_dir)] == [1, 2]
    assert read_metrics(config.out_dir)[0]["throughput/samples_per_s"] > 0
    state = read_checkpoint_state(result.checkpoint)
    assert state.config["parallel"] == parallel
    loaded = AIMModel.from_pretrained(result.checkpoint / "transformer")  # gathered full weights, no process group
    assert "loss/prior" in read_metrics(config.out_dir)[-1] if model else loaded.action_prior_head is None


@pytest.mark.parametrize("parallel", ["ddp", pytest.param("fsdp2", marks=pytest.mark.slow)])
def test_two_ranks_train_the_recipes_windows_and_action_prior_step_after_step(tiny_config, parallel):
    """The learning benchmark's recipe on 2 ranks: windows at an episode's first step (no past actions: the
    past-action stream is unused in that batch) among later ones, and an action prior, which the loss calls
    apart from the transformer. DDP failed at the step after a first-step batch, and with a prior at once."""
    config = tiny_config(steps=6, batch_size=2, checkpoint_every=6, parallel=parallel, ema_decay=0.99,
                         preload_latents=True, opening_repeats=3, short_history=True,
                         loss={"history_noise": 0.4, "plan_from_noise": 0.3}, model_overrides=PRIOR)
    assert launch_training(config, resume=False, nproc=2, poll_s=0.5).step == 6
    assert [m["step"] for m in read_metrics(config.out_dir)] == [1, 2, 3, 4, 5, 6]
    assert all(m["loss/prior"] > 0 for m in read_metrics(config.out_dir))


@pytest.mark.parametrize("parallel", ["ddp", pytest.param("fsdp2", marks=pytest.mark.slow)])
def test_two_ranks_save_the_moving_average_of_their_weights_and_resume_it(tiny_config, parallel):
    """The average is kept per rank in the parameters' own layout (FSDP2: per shard) and gathered when saved: the
    bundle after step 2 is the warm-up mix of the gathered trained weights of steps 1 and 2, and a run resumed
    from step 1 (full state dicts scattered back into the shards) writes the same bundle."""
    config = tiny_config(steps=2, batch_size=1, checkpoint_every=1, parallel=parallel, ema_decay=0.99, ema_power=0.75)
    assert launch_training(config, resume=False, nproc=2, poll_s=0.5).step == 2
    first, second = list_checkpoints(config.out_dir)
    trained = [load_file(str(train_state_dir(c) / TRAINED_WEIGHTS_FILE)) for c in (first, second)]
    for key, value in bundle_weights(first).items():
        torch.testing.assert_close(value, trained[0][key], msg=key)
    averaged, decay = bundle_weights(second), 1 - 2 ** -0.75
    moved = [k for k in averaged if not torch.equal(trained[0][k], trained[1][k])]
    assert moved, "two steps changed no weight"
    for key in moved:
        torch.testing.assert_close(averaged[key], decay * trained[0][key] + (1 - decay) * trained[1][key])
    shutil.rmtree(second)  # resumed from step 1, the average is restored into the wrapped model's layout
    shutil.rmtree(train_state_dir(second))
    assert launch_training(config, resume=True, nproc=2, poll_s=0.5).step == 2
    again = bundle_weights(second)
    assert all(torch.equal(again[key], averaged[key]) for key in averaged)


def test_sigterm_stops_after_the_step_with_a_checkpoint(tiny_config):
    config = tiny_config(steps=500, checkpoint_every=1000, log_every=1)

    class Stop(Exception):
        pass

    def stop_once_training(rows):
        if rows:
            raise Stop

    with pytest.raises(Stop):
        launch_training(config, resume=False, nproc=1, on_metrics=stop_once_training, poll_s=0.5)
    last = latest_checkpoint(config.out_dir)
    assert last is not None, "the interrupted run wrote no checkpoint"
    step = read_checkpoint_state(last).step
    assert 1 <= step < 500
    assert read_metrics(config.out_dir)[-1]["step"] <= step  # nothing logged beyond the checkpoint
