"""The frozen encoders of a run (video VAE, text encoder), chosen once and kept with the run.

The latent cache, validation images and closed-loop evaluation must all use the very same VAE
and text encoder. With `--pretrained` they are Wan2.2's own (`vae/`, `text_encoder/`,
`tokenizer/` of the weights folder). Without, small randomly initialised ones sized for the
model preset are created once (tokenizer trained on the dataset's instructions; the VAE trained on
the training episodes' RGB and value canvases (`aim_core.training.vae_training`; zero steps = left
random, as aim-tiny's tests do), frozen, then its latent statistics measured on them, see
`aim_core.data.latent_stats`) and saved in `<out_dir>/encoders` (with `vae_report.json`: steps, loss,
reconstruction PSNR), so the cache, the checkpoints and `aim-eval` agree.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
import json
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from transformers import UMT5EncoderModel

from aim_core.data import LatentCacheConfig, raw_latent_stats
from aim_core.data.episodes import EpisodeRef
from aim_core.models.config import AIMConfig
from aim_core.models.text import TextEncoder, tiny_umt5_config, train_unigram_tokenizer
from aim_core.models.vae import VideoVAE, tiny_wan_vae_config
from aim_core.training.vae_training import VAETrainConfig, train_vae

ENCODERS_DIR = "encoders"
VAE_SUBDIR = "vae"
VAE_REPORT = "vae_report.json"
STATS_EPISODES = 8
"""Episodes (evenly spread) the latent statistics of a new VAE are measured on: every one is VAE-encoded
whole, on CPU about as costly as caching it; per-channel moments settle within a few episodes."""
TINY_TEXT_MAX_LENGTH = 64


@dataclass
class Encoders:
    """The VAE and text encoder of a run and the folder they load from."""

    vae: VideoVAE
    text: TextEncoder
    source: Path

    @classmethod
    def load(cls, source: str | Path) -> "Encoders":
        """From a Wan2.2 Diffusers folder or a run's `encoders/` folder (same layout)."""
        source = Path(source)
        return cls(vae=VideoVAE.from_pretrained(source), text=TextEncoder.from_pretrained(source), source=source)


def run_encoders(out_dir: str | Path, pretrained: str | None, preset: AIMConfig, instructions: list[str],
                 seed: int = 0, latent_episodes: Sequence[EpisodeRef] = (),
                 cache_config: LatentCacheConfig = LatentCacheConfig(), progress: bool = True,
                 vae_training: VAETrainConfig | None = None,
                 on_vae_step: Callable[[int, float], None] | None = None) -> Encoders:
    """The run's encoders: Wan2.2's, the ones saved by an earlier call, or new tiny random ones.

    A new tiny VAE gets per-stream latent statistics measured on (a sample of) `latent_episodes`,
    encoded as the latent cache will encode them (`cache_config`); a run that trains must pass its
    training episodes. Without any (tests that encode no dataset) it keeps mean 0 / std 1. With
    `vae_training` of more than zero steps the VAE is first trained on `latent_episodes`
    (`on_vae_step(steps_done, loss)` after each step).
    """
    if pretrained is not None:
        return Encoders.load(pretrained)
    folder = Path(out_dir) / ENCODERS_DIR
    if (folder / VAE_SUBDIR / "config.json").is_file():
        return Encoders.load(folder)
    if not instructions:
        raise ValueError("cannot build a tokenizer without instructions: the dataset selection is empty")
    report = None
    if vae_training is not None and vae_training.steps > 0 and latent_episodes:
        vae, report = train_vae(latent_episodes, cache_config, replace(vae_training, z_dim=preset.latent_channels),
                                progress=progress, on_step=on_vae_step)
    else:
        vae = VideoVAE.from_config(tiny_wan_vae_config(z_dim=preset.latent_channels), seed=seed)
    if latent_episodes:  # measured on the GPU when there is one (an H200 machine's CPUs took 2.5 s an episode)
        vae.to("cuda" if torch.cuda.is_available() else "cpu")
        vae.set_latent_stats(raw_latent_stats(latent_episodes, vae, cache_config, progress=progress,
                                              max_episodes=STATS_EPISODES))
        vae.to("cpu")
    tokenizer = train_unigram_tokenizer(instructions)
    torch.manual_seed(seed)
    text_model = UMT5EncoderModel(tiny_umt5_config(len(tokenizer), d_model=preset.text_dim))
    text = TextEncoder(tokenizer, text_model, max_length=TINY_TEXT_MAX_LENGTH)
    tmp = folder.with_name(folder.name + ".tmp")
    vae.save_pretrained(tmp / VAE_SUBDIR)
    text.save_pretrained(tmp)
    if report is not None:
        (tmp / VAE_REPORT).write_text(json.dumps(report.to_dict(), indent=1))
    tmp.replace(folder)
    return Encoders.load(folder)
