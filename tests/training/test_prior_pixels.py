"""The action prior that reads the head camera's pixels (AIMConfig.action_prior_pixels): windows carry the head
view of their current frame, the trainer records the scene statistics of the opening head views, and the bundle's
policy hands the prior the current observation's head view (inputs without one: tests/model/test_action_prior.py)."""

import numpy as np
import torch

from aim_core.data import collate_windows
from aim_core.data.canvas import HEAD_CAMERA
from aim_core.data.episodes import complete_episodes, open_dataset
from aim_core.inference.policy import AIMPolicy
from aim_core.training.metrics_log import read_metrics
from aim_core.training.trainer import train_stage1
from data_schemas.observation import Observation

HW = (8, 12)  # the synthetic 32x48 head camera averaged over 4x4 blocks
PIXELS = {"action_prior_keypoints": 2, "action_prior_grid": (2, 3), "action_prior_pixels": HW}


def block_mean(head: np.ndarray) -> np.ndarray:
    """uint8 [H, W, 3] -> float [3, H/4, W/4] in [0, 1]: what area resizing by 4 gives, computed independently."""
    h, w = head.shape[0] // 4, head.shape[1] // 4
    return head.reshape(h, 4, w, 4, 3).mean(axis=(1, 3)).transpose(2, 0, 1) / 255.0


def test_windows_carry_the_head_view_of_their_current_frame(last_window):
    windows, index, episode, step = last_window(head_view=HW)
    rgb = episode.read("rgb")
    np.testing.assert_allclose(windows[index]["head_view"].numpy(), block_mean(rgb[step, HEAD_CAMERA]), atol=1e-6)
    assert collate_windows([windows[index], windows[index]])["head_view"].shape == (2, 3, *HW)
    openings = windows.opening_frames()
    assert openings.shape == (len(windows.episodes), 3, *HW)
    np.testing.assert_allclose(openings[windows.table[index][0]].numpy(), block_mean(rgb[0, HEAD_CAMERA]), atol=1e-6)
    assert "head_view" not in last_window()[0][0]


def test_training_reads_head_views_and_the_policy_hands_the_prior_the_current_one(tiny_config, tiny_dataset):
    config = tiny_config(steps=3, batch_size=2, checkpoint_every=3, model_overrides=PIXELS)
    result = train_stage1(config)
    assert all(np.isfinite(row["loss/prior"]) for row in read_metrics(config.out_dir))
    policy = AIMPolicy.from_pretrained(result.checkpoint)
    prior = policy.model.action_prior_head
    assert policy.model.config.action_prior_pixels == HW and prior.scene_mean.shape == (3, 2, 3)
    episodes = complete_episodes(open_dataset(tiny_dataset), successful_only=True)
    openings = np.stack([block_mean(e.read("rgb", (0, HEAD_CAMERA))) for e in episodes])
    expected = openings.reshape(len(episodes), 3, 2, 4, 3, 4).mean(axis=(3, 5)).mean(axis=0)  # pooled to the grid
    np.testing.assert_allclose(prior.scene_mean.numpy(), expected, atol=1e-5)

    seen, sample = [], policy.sampler.sample
    policy.sampler.sample = lambda *args, **kw: seen.append(kw["head_view"]) or sample(*args, **kw)
    rgb, qpos = episodes[0].read("rgb"), episodes[0].read("qpos")
    command = policy.select_action(Observation(rgb[0], qpos[0], episodes[0].attrs.instruction, 0))
    assert command.shape == qpos[0].shape and np.isfinite(command).all()
    assert len(seen) == 1 and seen[0].shape == (1, 3, *HW)
    np.testing.assert_allclose(seen[0][0].numpy(), block_mean(rgb[0, HEAD_CAMERA]), atol=1e-6)
    # the prior's chunk follows the head camera: another scene's head view moves it
    obs, past = policy.history.tensors()
    chunks = [policy.model.action_prior(obs, past, torch.from_numpy(block_mean(e.read("rgb", (0, HEAD_CAMERA))))
                                        [None].float()) for e in episodes[:2]]
    assert not torch.allclose(*chunks)
