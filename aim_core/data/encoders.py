"""The frozen encoders the latent cache needs: the Wan2.2 VAE and a T5-family text encoder.

With a local Wan2.2-TI2V-5B-Diffusers folder both come from it (VAE z_dim 48, umT5 d_model
4096). Without one (CPU development, tests, aim-tiny) they are small random networks of the
right *interface* (the Wan2.2 VAE architecture at toy width, a toy umT5 with an offline
tokenizer), seeded so that the same call always gives the same weights and therefore the same
digests, which keeps the latent cache valid across runs.
"""
from __future__ import annotations

from pathlib import Path

import torch
from transformers import UMT5EncoderModel

from aim_core.models.text import TextEncoder, tiny_umt5_config, train_unigram_tokenizer
from aim_core.models.vae import VideoVAE, tiny_wan_vae_config

TINY_TEXT_MAX_LENGTH = 64


def load_encoders(pretrained: str | Path | None, instructions: list[str], latent_channels: int, text_dim: int,
                  seed: int = 0) -> tuple[VideoVAE, TextEncoder]:
    """(VAE, text encoder) whose latent channels and text width match the AIM model's config."""
    if pretrained is not None:
        vae, text = VideoVAE.from_pretrained(pretrained), TextEncoder.from_pretrained(pretrained)
    else:
        vae = VideoVAE.from_config(tiny_wan_vae_config(z_dim=latent_channels), seed=seed)
        tokenizer = train_unigram_tokenizer(instructions)
        torch.manual_seed(seed)
        text = TextEncoder(tokenizer, UMT5EncoderModel(tiny_umt5_config(len(tokenizer), d_model=text_dim)),
                           max_length=TINY_TEXT_MAX_LENGTH)
    if vae.z_dim != latent_channels or text.dim != text_dim:
        raise ValueError(f"encoders give {vae.z_dim} latent channels and {text.dim}-wide text states, the model "
                         f"expects {latent_channels} and {text_dim}: use the model config that matches "
                         f"{pretrained or 'the tiny encoders'} (aim-5b for Wan2.2 weights)")
    return vae, text
