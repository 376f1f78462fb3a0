"""Action tokens: per-dimension normalisation and the lightweight MLP encoder/decoder E_a.

Joint targets and gripper openings live on very different scales, so every action dimension
is mapped to [-1, 1] with its 1st/99th percentile over the dataset (robust to rare outliers)
before the MLP turns it into a token (paper: z^a_t = E_a(a_t)). The statistics are buffers of
the codec, so they are saved with the model and a checkpoint always decodes with the
statistics it was trained with.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from diffusers import ConfigMixin, ModelMixin
from diffusers.configuration_utils import register_to_config
from torch import nn

from data_schemas import ACTION_DIM

RANGE_EPS = 1e-6
"""Dimensions whose percentile range is below this (e.g. an arm that never moves) map to 0."""


@dataclass(frozen=True)
class ActionStats:
    """Per-dimension action statistics of a dataset; `low`/`high` are the 1st/99th percentiles."""

    low: tuple[float, ...]
    high: tuple[float, ...]
    count: int

    @classmethod
    def from_actions(cls, actions: np.ndarray) -> "ActionStats":
        if actions.ndim != 2 or len(actions) == 0:
            raise ValueError(f"action statistics need a non-empty [N, D] array, got shape {actions.shape}")
        a = actions.astype(np.float64)
        low, high = np.percentile(a, [1.0, 99.0], axis=0)
        return cls(tuple(low.tolist()), tuple(high.tolist()), len(a))

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> "ActionStats":
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


def normalize_actions(actions: torch.Tensor, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
    """Map [low, high] to [-1, 1] per dimension (values outside extrapolate linearly)."""
    span = high - low
    scaled = 2.0 * (actions - low) / span.clamp_min(RANGE_EPS) - 1.0
    return torch.where(span > RANGE_EPS, scaled, torch.zeros_like(scaled))


def denormalize_actions(normed: torch.Tensor, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
    """Inverse of `normalize_actions` (constant dimensions return their value)."""
    return (normed + 1.0) * 0.5 * (high - low) + low


def _mlp(dims: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (d_in, d_out) in enumerate(zip(dims[:-1], dims[1:])):
        layers.append(nn.Linear(d_in, d_out))
        if i < len(dims) - 2:
            layers.append(nn.SiLU())
    return nn.Sequential(*layers)


class ActionCodec(ModelMixin, ConfigMixin):
    """E_a: raw actions [..., D] -> tokens [..., token_dim]; and back, with the stats inside.

    `encode` normalises then embeds; `decode` maps tokens to normalised actions and, with
    `denormalize=True`, to joint targets. `save_pretrained`/`from_pretrained` keep the stats.
    """

    @register_to_config
    def __init__(self, action_dim: int = ACTION_DIM, token_dim: int = 256, hidden_dim: int = 256,
                 num_layers: int = 2):
        super().__init__()
        if num_layers < 1:
            raise ValueError("ActionCodec needs num_layers >= 1")
        self.encoder = _mlp([action_dim] + [hidden_dim] * (num_layers - 1) + [token_dim])
        self.decoder = _mlp([token_dim] + [hidden_dim] * (num_layers - 1) + [action_dim])
        self.register_buffer("low", -torch.ones(action_dim))
        self.register_buffer("high", torch.ones(action_dim))
        self.register_buffer("has_stats", torch.zeros((), dtype=torch.bool))

    def set_stats(self, stats: ActionStats) -> None:
        if len(stats.low) != self.config.action_dim:
            raise ValueError(f"stats have {len(stats.low)} dimensions, the codec {self.config.action_dim}")
        self.low.copy_(torch.tensor(stats.low))
        self.high.copy_(torch.tensor(stats.high))
        self.has_stats.fill_(True)

    def _require_stats(self) -> None:
        if not bool(self.has_stats):
            raise RuntimeError("ActionCodec has no normalisation statistics: call set_stats(load_action_stats(...)) "
                               "with the training dataset's statistics before use.")

    def normalize(self, actions: torch.Tensor) -> torch.Tensor:
        self._require_stats()
        return normalize_actions(actions, self.low, self.high)

    def denormalize(self, normed: torch.Tensor) -> torch.Tensor:
        self._require_stats()
        return denormalize_actions(normed, self.low, self.high)

    def encode(self, actions: torch.Tensor, normalized: bool = False) -> torch.Tensor:
        """Raw (or already normalised) actions [..., D] -> tokens [..., token_dim]."""
        return self.encoder(actions if normalized else self.normalize(actions))

    def decode(self, tokens: torch.Tensor, denormalize: bool = False) -> torch.Tensor:
        """Tokens [..., token_dim] -> normalised actions (or joint targets with `denormalize`)."""
        normed = self.decoder(tokens)
        return self.denormalize(normed) if denormalize else normed
