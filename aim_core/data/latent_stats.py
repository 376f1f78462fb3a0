"""Per-channel statistics of raw VAE latents over a dataset, for a VAE that brings none of its own.

Why: flow matching regresses the velocity noise - x0 with unit-variance noise. A randomly
initialised ("tiny") Wan VAE declares mean 0 / std 1 but its raw latents have std ~0.1, so the
target is nearly all noise and the loss falls without the model learning the data. Wan's own VAE
ships statistics measured on its training data; a tiny VAE gets them here, measured on the canvas
videos the latent cache encodes (`episode_videos`), per latent stream: a value-map canvas (mostly
black, a few bright blobs) gives raw latents far from an RGB scene's.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from tqdm import tqdm

from aim_core.data.episodes import EpisodeRef
from aim_core.data.latent_cache import LatentCacheConfig, episode_videos
from aim_core.models.vae import LatentStats, VideoVAE

MAX_STATS_EPISODES = 32
"""Episodes encoded for the statistics (evenly spread over the selection): per-channel moments
settle long before that, and each episode costs a full VAE encode."""
STATS_DIGITS = 6
"""Significant digits kept: the statistics go into the VAE config and so into the cache key, and a
re-created VAE must reproduce them although float sums may differ in the last bits."""
MIN_STD = 1e-6
"""Floor for a channel without variance in the sample (a degenerate dataset): no division by zero."""


def sample_episodes(episodes: Sequence[EpisodeRef], count: int = MAX_STATS_EPISODES) -> list[EpisodeRef]:
    """At most `count` episodes, evenly spread over `episodes` (tasks and settings are usually in runs)."""
    if not episodes:
        raise ValueError("no episodes to measure latent statistics on: the selection is empty")
    picks = np.unique(np.linspace(0, len(episodes) - 1, num=min(count, len(episodes))).round().astype(int))
    return [episodes[i] for i in picks]


def raw_latent_stats(episodes: Sequence[EpisodeRef], vae: VideoVAE, config: LatentCacheConfig,
                     max_episodes: int = MAX_STATS_EPISODES, progress: bool = True) -> dict[str, LatentStats]:
    """Per-channel mean/std of `vae`'s raw latents of each stream ("rgb", "value") over a sample of `episodes`."""
    moments: dict[str, torch.Tensor] = {}  # stream -> [3, C]: count, sum, sum of squares
    for episode in tqdm(sample_episodes(episodes, max_episodes), desc="latent statistics", disable=not progress):
        for stream, video in episode_videos(episode, config, vae.temporal)[1].items():
            z = vae.encode_raw(torch.from_numpy(video)[None])[0].flatten(1).double().cpu()  # [C, N*h*w]
            m = torch.stack([torch.full_like(z[:, 0], z.shape[1]), z.sum(1), z.square().sum(1)])
            moments[stream] = moments[stream] + m if stream in moments else m
    stats = {}
    for stream, (count, total, squares) in moments.items():
        mean = total / count
        std = (squares / count - mean.square()).clamp_min(0).sqrt().clamp_min(MIN_STD)
        stats[stream] = LatentStats(_rounded(mean), _rounded(std))
    return stats


def _rounded(values: torch.Tensor) -> tuple[float, ...]:
    return tuple(float(f"{v:.{STATS_DIGITS}g}") for v in values.tolist())
