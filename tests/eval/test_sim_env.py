"""The closed-loop environment over the real SAPIEN simulator (small cameras)."""
import numpy as np
import pytest

from aim_core.eval.episode import run_episode
from aim_core.eval.policies import HoldPolicy, ReplayPolicy
from aim_core.eval.sim_env import SimulatorEnv
from pipeline.record.rollout import RolloutConfig

TASK = "stack_blocks_two"


@pytest.fixture(scope="module")
def env():
    return SimulatorEnv(RolloutConfig(image_size=(32, 48), segmentation=False))


def test_reset_is_deterministic_and_steps_take_joint_targets(env):
    first = env.reset(TASK, "easy", 7)
    assert first.images.shape == (3, 32, 48, 3) and first.images.dtype == np.uint8
    assert first.qpos.shape == (16,) and first.instruction
    again = env.reset(TASK, "easy", 7)
    np.testing.assert_array_equal(first.images, again.images)
    target = again.qpos.copy()
    target[0] += 0.2  # left shoulder
    obs = env.step(target)
    assert obs.step == 1 and obs.qpos[0] > again.qpos[0] + 0.02
    assert not env.success()


def test_bad_actions_and_order_are_refused(env):
    with pytest.raises(RuntimeError, match="reset"):
        SimulatorEnv().step(np.zeros(16))
    env.reset(TASK, "easy", 7)
    with pytest.raises(ValueError, match="finite"):
        env.step(np.full(16, np.nan))
    with pytest.raises(ValueError, match="16"):
        env.step(np.zeros(7))
    with pytest.raises(KeyError, match="available tasks"):
        env.reset("fold_towel", "easy", 0)


@pytest.mark.slow
def test_replayed_expert_succeeds_and_holding_still_does_not(env):
    run = env.run_expert(TASK, "easy", 0)
    assert run.success and run.actions.shape[1] == 16
    replay = run_episode(env, ReplayPolicy(run.actions), TASK, "easy", 0, max_steps=2 * run.steps)
    assert replay.success
    hold = run_episode(env, HoldPolicy(), TASK, "easy", 0, max_steps=20)
    assert not hold.success and hold.steps == 20
