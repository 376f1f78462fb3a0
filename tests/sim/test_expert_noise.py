"""DART-style noise in the expert's execution: the arm is pushed off the expert's path while the recorded
actions stay the expert's commands, so the demonstrations show the way back; a seed's scene is unchanged."""
import numpy as np
import pytest

from pipeline.record.rollout import RecordOptions, rollout_episode
from pipeline.sim.config import SimConfig
from pipeline.sim.primitives import ExecutionNoise

SMALL = SimConfig(image_size=(48, 64))
ARM = slice(0, 7)  # the left arm's joints, in qpos as in action


def test_noise_starts_at_zero_reaches_its_std_and_fades_before_the_path_ends():
    noise = ExecutionNoise(0.03, 0.3, np.random.default_rng(0))
    dt = 1 / 250
    first = noise.step("left", dt, seconds_left=10.0)
    assert np.abs(first).max() < 0.01  # one step from zero: no jump in the drive target
    samples = np.array([noise.step("left", dt, seconds_left=10.0) for _ in range(20_000)])
    assert 0.024 < samples.std() < 0.036  # stationary std (correlated samples: a loose band)
    assert np.abs(noise.step("left", dt, seconds_left=0.0)).max() == 0.0  # the path's end is the expert's
    faded = noise.offsets["left"] * 0.5
    np.testing.assert_allclose(noise.step("left", dt, seconds_left=0.15), noise.offsets["left"] * 0.5)
    assert faded.shape == (7,)
    noise.start()
    assert np.abs(noise.step("left", dt, seconds_left=10.0)).max() < 0.01  # a new path starts from zero again
    with pytest.raises(ValueError, match="std_rad >= 0 and time_s > 0"):
        ExecutionNoise(0.03, 0.0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="correlation time > 0"):
        RecordOptions(expert_noise_time_s=0.0)


def tracking_error(episode) -> np.ndarray:
    """|measured joints one control step later - the command recorded at this step| of the left arm, per step."""
    action, qpos = episode.arrays["action"], episode.arrays["qpos"]
    return np.abs(action[:-1, ARM] - qpos[1:, ARM]).max(axis=1)


def test_noisy_expert_records_its_commands_while_the_arm_strays():
    clean = rollout_episode("click_bell", "easy", 2, SMALL, RecordOptions(surface_points=16))
    noisy = rollout_episode("click_bell", "easy", 2, SMALL, RecordOptions(surface_points=16, expert_noise_rad=0.03))
    again = rollout_episode("click_bell", "easy", 2, SMALL, RecordOptions(surface_points=16, expert_noise_rad=0.03))
    assert clean.attrs.success and noisy.attrs.success
    assert noisy.attrs.model_extra["recording"]["expert_noise_rad"] == 0.03
    np.testing.assert_array_equal(noisy.arrays["object_poses"][0], clean.arrays["object_poses"][0])  # same scene
    np.testing.assert_array_equal(noisy.arrays["action"], again.arrays["action"])  # deterministic in the seed
    assert np.percentile(tracking_error(clean), 90) < 0.005  # the exact expert's arm is where it was sent
    assert np.percentile(tracking_error(noisy), 90) > 0.02  # the arm is off the commanded path ...
    steps = min(noisy.attrs.num_steps, clean.attrs.num_steps)
    stray = np.linalg.norm(noisy.arrays["ee_pose"][:steps, :, :3] - clean.arrays["ee_pose"][:steps, :, :3], axis=-1)
    assert stray.max() > 0.01  # ... by centimetres at the gripper


def test_only_free_space_moves_are_perturbed():
    """A short move (an approach, a lift) runs exact: an offset there knocks the object over; a long one strays."""
    from pipeline.sim.task_env import TaskEnv

    env = TaskEnv(SMALL)
    env.reset("click_bell", "easy", 0)
    expert, arm = env.task.expert, env.sim.robot["left"]
    expert.noise = ExecutionNoise(0.05, 0.3, np.random.default_rng(0))
    gaps = []

    def drive_minus_command(step: int) -> None:
        drives = np.array([j.get_drive_target() for j in arm.arm_joints]).ravel()
        gaps.append(np.abs(drives - arm.arm_target).max())

    env.sim.step_hooks.append(drive_minus_command)
    start = arm.arm_qpos()
    for turn in (0.02, 0.6):  # base joint: ~1 cm of TCP travel, then ~30 cm
        path = start + np.outer(np.linspace(0, turn, 250), np.eye(7)[0])
        assert (expert._travel("left", path) >= expert.noise.min_travel_m) == (turn > 0.1)
        gaps.clear()
        expert.follow({"left": path})
        assert (max(gaps) > 0.02) == (turn > 0.1), (turn, max(gaps))
        assert gaps[-1] < 1e-6  # every path ends on its own last waypoint (float32 drive targets)
        start = path[-1]
    env.close()
