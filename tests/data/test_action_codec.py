"""Action normalisation statistics and the action codec (save/load keeps them, in float32)."""
import numpy as np
import pytest
import torch

from data_schemas import ARM_JOINT_DIMS
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


def test_codec_save_load_keeps_stats_in_float32(tmp_path):
    stats = ActionStats.from_actions(_actions())
    codec = ActionCodec()
    codec.set_stats(stats)
    x = torch.from_numpy(_actions(8))
    normed = codec.normalize(x)
    codec.save_pretrained(tmp_path / "codec")
    loaded = ActionCodec.from_pretrained(tmp_path / "codec", torch_dtype=torch.bfloat16)
    assert loaded.low.dtype == torch.float32 and bool(loaded.has_stats)
    assert torch.equal(loaded.low, codec.low) and torch.equal(loaded.high, codec.high)
    loaded.to(torch.bfloat16).half()  # a cast of everything around it leaves the statistics alone
    assert torch.equal(loaded.high, codec.high)
    torch.testing.assert_close(loaded.denormalize(normed), x, rtol=0, atol=1e-4)


def test_codec_without_stats_refuses():
    codec = ActionCodec()
    with pytest.raises(RuntimeError, match="set_stats"):
        codec.normalize(torch.zeros(2, 16))
    with pytest.raises(ValueError, match="dimensions"):
        codec.set_stats(ActionStats.from_actions(np.zeros((4, 3), np.float32)))


def test_codec_loads_quietly(tmp_path, capfd):
    """No accelerate advice on every policy load (diffusers printed one for the codec's three buffers)."""
    codec = ActionCodec()
    codec.set_stats(ActionStats.from_actions(_actions()))
    codec.save_pretrained(tmp_path / "codec")
    capfd.readouterr()
    ActionCodec.from_pretrained(tmp_path / "codec")
    assert "accelerate" not in "".join(capfd.readouterr())


def test_relative_targets_hold_an_arm_still_as_one_target_anywhere(tmp_path):
    """Relative targets: arm joints as offsets from the measured joints (an arm that stays where it is gives the same
    target at any position), grippers absolute; the round trip is exact and the bundle keeps it. An absolute codec's
    state dict is the one bundles written before relative targets hold."""
    stats, offsets = ActionStats.from_actions(_actions()), ActionStats.from_actions(_actions() * 0.05)
    codec = ActionCodec(relative_targets=True)
    with pytest.raises(ValueError, match="offsets' statistics"):
        codec.set_stats(stats)
    with pytest.raises(ValueError, match="takes none"):
        ActionCodec().set_stats(stats, offsets)
    codec.set_stats(stats, offsets)
    here, there = torch.from_numpy(_actions(2))
    still = torch.stack([here.expand(4, 16), there.expand(4, 16)])             # two chunks, each arm at rest
    targets = codec.normalize_targets(still, torch.stack([here, there]))
    arm = list(ARM_JOINT_DIMS)
    torch.testing.assert_close(targets[0][:, arm], targets[1][:, arm])       # the same target in both places
    torch.testing.assert_close(targets[:, :, [7, 15]], codec.normalize(still)[:, :, [7, 15]])
    torch.testing.assert_close(codec.denormalize_targets(targets, torch.stack([here, there])), still, atol=1e-4, rtol=0)
    torch.testing.assert_close(codec.targets_as_actions(targets, torch.stack([here, there])), codec.normalize(still),
                               atol=1e-5, rtol=0)
    codec.save_pretrained(tmp_path / "codec")
    loaded = ActionCodec.from_pretrained(tmp_path / "codec")
    assert loaded.config.relative_targets and torch.equal(loaded.offset_high, codec.offset_high)
    torch.testing.assert_close(loaded.normalize_targets(still, torch.stack([here, there])), targets)
    assert set(ActionCodec().state_dict()) == {"low", "high", "has_stats"}
