"""3D rotary position embedding over (time, row, column), computed from explicit token positions.

Same frequencies and channel split as diffusers' ``WanRotaryPosEmbed`` (time gets the remainder, rows and
columns 2*(head_dim//6) channels each), but positions are arbitrary floats so action tokens can sit
between latent frames (1-D: row = column = 0) and rollout positions can grow past any table.
"""
from __future__ import annotations

import torch


def axis_dims(head_dim: int) -> tuple[int, int, int]:
    hw = 2 * (head_dim // 6)
    return head_dim - 2 * hw, hw, hw


def rope_from_positions(positions: torch.Tensor, head_dim: int, theta: float = 10000.0
                        ) -> tuple[torch.Tensor, torch.Tensor]:
    """positions [N, 3] (t, y, x) -> (cos, sin), each [1, N, 1, head_dim] float32, channel-interleaved."""
    pos = positions.to(torch.float64)
    cos_parts, sin_parts = [], []
    for axis, dim in enumerate(axis_dims(head_dim)):
        inv_freq = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.float64, device=pos.device) / dim))
        angles = torch.outer(pos[:, axis], inv_freq)
        cos_parts.append(angles.cos().repeat_interleave(2, dim=1))
        sin_parts.append(angles.sin().repeat_interleave(2, dim=1))
    cos = torch.cat(cos_parts, dim=1).float()[None, :, None, :]
    sin = torch.cat(sin_parts, dim=1).float()[None, :, None, :]
    return cos, sin


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate channel pairs of x [B, N, H, D] (pairs are adjacent channels, as in Wan)."""
    x1, x2 = x.unflatten(-1, (-1, 2)).unbind(-1)
    c, s = cos[..., 0::2], sin[..., 1::2]
    out = torch.stack((x1 * c - x2 * s, x1 * s + x2 * c), dim=-1).flatten(-2)
    return out.type_as(x)


def grid_positions(frame_offset: float, frames: int, rows: int, cols: int) -> torch.Tensor:
    """Positions [frames*rows*cols, 3] of a latent token grid, frame-major like Wan's flattening."""
    t = torch.arange(frames, dtype=torch.float64) + frame_offset
    y = torch.arange(rows, dtype=torch.float64)
    x = torch.arange(cols, dtype=torch.float64)
    grid = torch.stack(torch.meshgrid(t, y, x, indexing="ij"), dim=-1)
    return grid.reshape(-1, 3)


def action_positions(first_frame: int, n_actions: int, actions_per_frame: int) -> torch.Tensor:
    """Positions [n, 3] of action tokens: action i after frame f sits at time f + (i+1)/apf, row = col = 0."""
    t = first_frame + (torch.arange(n_actions, dtype=torch.float64) + 1) / actions_per_frame
    return torch.stack([t, torch.zeros_like(t), torch.zeros_like(t)], dim=-1)
