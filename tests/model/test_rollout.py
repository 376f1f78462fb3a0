"""Chunk-wise rollout: the KV-cached path equals full recomputation; bad step inputs are refused."""
import pytest
import torch

from aim_core.inference.rollout import AIMRollout, RolloutConfig
from aim_core.models.aim_model import AIMModel
from aim_core.models.config import aim_tiny_config


def run_episode(model, use_cache, chunks=3, seed=5, max_history_frames=None):
    g = torch.Generator().manual_seed(seed)
    apf = model.config.layout.actions_per_frame
    rollout = AIMRollout(model, RolloutConfig(video_steps=3, action_steps=2, shift=3.0, use_cache=use_cache,
                                              max_history_frames=max_history_frames))
    rollout.reset(torch.randn(2, 5, 16, generator=g))
    out = [rollout.step(torch.randn(2, 4, 1, 4, 6, generator=g))]
    for _ in range(chunks - 1):
        new_frames = model.config.layout.future_frames
        executed = out[-1].actions + 0.1 * torch.randn(out[-1].actions.shape, generator=g)  # what the robot did
        out.append(rollout.step(torch.randn(2, 4, new_frames, 4, 6, generator=g), executed[:, : new_frames * apf]))
    return rollout, out


@pytest.mark.parametrize("mask", ["intent", "unified"])
def test_kv_cache_rollout_equals_full_recomputation(mask, tiny_config):
    torch.manual_seed(0)
    model = AIMModel(aim_tiny_config(layout=tiny_config.layout, mask=mask)).eval()
    cached, with_cache = run_episode(model, use_cache=True)
    _, without = run_episode(model, use_cache=False)
    for a, b in zip(with_cache, without):
        torch.testing.assert_close(a.rgb_latents, b.rgb_latents, rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(a.actions, b.actions, rtol=1e-4, atol=1e-5)
        if mask == "intent":
            torch.testing.assert_close(a.value_latents, b.value_latents, rtol=1e-4, atol=1e-5)
        else:
            assert a.value_latents is None
    # the cache holds exactly the real history: 1 + 2*2 frames of 2x3 tokens and 2*4 executed actions
    assert cached.history_frames == 5
    assert len(cached.cache) == 5 * 6 + 2 * 2 * tiny_config.layout.actions_per_frame
    assert with_cache[1].actions.shape == (2, tiny_config.layout.future_actions, 16)


def test_history_window_bounds_the_cache(tiny_model, tiny_config):
    apf = tiny_config.layout.actions_per_frame
    full, unbounded = run_episode(tiny_model, use_cache=True)
    roomy, same = run_episode(tiny_model, use_cache=True, max_history_frames=5)
    windowed, evicted = run_episode(tiny_model, use_cache=True, max_history_frames=3)
    assert len(roomy.cache) == len(full.cache)
    torch.testing.assert_close(same[-1].actions, unbounded[-1].actions, rtol=0, atol=0)
    # frames 2, 3, 4 of 2x3 tokens stay, with the actions between them
    assert len(windowed.cache) == 3 * 6 + 2 * apf
    assert torch.isfinite(evicted[-1].actions).all()
    assert not torch.allclose(evicted[-1].actions, unbounded[-1].actions)
    with pytest.raises(ValueError, match="max_history_frames"):
        RolloutConfig(max_history_frames=2, use_cache=False)


def test_bf16_autocast_rollout_stays_close_to_fp32(tiny_model):
    g = torch.Generator().manual_seed(0)
    text, obs = torch.randn(1, 3, 16, generator=g), torch.randn(1, 4, 1, 4, 6, generator=g)
    chunks = {}
    for precision in ("fp32", "bf16"):
        rollout = AIMRollout(tiny_model, RolloutConfig(video_steps=2, action_steps=2, precision=precision))
        rollout.reset(text)
        chunks[precision] = rollout.step(obs)
    assert chunks["bf16"].actions.dtype == torch.float32  # the ODE state stays fp32
    torch.testing.assert_close(chunks["bf16"].actions, chunks["fp32"].actions, rtol=0.1, atol=0.1)
    assert not torch.equal(chunks["bf16"].actions, chunks["fp32"].actions)  # autocast really ran


def test_chunks_depend_on_the_observations(tiny_model):
    _, first = run_episode(tiny_model, use_cache=True, chunks=1, seed=1)
    _, second = run_episode(tiny_model, use_cache=True, chunks=1, seed=2)
    assert not torch.allclose(first[0].actions, second[0].actions)


def test_decoders_are_applied(tiny_model):
    rollout = AIMRollout(tiny_model, RolloutConfig(video_steps=1, action_steps=1),
                         frame_decoder=lambda z: z.mean(dim=1), action_decoder=lambda a: a * 2)
    rollout.reset(torch.randn(1, 3, 16))
    chunk = rollout.step(torch.randn(1, 4, 1, 4, 6))
    assert chunk.frames.shape == (1, 2, 4, 6) and chunk.value_maps.shape == (1, 2, 4, 6)
    torch.testing.assert_close(chunk.decoded_actions, chunk.actions * 2)


def test_bad_step_inputs_are_refused(tiny_model):
    rollout = AIMRollout(tiny_model, RolloutConfig(video_steps=1, action_steps=1))
    with pytest.raises(RuntimeError, match="reset"):
        rollout.step(torch.randn(1, 4, 1, 4, 6))
    rollout.reset(torch.randn(1, 3, 16))
    with pytest.raises(ValueError, match="executed_actions must hold 0"):
        rollout.step(torch.randn(1, 4, 1, 4, 6), torch.randn(1, 2, 16))
    rollout.step(torch.randn(1, 4, 1, 4, 6))
    frames_before = rollout.history_frames
    with pytest.raises(ValueError, match="executed_actions must hold 4"):
        rollout.step(torch.randn(1, 4, 2, 4, 6), None)
    with pytest.raises(ValueError, match="latent grid changed"):
        rollout.step(torch.randn(1, 4, 1, 6, 6), torch.randn(1, 2, 16))
    with pytest.raises(ValueError, match=r"executed_actions must be \[1, n, 16\]"):
        rollout.step(torch.randn(1, 4, 1, 4, 6), torch.randn(1, 2, 7))
    assert rollout.history_frames == frames_before  # refused input leaves the episode state intact
