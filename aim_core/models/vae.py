"""The one video VAE of AIM: Wan2.2-TI2V-5B's `AutoencoderKLWan`, shared by RGB and value maps.

AIM encodes the packed RGB canvas and the packed value-map canvas with the *same* VAE so both
live in one geometrically aligned latent space (paper, eq. z^o = E(x~), z^m = E(m~)). This
wrapper fixes the conventions around diffusers' class in one place: uint8 frames in, latents
normalised with per-channel mean/std out, shape checks against the 16x spatial and 4x temporal
compression, loading from a local Diffusers-layout folder, and a content digest that the latent
cache uses to notice a changed VAE.

Normalisation statistics live in the VAE's `config.json`, where Wan keeps them: `latents_mean` /
`latents_std` for RGB latents and, optionally, `value_latents_mean` / `value_latents_std` for
value-map latents (a value canvas is mostly black, so its raw latents sit elsewhere than an RGB
scene's). Without the value keys (Wan2.2's own VAE) both streams use the RGB statistics. Flow
matching needs latents of about unit variance: its velocity target is noise - x0 with unit-variance
noise. Wan's statistics give that for Wan's VAE; a randomly initialised VAE gets statistics
measured on the run's data (`aim_core.data.latent_stats`).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from diffusers import AutoencoderKLWan
from diffusers.models.autoencoders.autoencoder_kl_wan import WanCausalConv3d, patchify
from diffusers.utils import is_accelerate_available

from aim_core.models.frozen_module import FrozenModule
from aim_core.models.onednn_conv import use_onednn_conv3d

WAN22_TI2V_5B_VAE_CONFIG: dict = {
    "base_dim": 160,
    "decoder_base_dim": 256,
    "z_dim": 48,
    "dim_mult": [1, 2, 4, 4],
    "num_res_blocks": 2,
    "attn_scales": [],
    "temperal_downsample": [False, True, True],
    "dropout": 0.0,
    "is_residual": True,
    "in_channels": 12,
    "out_channels": 12,
    "patch_size": 2,
    "scale_factor_spatial": 16,
    "scale_factor_temporal": 4,
    "latents_mean": [
        -0.2289, -0.0052, -0.1323, -0.2339, -0.2799, 0.0174, 0.1838, 0.1557,
        -0.1382, 0.0542, 0.2813, 0.0891, 0.1570, -0.0098, 0.0375, -0.1825,
        -0.2246, -0.1207, -0.0698, 0.5109, 0.2665, -0.2108, -0.2158, 0.2502,
        -0.2055, -0.0322, 0.1109, 0.1567, -0.0729, 0.0899, -0.2799, -0.1230,
        -0.0313, -0.1649, 0.0117, 0.0723, -0.2839, -0.2083, -0.0520, 0.3748,
        0.0152, 0.1957, 0.1433, -0.2944, 0.3573, -0.0548, -0.1681, -0.0667,
    ],
    "latents_std": [
        0.4765, 1.0364, 0.4514, 1.1677, 0.5313, 0.4990, 0.4818, 0.5013,
        0.8158, 1.0344, 0.5894, 1.0901, 0.6885, 0.6165, 0.8454, 0.4978,
        0.5759, 0.3523, 0.7135, 0.6804, 0.5833, 1.4146, 0.8986, 0.5659,
        0.7069, 0.5338, 0.4889, 0.4917, 0.4069, 0.4999, 0.6866, 0.4093,
        0.5709, 0.6065, 0.6415, 0.4944, 0.5726, 1.2042, 0.5458, 1.6887,
        0.3971, 1.0600, 0.3943, 0.5537, 0.5444, 0.4089, 0.7468, 0.7744,
    ],
}
"""`vae/config.json` of Wan-AI/Wan2.2-TI2V-5B-Diffusers (z_dim 48, patch 2, residual, 16x/4x)."""


LATENT_STREAMS = ("rgb", "value")
"""What a latent encodes; each stream is normalised with its own statistics."""
_STATS_KEYS = {"rgb": ("latents_mean", "latents_std"), "value": ("value_latents_mean", "value_latents_std")}
"""VAE config keys of each stream's statistics (the RGB ones are Wan's own)."""


@dataclass(frozen=True)
class LatentStats:
    """Per-channel mean and std of raw latents: normalised latents are (z - mean) / std."""

    mean: tuple[float, ...]
    std: tuple[float, ...]


class _OwnConfigKeys(logging.Filter):
    """diffusers warns that config keys unknown to `AutoencoderKLWan` 'will be ignored'; it keeps them
    in `model.config` all the same, and the value statistics are such keys: drop that false alarm."""

    def filter(self, record: logging.LogRecord) -> bool:
        return _STATS_KEYS["value"][0] not in record.getMessage()


def tiny_wan_vae_config(z_dim: int = 8, base_dim: int = 16) -> dict:
    """The Wan2.2 architecture (patch 2, residual, 16x spatial, 4x temporal) at toy width, for tests."""
    return {**WAN22_TI2V_5B_VAE_CONFIG, "base_dim": base_dim, "decoder_base_dim": base_dim, "z_dim": z_dim,
            "dim_mult": [1, 2, 2, 2], "num_res_blocks": 1,
            "latents_mean": [0.0] * z_dim, "latents_std": [1.0] * z_dim}


class VideoVAE(FrozenModule):
    """`AutoencoderKLWan` with AIM's conventions: uint8 video in, normalised latents out.

    Pixel videos are [B, T, H, W, 3] uint8 (channels last, as stored and as packed by the canvas);
    latents are [B, z_dim, 1 + (T-1)/4, H/16, W/16] float, normalised as (z - mean) / std with the
    statistics of their stream ("rgb" or "value").
    """

    def __init__(self, model: AutoencoderKLWan):
        super().__init__(use_onednn_conv3d(model))  # one video at a time: PyTorch's batch-1 conv3d is its slow one
        cfg = model.config
        self.spatial = int(cfg.scale_factor_spatial)
        self.temporal = int(cfg.scale_factor_temporal)
        self.z_dim = int(cfg.z_dim)
        self._load_stats()

    def _config_keys(self, stream: str) -> tuple[str, str]:
        """Config keys of the statistics `stream` uses: its own, else (Wan's VAE) the RGB ones."""
        keys = _STATS_KEYS[_check_stream(stream)]
        return keys if keys[0] in self.model.config else _STATS_KEYS["rgb"]

    def _load_stats(self) -> None:
        cfg = self.model.config
        self._stats: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        for stream in LATENT_STREAMS:
            mean_key, std_key = self._config_keys(stream)
            mean, std = (torch.tensor(cfg[k], dtype=torch.float32) for k in (mean_key, std_key))
            if mean.shape != (self.z_dim,) or std.shape != (self.z_dim,):
                raise ValueError(f"{mean_key}/{std_key} have {mean.numel()}/{std.numel()} entries for "
                                 f"z_dim {self.z_dim}; the latent normalisation would be wrong.")
            self._stats[stream] = (mean.view(1, -1, 1, 1, 1), std.view(1, -1, 1, 1, 1))

    def latent_stats(self, stream: str = "rgb") -> LatentStats:
        """The statistics latents of `stream` are normalised with, as the config states them."""
        mean_key, std_key = self._config_keys(stream)
        return LatentStats(tuple(self.model.config[mean_key]), tuple(self.model.config[std_key]))

    def set_latent_stats(self, stats: dict[str, LatentStats]) -> None:
        """Replace the statistics of the given streams (kept in the config, so saved and in the digest)."""
        for stream, value in stats.items():
            mean_key, std_key = _STATS_KEYS[_check_stream(stream)]
            self.model.register_to_config(**{mean_key: list(value.mean), std_key: list(value.std)})
        self._load_stats()
        self._digest = None

    @classmethod
    def from_config(cls, config: dict, seed: int = 0) -> "VideoVAE":
        """A randomly initialised VAE (tests, benchmarks); `seed` makes its weights reproducible."""
        torch.manual_seed(seed)
        return cls(AutoencoderKLWan(**config))

    @classmethod
    def from_pretrained(cls, path: str | Path, dtype: torch.dtype = torch.float32) -> "VideoVAE":
        """Load from a Wan2.2-TI2V-5B-Diffusers folder (its `vae/` subfolder is used) or a VAE folder."""
        folder = Path(path)
        if (folder / "vae" / "config.json").is_file():
            folder = folder / "vae"
        if not (folder / "config.json").is_file():
            raise FileNotFoundError(
                f"No VAE weights at {path}: expected a Wan2.2-TI2V-5B-Diffusers folder containing "
                "vae/config.json and vae/diffusion_pytorch_model.safetensors (or a VAE folder itself). "
                "Download Wan-AI/Wan2.2-TI2V-5B-Diffusers on a connected machine and pass its local path.")
        quiet = _OwnConfigKeys()
        logging.getLogger("diffusers.configuration_utils").addFilter(quiet)
        try:
            model = AutoencoderKLWan.from_pretrained(str(folder), torch_dtype=dtype, local_files_only=True,
                                                     use_safetensors=True, low_cpu_mem_usage=is_accelerate_available())
        finally:
            logging.getLogger("diffusers.configuration_utils").removeFilter(quiet)
        try:
            return cls(model)
        except ValueError as exc:
            raise ValueError(f"{folder}/config.json: {exc}") from None

    def save_pretrained(self, path: str | Path) -> None:
        self.model.save_pretrained(str(path))

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(self.model.parameters()).dtype

    def digest_config(self) -> dict:
        return dict(self.model.config)

    def latent_shape(self, num_frames: int, height: int, width: int) -> tuple[int, int, int, int]:
        """(z_dim, T', H', W') of the latents of a video, after checking the sizes are encodable."""
        self.check_video_size(num_frames, height, width)
        return (self.z_dim, 1 + (num_frames - 1) // self.temporal, height // self.spatial, width // self.spatial)

    def check_video_size(self, num_frames: int, height: int, width: int) -> None:
        if height % self.spatial or width % self.spatial:
            raise ValueError(f"frame size {height}x{width} is not a multiple of the VAE's {self.spatial}x spatial "
                             "compression; choose a canvas camera size whose canvas is (see aim_core.data.canvas).")
        if num_frames < 1 or (num_frames - 1) % self.temporal:
            raise ValueError(f"{num_frames} frames: the VAE compresses time causally by {self.temporal}, so a "
                             f"clip needs 1 + {self.temporal}*n frames.")

    def _pixels(self, video: np.ndarray | torch.Tensor) -> torch.Tensor:
        """uint8 [B, T, H, W, 3] -> the model's input [B, 3, T, H, W] in [-1, 1]."""
        video = torch.as_tensor(video)
        if video.dtype != torch.uint8 or video.ndim != 5 or video.shape[-1] != 3:
            raise ValueError(f"encode expects uint8 [B, T, H, W, 3], got {video.dtype} {tuple(video.shape)}")
        return video.to(self.device).permute(0, 4, 1, 2, 3).to(self.dtype) / 127.5 - 1.0

    def _normalise(self, z: torch.Tensor, stream: str) -> torch.Tensor:
        mean, std = self._stats[_check_stream(stream)]
        z = z.float()
        return (z - mean.to(z.device)) / std.to(z.device)

    @torch.no_grad()
    def encode_raw(self, video: np.ndarray | torch.Tensor) -> torch.Tensor:
        """uint8 [B, T, H, W, 3] -> raw (unnormalised) latents [B, z_dim, T', H/16, W/16], for statistics."""
        x = self._pixels(video)
        self.check_video_size(*x.shape[2:])
        return self.model.encode(x).latent_dist.mode()

    def encode(self, video: np.ndarray | torch.Tensor, stream: str = "rgb") -> torch.Tensor:
        """uint8 [B, T, H, W, 3] -> latents [B, z_dim, T', H/16, W/16] (posterior mode) normalised for `stream`."""
        _check_stream(stream)
        return self._normalise(self.encode_raw(video), stream)

    def streaming_encoder(self) -> "StreamingEncoder":
        """An encoder for a video that arrives chunk by chunk (closed-loop rollout)."""
        return StreamingEncoder(self)

    @torch.no_grad()
    def decode(self, latents: torch.Tensor, stream: str = "rgb") -> torch.Tensor:
        """Latents [B, z_dim, T', h, w] normalised for `stream` -> uint8 video [B, 1 + 4(T'-1), 16h, 16w, 3]."""
        if latents.ndim != 5 or latents.shape[1] != self.z_dim:
            raise ValueError(f"decode expects [B, {self.z_dim}, T', h, w], got {tuple(latents.shape)}")
        mean, std = self._stats[_check_stream(stream)]
        z = latents.float() * std.to(latents.device) + mean.to(latents.device)
        x = self.model.decode(z.to(self.device, self.dtype)).sample.float()
        return ((x.clamp(-1, 1) + 1.0) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 4, 1)


class StreamingEncoder:
    """Encodes a video pushed in pieces exactly like one `VideoVAE.encode` of the whole video.

    The latent cache encodes each episode as one causal video, so a latent depends on every
    earlier frame through the VAE's causal convolution caches. A policy sees frames as they
    come; encoding each chunk on its own would give latents the model never saw in training.
    This keeps the convolution caches between pushes: push 1 frame first (latent 0), then 4
    frames per further latent.
    """

    def __init__(self, vae: VideoVAE):
        self.vae = vae
        self._num_convs = sum(isinstance(m, WanCausalConv3d) for m in vae.model.encoder.modules())
        self.reset()

    def reset(self) -> None:
        """Start a new video (new episode)."""
        self._cache: list = [None] * self._num_convs
        self.frames_seen = 0

    @torch.no_grad()
    def push(self, frames: np.ndarray | torch.Tensor, stream: str = "rgb") -> torch.Tensor:
        """uint8 [B, n, H, W, 3] -> latents [B, z_dim, n', h, w] of these frames, normalised for `stream`."""
        _check_stream(stream)
        x = self.vae._pixels(frames)
        n, step = x.shape[2], self.vae.temporal
        lead = 1 if self.frames_seen == 0 else 0
        if n < 1 or (n - lead) % step:
            raise ValueError(f"push {'1 + ' if lead else ''}{step}*k frames ({self.frames_seen} seen so far), got {n}")
        self.vae.check_video_size(1, *x.shape[3:])
        patch = self.vae.model.config.patch_size
        x = patchify(x, patch_size=patch) if patch is not None else x
        bounds = ([0, 1] if lead else [0]) + list(range(lead + step, n + 1, step))
        outs = []
        for start, stop in zip(bounds[:-1], bounds[1:]):
            outs.append(self.vae.model.encoder(x[:, :, start:stop], feat_cache=self._cache, feat_idx=[0]))
        self.frames_seen += n
        z = self.vae.model.quant_conv(torch.cat(outs, dim=2))[:, :self.vae.z_dim]
        return self.vae._normalise(z, stream)


def _check_stream(stream: str) -> str:
    if stream not in LATENT_STREAMS:
        raise ValueError(f"latent stream must be one of {LATENT_STREAMS}, got {stream!r}")
    return stream
