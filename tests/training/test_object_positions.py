"""The action prior that locates objects (AIMConfig.action_prior_objects): windows carry the recorded objects'
(x, y) at their current frame, the loss supervises the prior's located positions with them, and the bundle acts
without them (the prior reads the objects from its frame alone)."""

import numpy as np
import pytest
import torch

from aim_core.data import collate_windows
from aim_core.data.episodes import complete_episodes, open_dataset
from aim_core.inference.policy import AIMPolicy
from aim_core.models.aim_model import AIMModel
from aim_core.models.batch import AIMBatch
from aim_core.models.config import aim_tiny_config
from aim_core.models.embeddings import POSITION_SCALE, ActionPrior
from aim_core.training.metrics_log import read_metrics
from aim_core.training.trainer import train_stage1
from data_schemas.observation import Observation

LOCATE = {"action_prior_keypoints": 2, "action_prior_grid": (2, 3), "action_prior_objects": 2}


def test_windows_carry_the_objects_position_at_their_current_frame(last_window):
    windows, index, episode, step = last_window(object_positions=2)
    expected = episode.read("object_poses")[step, :2, :2] * POSITION_SCALE
    np.testing.assert_allclose(windows[index]["object_positions"].numpy(), expected, rtol=1e-6)
    assert collate_windows([windows[index], windows[index]])["object_positions"].shape == (2, 2, 2)
    assert "object_positions" not in last_window()[0][0]
    tracked = len(episode.attrs.object_names)
    with pytest.raises(ValueError, match=f"locates {tracked + 1} objects but episode .* tracks {tracked}"):
        last_window(object_positions=tracked + 1)


def test_training_supervises_the_located_positions_and_the_bundle_acts_without_them(tiny_config, tiny_dataset):
    config = tiny_config(steps=3, batch_size=2, checkpoint_every=3, model_overrides=LOCATE)
    result = train_stage1(config)
    assert all(np.isfinite(row["loss/locate"]) for row in read_metrics(config.out_dir))
    policy = AIMPolicy.from_pretrained(result.checkpoint)
    assert policy.model.config.action_prior_objects == 2
    episode = complete_episodes(open_dataset(tiny_dataset), successful_only=True)[0]
    rgb, qpos = episode.array("rgb")[...], episode.array("qpos")[...]
    command = policy.select_action(Observation(rgb[0], qpos[0], episode.attrs.instruction, 0))
    assert command.shape == qpos[0].shape and np.isfinite(command).all()


def test_the_loss_refuses_a_batch_without_positions_for_a_locating_prior():
    from aim_core.models.schedule import NoiseSchedule
    from aim_core.training.flow_matching import FlowMatchingConfig, flow_matching_loss

    model = AIMModel(aim_tiny_config(**LOCATE))
    c, lay = model.config, model.config.layout
    h, w = 4, 6
    batch = AIMBatch(obs_latents=torch.randn(1, c.latent_channels, 1, h, w), past_actions=torch.zeros(1, 0, c.action_dim),
                     rgb_latents=torch.randn(1, c.latent_channels, lay.future_frames, h, w),
                     value_latents=torch.randn(1, c.latent_channels, lay.future_frames, h, w),
                     actions=torch.randn(1, lay.future_actions, c.action_dim), text_embeds=torch.randn(1, 3, c.text_dim))
    with pytest.raises(ValueError, match="no object_positions"):
        flow_matching_loss(model, batch, FlowMatchingConfig(), NoiseSchedule())
    with pytest.raises(ValueError, match="expected \\[1, 2, 2\\]"):
        AIMBatch(**{**batch.__dict__, "object_positions": torch.zeros(1, 3, 2)}).validate(c)
    for without_grid in ({}, {"action_prior_keypoints": 2}):
        with pytest.raises(ValueError, match="set action_prior_keypoints and action_prior_grid too"):
            aim_tiny_config(action_prior_objects=1, **without_grid)


def test_a_locating_prior_learns_where_an_object_is_in_its_frame():
    """Frames with one bright cell at a random place: the prior's located position follows the cell on frames it
    was not trained on (the synthetic episodes' object poses are noise, unrelated to their images), and the chunk
    loss does not train the locator (it reads the located positions detached)."""
    torch.manual_seed(0)
    prior = ActionPrior(channels=4, keypoints=4, action_dim=2, actions=2, width=32, grid=(8, 12), objects=1)

    def frames(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        rows, cols = torch.randint(0, 8, (n,)), torch.randint(0, 12, (n,))
        frame = 0.1 * torch.randn(n, 4, 8, 12)
        frame[torch.arange(n), :, rows, cols] += 3.0
        return frame, torch.stack([cols / 11 * 6 - 3, rows / 7 * 2 - 1], dim=1)[:, None]  # +-3 x, +-1 y

    optimizer = torch.optim.Adam(prior.parameters(), lr=3e-3)
    for _ in range(300):
        frame, where = frames(32)
        loss = torch.nn.functional.mse_loss(prior.read(frame, None)[1], where)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    prior.zero_grad()
    prior(frames(4)[0], None).sum().backward()
    assert all(p.grad is None or not p.grad.any() for p in prior.locate.parameters())
    frame, where = frames(256)
    with torch.no_grad():
        located = prior.read(frame, None)[1]
    error, spread = (located - where).abs().mean(0), (where - where.mean(0)).abs().mean(0)
    assert (error < 0.25 * spread).all(), (error, spread)
