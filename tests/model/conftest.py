"""Tiny AIM models and windows shared by the model tests (real modules, random weights)."""
import pytest
import torch

from aim_core.models.aim_model import AIMModel
from aim_core.models.batch import AIMBatch
from aim_core.models.config import AIMConfig, aim_tiny_config

torch.set_num_threads(1)  # tiny models: threads only add contention on the shared 2-core machine


def make_batch(config: AIMConfig, batch: int = 2, grid: tuple[int, int] = (4, 6), seed: int = 0) -> AIMBatch:
    g = torch.Generator().manual_seed(seed)
    lay, c = config.layout, config.latent_channels

    def rand(*shape):
        return torch.randn(*shape, generator=g)

    return AIMBatch(
        obs_latents=rand(batch, c, lay.history_frames, *grid), past_actions=rand(batch, lay.past_actions, 16),
        rgb_latents=rand(batch, c, lay.future_frames, *grid), value_latents=rand(batch, c, lay.future_frames, *grid),
        actions=rand(batch, lay.future_actions, 16), text_embeds=rand(batch, 5, config.text_dim))


@pytest.fixture
def tiny_config() -> AIMConfig:
    return aim_tiny_config(layout={"history_frames": 3, "future_frames": 2, "actions_per_frame": 2})


@pytest.fixture
def tiny_model(tiny_config) -> AIMModel:
    torch.manual_seed(0)
    return AIMModel(tiny_config).eval()


@pytest.fixture
def batch_factory():
    return make_batch
