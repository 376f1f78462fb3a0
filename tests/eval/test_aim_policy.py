"""The AIM policy on a real tiny model and real tiny encoders, fed synthetic camera frames."""
import numpy as np
import pytest
import torch

from aim_core.eval.aim_policy import AIMPolicy, AIMPolicyConfig
from aim_core.eval.env import Observation
from aim_core.models.action_codec import ActionStats
from aim_core.models.aim_model import AIMModel
from aim_core.models.config import ChunkLayout, aim_tiny_config
from aim_core.training.encoders import run_encoders



@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    config = aim_tiny_config(layout=ChunkLayout(history_frames=2, future_frames=2, actions_per_frame=4))
    torch.manual_seed(0)
    model = AIMModel(config)
    encoders = run_encoders(tmp_path_factory.mktemp("run"), None, config, ["put the shoe on the mat"])
    model.action_codec.set_stats(ActionStats((-1.0,) * 16, (2.0,) * 16, 100))
    return AIMPolicy(model, encoders, camera_hw=(32, 48), frame_stride=1,
                     config=AIMPolicyConfig(video_steps=2, action_steps=2, execute_frames=1))


def _obs(step: int) -> Observation:
    images = np.full((3, 32, 48, 3), 10 * step % 255, np.uint8)
    return Observation(images=images, qpos=np.zeros(16, np.float32), instruction="put the shoe on the mat", step=step)


def test_policy_plans_per_latent_frame_and_denormalises(policy):
    policy.reset()
    actions = [policy.select_action(_obs(t)) for t in range(9)]
    # plans at t=0 (1 latent frame), t=4 and t=8 (one new latent frame each, 4 executed actions before it)
    assert policy.rollout.history_frames == 3
    assert all(a.shape == (16,) and a.dtype == np.float32 and np.isfinite(a).all() for a in actions)
    assert len({a.tobytes() for a in actions}) > 1
    assert policy.value_images.shape == (3, 32, 48, 3) and policy.value_images.dtype == np.uint8
    policy.reset()
    assert policy.rollout.history_frames == 3 and policy.value_images is None  # next episode starts clean
    first = policy.select_action(_obs(0))
    assert policy.rollout.history_frames == 1
    np.testing.assert_array_equal(first, actions[0])  # same seed, same observation: same first action


def test_inconsistent_stride_or_missing_statistics_is_refused(policy):
    with pytest.raises(ValueError, match="actions per latent frame"):
        AIMPolicy(policy.model, policy.encoders, None, frame_stride=2)
    with pytest.raises(ValueError, match="no action statistics"):
        AIMPolicy(AIMModel(policy.model.config), policy.encoders, None, frame_stride=1)
