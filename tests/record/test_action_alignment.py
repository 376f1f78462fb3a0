"""Recorded actions lead the measured joints: `action[t]` is the command tracked until frame t+1."""
import numpy as np

from data_schemas.spec import ACTION_LAYOUT, ARMS

ARM_JOINTS = np.concatenate([np.arange(16)[ACTION_LAYOUT[f"{arm}_arm"]] for arm in ARMS])


def test_action_t_is_reached_at_frame_t_plus_1(recorded_episode):
    qpos = recorded_episode.arrays["qpos"][:, ARM_JOINTS]
    action = recorded_episode.arrays["action"][:, ARM_JOINTS]
    moving = np.abs(qpos[1:] - qpos[:-1]).max(axis=1) > 1e-3  # control steps where an arm moves
    assert moving.sum() > 50
    to_next = np.abs(action[:-1] - qpos[1:])[moving]
    to_same = np.abs(action[:-1] - qpos[:-1])[moving]
    assert to_next.max() < 5e-3, f"action[t] misses qpos[t+1] by up to {to_next.max():.2e} rad"
    # a lagging recorder gives the opposite: action[t] ~ qpos[t] (~2e-4 rad), a step of motion from qpos[t+1]
    assert to_same.mean() > 10 * to_next.mean(), (to_same.mean(), to_next.mean())


def test_last_action_is_the_target_held_at_the_end(recorded_episode):
    """The expert ends holding its final target (the premise of the exact v1 -> v2 migration)."""
    action = recorded_episode.arrays["action"]
    np.testing.assert_array_equal(action[-1], action[-2])
    np.testing.assert_allclose(action[-1][ARM_JOINTS], recorded_episode.arrays["qpos"][-1][ARM_JOINTS], atol=2e-3)
