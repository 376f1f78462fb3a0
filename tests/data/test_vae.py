"""The shared Wan2.2 VAE wrapper: tiny random config, save/load round trip, shapes, errors."""
import logging

import numpy as np
import pytest
import torch

from aim_core.models.vae import WAN22_TI2V_5B_VAE_CONFIG, LatentStats, VideoVAE, tiny_wan_vae_config


@pytest.fixture(scope="module")
def tiny_vae():
    return VideoVAE.from_config(tiny_wan_vae_config(z_dim=8), seed=0)


def test_wan22_config_is_the_ti2v_5b_vae():
    cfg = WAN22_TI2V_5B_VAE_CONFIG
    assert (cfg["z_dim"], cfg["patch_size"], cfg["is_residual"]) == (48, 2, True)
    assert len(cfg["latents_mean"]) == len(cfg["latents_std"]) == 48
    assert (cfg["scale_factor_spatial"], cfg["scale_factor_temporal"]) == (16, 4)


def test_encode_decode_shapes(tiny_vae):
    video = np.random.default_rng(0).integers(0, 256, (1, 5, 32, 48, 3), dtype=np.uint8)
    z = tiny_vae.encode(video)
    assert z.shape == (1, 8, 2, 2, 3) == (1, *tiny_vae.latent_shape(5, 32, 48))
    assert torch.isfinite(z).all()
    out = tiny_vae.decode(z)
    assert out.shape == (1, 5, 32, 48, 3) and out.dtype == torch.uint8


def test_latents_are_normalised_with_the_config_mean_std(tmp_path):
    cfg = tiny_wan_vae_config(z_dim=8)
    plain = VideoVAE.from_config(cfg, seed=3)
    shifted = VideoVAE.from_config({**cfg, "latents_mean": [1.0] * 8, "latents_std": [2.0] * 8}, seed=3)
    video = np.full((1, 1, 16, 16, 3), 100, np.uint8)
    assert torch.allclose(shifted.encode(video), (plain.encode(video) - 1.0) / 2.0, atol=1e-5)


def test_save_load_round_trip_in_diffusers_layout(tiny_vae, tmp_path):
    tiny_vae.save_pretrained(tmp_path / "Wan2.2-TI2V-5B-Diffusers" / "vae")
    warnings: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = warnings.append
    logging.getLogger("diffusers").addHandler(handler)
    try:
        loaded = VideoVAE.from_pretrained(tmp_path / "Wan2.2-TI2V-5B-Diffusers")
    finally:
        logging.getLogger("diffusers").removeHandler(handler)
    assert not warnings, [w.getMessage() for w in warnings]  # e.g. low_cpu_mem_usage asked without accelerate
    assert loaded.digest() == tiny_vae.digest()
    video = np.random.default_rng(1).integers(0, 256, (1, 1, 16, 32, 3), dtype=np.uint8)
    assert torch.equal(loaded.encode(video), tiny_vae.encode(video))
    other = VideoVAE.from_config(tiny_wan_vae_config(z_dim=8), seed=1)
    assert other.digest() != tiny_vae.digest()


def test_bad_input_errors(tiny_vae, tmp_path):
    with pytest.raises(FileNotFoundError, match="Wan2.2-TI2V-5B-Diffusers"):
        VideoVAE.from_pretrained(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="multiple"):
        tiny_vae.encode(np.zeros((1, 1, 20, 16, 3), np.uint8))
    with pytest.raises(ValueError, match="1 \\+ 4"):
        tiny_vae.encode(np.zeros((1, 3, 16, 16, 3), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        tiny_vae.encode(np.zeros((1, 1, 16, 16, 3), np.float32))


def test_streaming_encoder_matches_one_causal_encode(tiny_vae):
    video = np.random.default_rng(2).integers(0, 256, (1, 9, 16, 32, 3), dtype=np.uint8)
    whole = tiny_vae.encode(video)
    stream = tiny_vae.streaming_encoder()
    pieces = [stream.push(video[:, :1]), stream.push(video[:, 1:5]), stream.push(video[:, 5:9])]
    assert torch.allclose(torch.cat(pieces, dim=2), whole, atol=1e-5)
    with pytest.raises(ValueError, match="4\\*k"):
        stream.push(video[:, :3])
    stream.reset()
    assert torch.allclose(stream.push(video[:, :5]), whole[:, :, :2], atol=1e-5)


def test_value_latents_have_their_own_statistics_kept_in_the_config(tmp_path):
    cfg = tiny_wan_vae_config(z_dim=8)
    plain, vae = VideoVAE.from_config(cfg, seed=3), VideoVAE.from_config(cfg, seed=3)
    assert vae.latent_stats("value") == vae.latent_stats("rgb")  # no value keys (Wan's own VAE): the RGB ones
    value_stats = LatentStats(tuple(0.1 * c for c in range(8)), (2.0,) * 8)
    vae.set_latent_stats({"value": value_stats})
    assert vae.digest() != plain.digest()  # new statistics, new latent cache key
    video = np.random.default_rng(4).integers(0, 256, (1, 5, 16, 32, 3), dtype=np.uint8)
    raw = plain.encode_raw(video)
    mean = torch.tensor(value_stats.mean).view(1, -1, 1, 1, 1)
    z = vae.encode(video, "value")
    assert torch.allclose(z, (raw - mean) / 2.0, atol=1e-5)
    assert torch.equal(vae.encode(video), plain.encode(video))  # RGB statistics untouched
    # decode undoes the stream's normalisation: the same pixels as decoding the raw latents
    assert (vae.decode(z, "value").int() - plain.model.decode(raw).sample.add(1).mul(127.5).round().clamp(0, 255)
            .permute(0, 2, 3, 4, 1).int()).abs().max() <= 1
    stream = vae.streaming_encoder()
    assert torch.allclose(torch.cat([stream.push(video[:, :1], "value"), stream.push(video[:, 1:], "value")], 2),
                          z, atol=1e-5)

    vae.save_pretrained(tmp_path / "vae")
    loaded = VideoVAE.from_pretrained(tmp_path / "vae")
    assert loaded.latent_stats("value") == value_stats and loaded.digest() == vae.digest()
    assert torch.equal(loaded.encode(video, "value"), z)
    with pytest.raises(ValueError, match="latent stream"):
        vae.encode(video, "depth")
    with pytest.raises(ValueError, match="latents_mean/latents_std have 3/8 entries"):
        VideoVAE.from_config({**cfg, "latents_mean": [0.0] * 3})
