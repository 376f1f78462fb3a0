"""A run whose action prior has a grid view records the scene statistics of its training episodes' opening
frames in the model, and its policy bundle carries them (`AIMConfig.action_prior_grid`)."""
from dataclasses import replace

import pytest
import torch

from aim_core.data import LatentWindowDataset
from aim_core.models.aim_model import AIMModel
from aim_core.training.trainer import train_stage1


def test_the_bundle_carries_the_opening_frames_statistics(tiny_config):
    config = tiny_config(steps=1, batch_size=1, checkpoint_every=1,
                         model_overrides={"action_prior_keypoints": 2, "action_prior_grid": [2, 3]})
    bundle = train_stage1(config).checkpoint
    model = AIMModel.from_pretrained(bundle / "transformer")
    head, model_config = model.action_prior_head, model.config
    openings = LatentWindowDataset(config.dataset, model_config.layout, config.latent_cache).opening_frames()
    pooled = torch.nn.functional.adaptive_avg_pool2d(openings, (2, 3))
    assert openings.shape[0] == 3
    torch.testing.assert_close(head.scene_mean, pooled.mean(0))
    torch.testing.assert_close(head.scene_std, pooled.std(0, unbiased=False).clamp(min=0.05))
    assert not torch.equal(head.scene_std, torch.ones_like(head.scene_std))
    plain = AIMModel(replace(model_config, action_prior_grid=(0, 0)))
    assert not plain.reads_scene_statistics
    with pytest.raises(ValueError, match="action_prior_grid"):
        plain.set_scene_statistics(openings)
