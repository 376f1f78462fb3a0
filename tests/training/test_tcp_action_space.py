"""Actions in TCP space (TrainConfig.action_space="tcp"): windows hold the TCP poses the recorded joint targets put
the grippers at, the bundle's codec says so, and its policy commands poses that `TaskEnv` executes through inverse
kinematics (RoboTwin's `ee` actions through the policy folder)."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from aim_core.eval.episode import run_episode
from aim_core.eval.evaluate import checkpoint_sim_config
from aim_core.eval.robotwin import RoboTwinTaskEnv, load_policy_folder
from aim_core.inference.policy import AIMPolicy, PolicyConfig
from aim_core.models.action_codec import ActionCodec
from aim_core.training.config import TrainConfig
from aim_core.training.trainer import train_stage1
from data_schemas.observation import Observation
from data_schemas.spec import ARM_JOINT_DIMS, GRIPPER_DIMS, TCP_POSITION_DIMS
from data_schemas.observation import tcp_states
from pipeline.sim.kinematics import kinematics_of
from pipeline.sim.task_env import TaskEnv

POLICIES = Path(__file__).resolve().parents[2] / "policies"


def test_windows_hold_where_the_recorded_targets_put_the_grippers(last_window):
    windows, index, episode, step = last_window(action_space="tcp", relative_targets=True)
    recorded = episode.read("action")
    expected = kinematics_of().tcp_actions(recorded)
    np.testing.assert_allclose(windows.raw_actions[windows.table[index][0]].numpy(), expected, atol=1e-6)
    state = tcp_states(episode.read("ee_pose"), episode.read("qpos"))[step]
    np.testing.assert_allclose(windows.reference(index).numpy(), state)
    codec = windows.codec
    assert codec.config.action_space == "tcp"
    assert torch.nonzero(codec.relative).flatten().tolist() == list(TCP_POSITION_DIMS)  # positions only
    _, w = windows.window(index)
    targets = windows[index]["actions"]
    np.testing.assert_allclose(codec.denormalize_targets(targets, windows.reference(index)).numpy(),
                               expected[w.future_action_rows], atol=1e-5)
    # the statistics are the TCP actions' own, not the store's joint statistics
    np.testing.assert_allclose(windows.stats.high, codec.high.numpy(), rtol=1e-6)
    np.testing.assert_allclose(codec.low[list(GRIPPER_DIMS)].numpy(),
                               np.percentile(torch.cat(windows.raw_actions).numpy()[:, list(GRIPPER_DIMS)], 1, axis=0),
                               rtol=1e-5)
    joints, *_ = last_window(relative_targets=True)
    assert joints.codec.config.action_space == "joints"
    assert not np.allclose(joints.codec.high.numpy(), codec.high.numpy())


def test_an_unknown_action_space_is_refused_with_one_line(tmp_path):
    with pytest.raises(ValueError, match="action_space must be one of joints, tcp"):
        TrainConfig(dataset="d", out_dir="o", action_space="ee")
    with pytest.raises(ValueError, match="action_space 'ee' is not one of"):
        ActionCodec(action_space="ee")
    run = subprocess.run([sys.executable, "-m", "aim_core.training.cli", "--dataset", "d", "--out", str(tmp_path),
                          "--action-space", "ee"], capture_output=True, text=True)
    assert run.returncode == 2 and "invalid choice: 'ee'" in run.stderr


def test_a_tcp_policy_commands_poses_that_move_the_simulated_robot(tiny_config, tiny_dataset):
    config = tiny_config(steps=2, checkpoint_every=2, action_space="tcp")
    bundle = train_stage1(config).checkpoint
    policy = AIMPolicy.from_pretrained(bundle, PolicyConfig(num_inference_steps=2))
    assert policy.action_space == "tcp"
    env = TaskEnv(checkpoint_sim_config(bundle))
    start = env.reset("click_bell", "easy", 0)
    with pytest.raises(ValueError, match="acts in TCP space .* Observation.ee_pose"):
        policy.select_action(Observation(start.images, start.qpos, start.instruction, 0))
    policy.reset()
    first = policy.select_action(start)
    quaternions = first.reshape(2, 8)[:, 3:7]
    assert np.isfinite(first).all() and np.all(np.linalg.norm(quaternions, axis=1) > 0.1)  # a pose per arm
    env.reset("click_bell", "easy", 0)
    result = run_episode(env, policy, max_steps=6)
    assert result.steps == 6
    moved = np.linalg.norm(env.observe().ee_pose[:, :3] - start.ee_pose[:, :3], axis=1)
    # through inverse kinematics: some poses reached (the untrained chunk also asks for unreachable ones, counted)
    assert moved.max() > 0.01 and env.ik_failures < 2 * result.steps, (moved, env.ik_failures)
    # RoboTwin's policy folder sends such a bundle's actions as 'ee' poses, which become joint targets
    folder = load_policy_folder(POLICIES / "aim", {"checkpoint": str(bundle), "sampling_steps": 2})
    model = folder.get_model(folder.usr_args("click_bell", "easy", 0, "unseen"))
    env.reset("click_bell", "easy", 0)
    task_env = RoboTwinTaskEnv(env, step_lim=4)
    issued, select = [], model.select_action
    model.select_action = lambda obs: issued.append(select(obs)) or issued[-1]
    folder.eval(task_env, model, task_env.get_obs())
    joints = task_env.get_obs()["joint_action"]["vector"]  # the joint targets commanded: 'qpos' would be the action
    arms = list(ARM_JOINT_DIMS)
    assert task_env.take_action_cnt == 1 and not np.allclose(joints[arms], issued[0][arms], atol=1e-3)
