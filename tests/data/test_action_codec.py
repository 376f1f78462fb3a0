"""Action normalisation statistics and the MLP action codec (save/load keeps the statistics)."""
import numpy as np
import pytest
import torch

from aim_core.models.action_codec import ActionCodec, ActionStats, denormalize_actions, normalize_actions


def _actions(n=500):
    rng = np.random.default_rng(1)
    a = rng.normal(size=(n, 16)) * np.linspace(0.1, 3.0, 16) + np.arange(16)
    a[:, 7] = rng.integers(0, 2, n)   # gripper 0/1
    a[:, 15] = 1.0                    # a gripper that never closes: constant dimension
    return a.astype(np.float32)


def test_normalisation_round_trip_and_range():
    a = _actions()
    stats = ActionStats.from_actions(a)
    low, high = torch.tensor(stats.low), torch.tensor(stats.high)
    x = torch.from_numpy(a)
    n = normalize_actions(x, low, high)
    inside = (x >= low) & (x <= high)
    assert n[inside].abs().max() <= 1.0 + 1e-6
    assert torch.all(n[:, 15] == 0)                      # constant dims map to 0, no division by zero
    back = denormalize_actions(n, low, high)
    assert torch.allclose(back[:, :15], x[:, :15], atol=1e-4)
    assert torch.allclose(back[:, 15], x[:, 15])
    assert ActionStats.from_dict(stats.to_dict()) == stats


def test_codec_save_load_keeps_stats_and_weights(tmp_path):
    stats = ActionStats.from_actions(_actions())
    codec = ActionCodec(token_dim=32, hidden_dim=64, num_layers=2)
    codec.set_stats(stats)
    x = torch.from_numpy(_actions(8))
    tokens = codec.encode(x)
    assert tokens.shape == (8, 32)
    codec.save_pretrained(tmp_path / "codec")
    loaded = ActionCodec.from_pretrained(tmp_path / "codec")
    assert torch.equal(loaded.low, codec.low) and torch.equal(loaded.high, codec.high)
    assert torch.allclose(loaded.encode(x), tokens)
    assert loaded.decode(tokens, denormalize=True).shape == (8, 16)


def test_codec_without_stats_refuses():
    codec = ActionCodec(token_dim=8, hidden_dim=8, num_layers=1)
    with pytest.raises(RuntimeError, match="set_stats"):
        codec.encode(torch.zeros(2, 16))
    with pytest.raises(ValueError, match="dimensions"):
        codec.set_stats(ActionStats.from_actions(np.zeros((4, 3), np.float32)))
