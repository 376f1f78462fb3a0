"""A run without --pretrained measures its tiny VAE's latent statistics, so cached latents are ~N(0, 1).

Flow matching regresses noise - x0 with unit-variance noise; latents of std ~0.1 (a random VAE's
raw scale) would leave the target nearly all noise.
"""
import json

import numpy as np
import zarr

from data_schemas import EPISODES_GROUP


def test_cached_latents_of_a_fresh_tiny_vae_have_zero_mean_unit_std(latent_cache):
    episodes = zarr.open_group(str(latent_cache), mode="r")[EPISODES_GROUP]
    for stream in ("rgb", "value"):
        z = np.concatenate([g[f"latents/{stream}"][...] for _, g in episodes.groups()]).astype(np.float64)
        per_channel = z.transpose(1, 0, 2, 3).reshape(z.shape[1], -1)  # [C, N*h*w]
        mean, std = per_channel.mean(1), per_channel.std(1)
        assert np.abs(mean).max() < 0.15, (stream, mean)
        assert np.abs(std - 1).max() < 0.15, (stream, std)
    config = json.loads((latent_cache.parent / "run" / "encoders" / "vae" / "config.json").read_text())
    assert max(config["latents_std"]) < 0.5 and max(config["value_latents_std"]) < 0.5  # the measured raw scale
