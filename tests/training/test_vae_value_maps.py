"""The small VAE's training loss sees the decoder output before diffusers' clamp.

The regression: `AutoencoderKLWan.decode` clamps its output to [-1, 1]; trained through that clamp, the decoder
drifted below -1 on the (mostly black) value canvases, where the clamp has no gradient, and the contact blob
decoded black whatever the loss weights (quick profile: brightness 0.03 on the region vs 0.63).
"""
import torch

from aim_core.models.vae import VideoVAE, tiny_wan_vae_config
from aim_core.data.episodes import complete_episodes, open_dataset
from aim_core.training.vae_training import VAETrainConfig, decode_unclamped, train_vae


def test_training_decode_is_the_decode_before_its_clamp_and_keeps_gradients():
    vae = VideoVAE.from_config(tiny_wan_vae_config(z_dim=4, base_dim=8), seed=0)
    z = 3.0 * torch.randn(1, 4, 2, 2, 3, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        raw = decode_unclamped(vae.model, z)
        clamped = vae.model.decode(z).sample
    assert raw.shape == clamped.shape == (1, 3, 5, 32, 48)
    assert torch.allclose(raw.clamp(-1, 1), clamped, atol=1e-5)
    # a pixel the decoder puts below -1 still pulls towards its target (the clamped decode gives it none)
    z.requires_grad_(True)
    out = decode_unclamped(vae.model, z)
    below = out.detach() < -1
    if not below.any():  # make some pixels saturate for sure
        out = out - (out.detach().max() + 1.5)
        below = torch.ones_like(out, dtype=torch.bool)
    (out[below] - 0.5).abs().sum().backward()
    assert z.grad.abs().sum() > 0


def test_training_starts_from_a_small_posterior_variance(tiny_dataset):
    """With std ~1 the sampled latent drowned the ~0.01 a small blob changes in a fresh encoder's latents."""
    episodes = complete_episodes(open_dataset(tiny_dataset))
    config = VAETrainConfig(z_dim=4, base_dim=8, batch_size=1, crop_hw=(32, 32), steps=1)
    vae, _ = train_vae(episodes[:1], config=config, progress=False, eval_episodes=[])
    video = torch.zeros(1, 3, 1, 32, 48)
    std = vae.model.encode(video).latent_dist.std
    assert config.posterior_logvar_init == -8.0 and float(std.mean()) < 0.1
    untouched = VideoVAE.from_config(config.vae_config(), seed=0)
    assert float(untouched.model.encode(video).latent_dist.std.mean()) > 0.5  # diffusers' own init: std ~1
