"""Chunk sampling: the KV-cached path equals full recomputation; the history window is a training window's."""
import pytest
import torch

from aim_core.inference.rollout import ChunkSampler, HistoryWindow, SamplingConfig
from aim_core.models.aim_model import AIMModel
from aim_core.models.config import aim_tiny_config
from aim_core.models.schedule import NoiseSchedule

SCHEDULE = NoiseSchedule(shift=3.0)


def history(model, frames: int, seed: int = 5):
    """Text, obs latents [1 or 2 batch] and past actions of a window with `frames` history frames."""
    g = torch.Generator().manual_seed(seed)
    c = model.config
    past = (frames - 1) * c.layout.actions_per_frame
    return (torch.randn(2, 5, c.text_dim, generator=g), torch.randn(2, c.latent_channels, frames, 4, 6, generator=g),
            torch.randn(2, past, c.action_dim, generator=g) if past else None)


@pytest.mark.parametrize("variant", ["aim", "unified", "no-value"])
@pytest.mark.parametrize("frames", [1, 3])
def test_kv_cached_sampling_equals_full_recomputation(variant, frames, tiny_config):
    torch.manual_seed(0)
    model = AIMModel(aim_tiny_config(layout=tiny_config.layout, variant=variant)).eval()
    chunks = [ChunkSampler(model, SCHEDULE, SamplingConfig(num_steps=3, use_cache=cache)).sample(*history(model, frames))
              for cache in (True, False)]
    cached, full = chunks
    torch.testing.assert_close(cached.rgb_latents, full.rgb_latents, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(cached.actions, full.actions, rtol=1e-4, atol=1e-5)
    if variant != "no-value":
        torch.testing.assert_close(cached.value_latents, full.value_latents, rtol=1e-4, atol=1e-5)
    else:
        assert cached.value_latents is None
    assert cached.actions.shape == (2, tiny_config.layout.future_actions, 16)


def test_history_window_holds_what_a_training_window_holds(tiny_config):
    """F_h = 3, apf = 2: frames grow to 3 and then slide; past actions are the 2 * (h - 1) latest."""
    window = HistoryWindow(tiny_config.layout)
    frame = [torch.full((1, 4, 1, 2, 2), float(j)) for j in range(6)]
    acts = [torch.full((1, 2, 16), float(j)) for j in range(6)]  # actions executed after frame j
    window.add(frame[0], None)
    obs, past = window.tensors()
    assert obs.shape[2] == 1 and past is None  # an episode's first window: one frame, no action
    window.add(frame[1], acts[0])
    window.add(torch.cat(frame[2:4], dim=2), torch.cat(acts[1:3], dim=1))  # two latent frames at once
    obs, past = window.tensors()
    assert obs[0, 0, :, 0, 0].tolist() == [1.0, 2.0, 3.0]
    assert past[0, :, 0].tolist() == [1.0, 1.0, 2.0, 2.0]  # the actions between frames 1..3, none before 1
    with pytest.raises(ValueError, match="must hold 2 actions"):
        window.add(frame[4], None)
    with pytest.raises(ValueError, match="do not continue"):
        window.add(torch.zeros(1, 4, 1, 3, 3), acts[3])
    assert window.tensors()[0].shape[2] == 3  # refused input leaves the window as it was
    window.reset()
    with pytest.raises(ValueError, match="none before the first frame"):
        window.add(frame[0], acts[0])


def test_bf16_autocast_sampling_stays_close_to_fp32(tiny_model):
    inputs = history(tiny_model, 2)
    chunks = {p: ChunkSampler(tiny_model, SCHEDULE, SamplingConfig(num_steps=2, precision=p)).sample(*inputs)
              for p in ("fp32", "bf16")}
    assert chunks["bf16"].actions.dtype == torch.float32  # the ODE state stays fp32
    torch.testing.assert_close(chunks["bf16"].actions, chunks["fp32"].actions, rtol=0.1, atol=0.1)
    assert not torch.equal(chunks["bf16"].actions, chunks["fp32"].actions)  # autocast really ran


def test_chunks_depend_on_the_observations_and_the_seed_stream(tiny_model):
    sampler = ChunkSampler(tiny_model, SCHEDULE, SamplingConfig(num_steps=2))
    first = sampler.sample(*history(tiny_model, 2, seed=1)).actions
    again = sampler.sample(*history(tiny_model, 2, seed=1)).actions
    other = ChunkSampler(tiny_model, SCHEDULE, SamplingConfig(num_steps=2)).sample(*history(tiny_model, 2, seed=2))
    assert not torch.allclose(first, other.actions)
    assert not torch.allclose(first, again)  # the noise stream moves on within an episode
    sampler.reset()
    torch.testing.assert_close(sampler.sample(*history(tiny_model, 2, seed=1)).actions, first, rtol=0, atol=0)


def test_the_schedule_shapes_the_sampling(tiny_model):
    inputs = history(tiny_model, 2)
    plain = ChunkSampler(tiny_model, NoiseSchedule(shift=1.0), SamplingConfig(num_steps=3)).sample(*inputs)
    shifted = ChunkSampler(tiny_model, NoiseSchedule(shift=5.0), SamplingConfig(num_steps=3)).sample(*inputs)
    assert not torch.allclose(plain.actions, shifted.actions)


def test_bad_sampling_settings_are_refused():
    with pytest.raises(ValueError, match="num_steps"):
        SamplingConfig(num_steps=0)
    with pytest.raises(ValueError, match="precision"):
        SamplingConfig(precision="fp16")
