"""TCP-space actions (`pipeline.sim.kinematics`) against the real SAPIEN robot: the scene-free forward kinematics
puts each gripper where the simulated arm puts it, and `TaskEnv.step(..., action_space="tcp")` takes it back there
through inverse kinematics."""
from dataclasses import replace

import numpy as np
import pytest

from data_schemas.spec import ACTION_LAYOUT, ARMS, TCP_LAYOUT, TCP_POSITION_DIMS
from pipeline.sim.config import ArmMount, RobotConfig, SimConfig
from data_schemas.observation import tcp_states
from pipeline.sim.kinematics import kinematics_of, same_hemisphere
from pipeline.sim.task_env import TaskEnv

TASK = "stack_blocks_two"


@pytest.fixture(scope="module")
def env():
    return TaskEnv(SimConfig(image_size=(32, 48)))


def held(env: TaskEnv, action: np.ndarray, steps: int = 4, action_space: str = "joints"):
    for _ in range(steps):
        obs = env.step(action, action_space=action_space)
    return obs


def test_tcp_actions_are_where_the_joint_targets_put_the_grippers(env):
    start = env.reset(TASK, "easy", 1)
    action = start.qpos.copy()
    action[ACTION_LAYOUT["left_arm"]] += [0.15, 0.1, -0.1, 0.1, 0.2, -0.1, 0.3]
    action[ACTION_LAYOUT["right_gripper"]] = 0.0
    obs = held(env, action)
    tcp = kinematics_of().tcp_actions(action[None])[0]
    for i, arm in enumerate(ARMS):
        pose = tcp[TCP_LAYOUT[f"{arm}_pose"]]
        np.testing.assert_allclose(pose[:3], obs.ee_pose[i, :3], atol=2e-3)  # the PD drives settle on the target
        assert abs(float(np.dot(pose[3:], obs.ee_pose[i, 3:]))) > 0.999   # the same rotation, up to sign
        in_scene = env.sim.robot[arm].tcp_pose_at(action[ACTION_LAYOUT[f"{arm}_arm"]])
        assert in_scene.p == pytest.approx(pose[:3], abs=1e-5)  # the scene's arm and the scene-free model agree
    assert tcp[TCP_LAYOUT["right_gripper"]] == 0.0 and tcp[TCP_LAYOUT["left_gripper"]] == action[7]
    state = tcp_states(obs.ee_pose, obs.qpos)
    np.testing.assert_array_equal(state[list(TCP_POSITION_DIMS)], obs.ee_pose[:, :3].ravel())
    assert state[TCP_LAYOUT["right_gripper"]] == obs.qpos[ACTION_LAYOUT["right_gripper"]]
    with pytest.raises(ValueError, match=r"joint actions must be \[T, 16\]"):
        kinematics_of().tcp_actions(action)
    with pytest.raises(ValueError, match=r"TCP states need ee_pose \[..., 2, 7\]"):
        tcp_states(obs.ee_pose[0], obs.qpos)


def test_quaternions_keep_the_home_orientations_sign():
    kinematics = kinematics_of()
    home = np.tile(np.concatenate([kinematics.config.home_qpos, [1.0]] * 2), (60, 1)).astype(np.float32)
    home[:, 6] += np.linspace(-3.0, 3.0, 60)  # the left wrist turns through most of a revolution
    quaternions = kinematics.tcp_actions(home)[:, TCP_LAYOUT["left_pose"]][:, 3:]
    assert np.all(quaternions @ kinematics.home_quaternions["left"] >= 0)
    assert np.all(np.sum(quaternions[1:] * quaternions[:-1], axis=1) > 0.9)  # no sign jumps between rows
    q = np.array([[0.0, 0.7, 0.7, 0.1], [0.0, -0.7, -0.7, 0.1]])
    np.testing.assert_allclose(same_hemisphere(q, np.array([0.0, 0.7, 0.7, 0.0])), [q[0], -q[1]])


def test_a_tcp_step_reaches_the_pose_and_holds_where_there_is_none(env):
    start = env.reset(TASK, "easy", 2)
    goal = tcp_states(start.ee_pose, start.qpos)
    goal[TCP_LAYOUT["left_pose"]][:3] += [0.05, 0.04, 0.06]
    goal[TCP_LAYOUT["right_gripper"]] = 0.0
    obs = held(env, goal, action_space="tcp")
    np.testing.assert_allclose(obs.ee_pose[0, :3], goal[:3], atol=3e-3)
    np.testing.assert_allclose(obs.ee_pose[1, :3], start.ee_pose[1, :3], atol=2e-3)
    assert obs.qpos[ACTION_LAYOUT["right_gripper"]][0] < 0.5 and env.ik_failures == 0
    target = env.sim.robot["left"].arm_target.copy()
    away = goal.copy()
    away[TCP_LAYOUT["left_pose"]][:3] += [0.0, 0.0, 3.0]
    env.step(away, action_space="tcp")
    assert env.ik_failures == 1 and env.steps == 5
    np.testing.assert_allclose(env.sim.robot["left"].arm_target, target)  # out of reach: the arm held
    for bad, match in [(goal[:14], r"finite \[16\] vector"), (np.full(16, np.nan), r"finite \[16\] vector")]:
        with pytest.raises(ValueError, match=match):
            env.step(bad, action_space="tcp")
    zero = goal.copy()
    zero[TCP_LAYOUT["right_pose"]][3:] = 0.0
    with pytest.raises(ValueError, match="the right quaternion .* has zero length"):
        env.step(zero, action_space="tcp")
    with pytest.raises(ValueError, match="action_space 'ee' is not one of"):
        env.step(goal, action_space="ee")
    assert env.steps == 5  # nothing refused moved the robot
    assert env.reset(TASK, "easy", 2) is not None and env.ik_failures == 0


def test_the_kinematics_are_those_of_the_recording_robots_mounts():
    base = kinematics_of()
    mounts = {arm: ArmMount((m.xyz[0], m.xyz[1] + 0.1, m.xyz[2]), m.yaw) for arm, m in base.config.mounts.items()}
    moved = kinematics_of(replace(RobotConfig(), mounts=mounts))
    assert kinematics_of(RobotConfig()) is base and moved is not base  # one per embodiment, built once
    joints = np.concatenate([base.config.home_qpos, [1.0]] * 2)[None].astype(np.float32)
    shift = moved.tcp_actions(joints) - base.tcp_actions(joints)
    np.testing.assert_allclose(shift[0, list(TCP_POSITION_DIMS)], [0, 0.1, 0] * 2, atol=1e-5)
