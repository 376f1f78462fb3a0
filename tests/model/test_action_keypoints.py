"""Spatial-softmax keypoints of the current frame for the action tokens (AIMConfig.action_keypoints).

They must find where a feature is, start as a no-op, belong to the Stage II action head (so the world
stays bitwise unchanged when they train), read only the current observation, and sample the same with
and without the KV cache.
"""
import pytest
import torch

from aim_core.inference.rollout import ChunkSampler, SamplingConfig
from aim_core.models.aim_model import AIMModel
from aim_core.models.config import aim_tiny_config
from aim_core.models.embeddings import ObservationKeypoints
from aim_core.models.schedule import NoiseSchedule
from tests.model.conftest import make_batch
from tests.model.test_action_head import outputs, perturb


def _model(keypoints: int = 3, seed: int = 0) -> AIMModel:
    torch.manual_seed(seed)
    return AIMModel(aim_tiny_config(action_keypoints=keypoints)).eval()


def _wake(model: AIMModel) -> None:
    """Give the zero-initialised last projection weights, as training would."""
    perturb(model.action_keypoint_encoder.project[-1].parameters(), seed=7)


def test_a_keypoint_lands_on_the_bright_cell():
    encoder = ObservationKeypoints(channels=2, keypoints=1, width=8)
    with torch.no_grad():  # one feature map = channel 0, sharpened 20x, so its softmax peaks on the bright cell
        for p in encoder.features.parameters():
            p.zero_()
        encoder.features[0].weight[0, 0, 1, 1] = 1.0
        encoder.features[2].weight[0, 0] = 1.0
        encoder.temperature.fill_(20.0)
    frame = torch.zeros(1, 2, 5, 9)
    frame[0, 0, 4, 2] = 1.0  # row 4 of 5 (y = +1), column 2 of 9 (x = -0.5)
    (x, y), = encoder.keypoints(frame)[0].tolist()
    assert x == pytest.approx(-0.5, abs=0.02) and y == pytest.approx(1.0, abs=0.02)


def test_keypoints_start_as_a_no_op():
    plain, pointed = _model(0), _model(3)
    pointed.load_state_dict(plain.state_dict(), strict=False)
    batch = make_batch(plain.config)
    a, b = outputs(plain, batch), outputs(pointed, batch)
    torch.testing.assert_close(b.action, a.action)
    torch.testing.assert_close(b.rgb, a.rgb)


def test_keypoints_are_action_head_weights_and_leave_the_world_bitwise_unchanged():
    model = _model()
    _wake(model)
    batch = make_batch(model.config)
    names = {n for n, p in model.named_parameters() if any(p is q for q in model.action_head_parameters())}
    assert {n for n, _ in model.named_parameters() if n.startswith("action_keypoint_encoder.")} <= names
    before = outputs(model, batch)
    perturb(model.action_keypoint_encoder.parameters(), seed=1)
    after = outputs(model, batch)
    assert torch.equal(before.rgb, after.rgb) and torch.equal(before.value, after.value)
    assert not torch.allclose(before.action, after.action, atol=1e-4)


def test_actions_read_the_current_frame_only():
    model = _model()
    _wake(model)
    batch = make_batch(model.config)
    encoder = model.action_keypoint_encoder
    older = batch.obs_latents.clone()
    older[:, :, :-1] += 3.0  # earlier history frames change: the keypoints do not
    current = batch.obs_latents.clone()
    current[:, :, -1] = torch.roll(current[:, :, -1], shifts=2, dims=-1)
    assert torch.equal(encoder(older[:, :, -1]), encoder(batch.obs_latents[:, :, -1]))
    assert not torch.allclose(encoder(current[:, :, -1]), encoder(batch.obs_latents[:, :, -1]))
    with pytest.raises(ValueError, match="current observation"):
        model(actions=batch.actions, t_action=500.0)


def test_cached_sampling_equals_full_recomputation_and_the_weights_reload(tmp_path):
    model = _model()
    _wake(model)
    g = torch.Generator().manual_seed(3)
    c = model.config
    text, obs = torch.randn(1, 5, c.text_dim, generator=g), torch.randn(1, c.latent_channels, 1, 4, 6, generator=g)
    cached, full = (ChunkSampler(model, NoiseSchedule(shift=3.0), SamplingConfig(num_steps=3, use_cache=flag))
                    .sample(text, obs, None) for flag in (True, False))
    torch.testing.assert_close(cached.actions, full.actions, rtol=1e-4, atol=1e-5)
    model.save_pretrained(tmp_path / "m")
    loaded = AIMModel.from_pretrained(tmp_path / "m")
    assert loaded.config.action_keypoints == 3
    torch.testing.assert_close(loaded.action_keypoint_encoder.project[-1].weight,
                               model.action_keypoint_encoder.project[-1].weight)
