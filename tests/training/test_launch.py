"""Training as a child process: torchrun with 2 gloo ranks (DDP, FSDP2) and SIGTERM handling."""
import pytest

from aim_core.models.aim_model import AIMModel
from aim_core.training.checkpoint import latest_checkpoint, read_checkpoint_state
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
