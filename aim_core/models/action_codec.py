"""Action normalisation: the dataset's per-dimension statistics, saved as the bundle's ``action_codec/``.

Joint targets and gripper openings live on very different scales, so every action dimension
is mapped to [-1, 1] with its 1st/99th percentile over the dataset (robust to rare outliers);
the transformer works in that normalised space (its action MLPs live in ``AIMModel``). The
statistics are float32 buffers saved with ``save_pretrained``, so a policy denormalises with the
statistics it was trained with, and they never follow a cast of the model to bf16 (which would
move denormalised joint targets by ~1e-2 rad).

With ``relative_targets`` the chunk the model predicts (its *targets*) holds each arm joint as the
offset from the measured joints at the current frame, normalised by the offsets' own percentiles;
grippers stay absolute, and past actions (model inputs) stay absolute too. Why: an absolute target
spends [-1, 1] on where an arm can be in the whole dataset, so a place_shoe policy that drifts 0.19
of that range where the demonstration holds still for a grasp misses by centimetres (RESULTS,
"Pick-and-place"); an offset is 0 wherever the arm holds still, in every scene, and its range is the
motion of one chunk (UMI's relative trajectories, LeRobot pi0's delta joint actions).

With ``action_space="tcp"`` an action row holds both arms' world TCP poses and grippers (``TCP_LAYOUT``, RoboTwin's
``ee`` actions) instead of joint targets; relative targets are then the TCP positions as offsets from the measured
ones (quaternions and grippers stay absolute).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from diffusers import ConfigMixin, ModelMixin
from diffusers.configuration_utils import register_to_config

from data_schemas import ACTION_DIM, ACTION_SPACES, ARM_JOINT_DIMS, TCP_POSITION_DIMS

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


class ActionCodec(ModelMixin, ConfigMixin):
    """Raw actions [..., D] <-> normalised actions in [-1, 1] (per dimension, fp32 statistics inside).

    It changes device with ``.to`` but never dtype: ``.to(torch.bfloat16)``, ``.half()`` and
    ``from_pretrained(torch_dtype=...)`` leave the statistics float32.
    """

    @register_to_config
    def __init__(self, action_dim: int = ACTION_DIM, relative_targets: bool = False, action_space: str = "joints"):
        super().__init__()
        if action_space not in ACTION_SPACES:
            raise ValueError(f"action_space {action_space!r} is not one of {ACTION_SPACES}")
        self.register_buffer("low", -torch.ones(action_dim, dtype=torch.float32))
        self.register_buffer("high", torch.ones(action_dim, dtype=torch.float32))
        self.register_buffer("has_stats", torch.zeros((), dtype=torch.bool))
        if relative_targets:  # absolute codecs keep the state dict of bundles written before relative targets
            if action_dim != ACTION_DIM:
                raise ValueError(f"relative targets need the {ACTION_DIM}-dimensional ACTION_LAYOUT, got {action_dim}")
            self.register_buffer("offset_low", -torch.ones(action_dim, dtype=torch.float32))
            self.register_buffer("offset_high", torch.ones(action_dim, dtype=torch.float32))
            relative = torch.zeros(action_dim, dtype=torch.bool)  # arm joints or TCP positions; grippers absolute
            relative[list(ARM_JOINT_DIMS if action_space == "joints" else TCP_POSITION_DIMS)] = True
            self.register_buffer("relative", relative)

    @classmethod
    def from_pretrained(cls, directory, **kwargs) -> "ActionCodec":
        """A local ``save_pretrained`` folder, safetensors only. Three small buffers: loaded without accelerate's
        low-memory path, which diffusers otherwise asks for with a warning on every policy load."""
        return super().from_pretrained(str(directory), use_safetensors=True, local_files_only=True,
                                       low_cpu_mem_usage=False, **kwargs)

    def _apply(self, fn, recurse=True):
        def same_dtype(t: torch.Tensor) -> torch.Tensor:
            moved = fn(t)
            return moved if moved.dtype == t.dtype else t.to(moved.device)

        return super()._apply(same_dtype, recurse)

    def set_stats(self, stats: ActionStats, offsets: ActionStats | None = None) -> None:
        """The dataset's action statistics, and with relative targets those of the targets' offsets
        (`offset_stats`)."""
        for name, given in (("stats", stats), ("offsets", offsets)):
            if given is not None and len(given.low) != self.config.action_dim:
                raise ValueError(f"{name} have {len(given.low)} dimensions, the codec {self.config.action_dim}")
        if (offsets is not None) != self.config.relative_targets:
            raise ValueError("a codec with relative targets needs the offsets' statistics, an absolute one takes none")
        self.low.copy_(torch.tensor(stats.low))
        self.high.copy_(torch.tensor(stats.high))
        if offsets is not None:
            self.offset_low.copy_(torch.tensor(offsets.low))
            self.offset_high.copy_(torch.tensor(offsets.high))
        self.has_stats.fill_(True)

    def _require_stats(self) -> None:
        if not bool(self.has_stats):
            raise RuntimeError("ActionCodec has no normalisation statistics: call set_stats(load_action_stats(...)) "
                               "with the training dataset's statistics before use.")

    def normalize(self, actions: torch.Tensor) -> torch.Tensor:
        """Joint targets -> normalised actions (computed in float32)."""
        self._require_stats()
        return normalize_actions(actions.float(), self.low, self.high)

    def denormalize(self, normed: torch.Tensor) -> torch.Tensor:
        """Normalised actions -> joint targets (computed in float32)."""
        self._require_stats()
        return denormalize_actions(normed.float(), self.low, self.high)

    def normalize_targets(self, actions: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        """A chunk of joint targets [..., T, D] -> what the model predicts: `normalize` for an absolute codec; with
        relative targets the arm joints as offsets from `reference` [..., D] (the measured joints at the frame the
        chunk is planned from), normalised by the offsets' statistics."""
        if not self.config.relative_targets:
            return self.normalize(actions)
        offsets = normalize_actions(actions.float() - reference.float().unsqueeze(-2), self.offset_low,
                                    self.offset_high)
        return torch.where(self.relative, offsets, self.normalize(actions))

    def denormalize_targets(self, normed: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        """Inverse of `normalize_targets`: predicted targets [..., T, D] -> joint targets to command."""
        if not self.config.relative_targets:
            return self.denormalize(normed)
        moved = denormalize_actions(normed.float(), self.offset_low, self.offset_high) + reference.float().unsqueeze(-2)
        return torch.where(self.relative, moved, self.denormalize(normed))

    def targets_as_actions(self, normed: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        """Predicted targets [..., T, D] -> the same commands as normalised actions (what the action history holds);
        an absolute codec's targets are those already."""
        if not self.config.relative_targets:
            return normed
        return self.normalize(self.denormalize_targets(normed, reference))

