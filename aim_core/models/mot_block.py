"""A Mixture-of-Transformers layer: private per-stream parameters, one shared masked self-attention.

Each stream projects its own tokens to Q/K/V in the common dimension; all queries attend over the
concatenated keys of every stream (plus cached keys) under the intent-causal mask; each stream then
applies its own output projection, (video only) text cross-attention and FFN. Executed past actions
and future actions are two streams of the same width: history tokens never run through the
future-action weights, so Stage II can train those while video and value outputs stay bitwise fixed.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from aim_core.models.config import AIMConfig
from aim_core.models.intent_mask import TokenMeta
from aim_core.models.shared_attention import AttentionMask, shared_attention
from aim_core.models.stream_layer import StreamLayer

STREAMS = ("video", "value", "past_action", "action")


@dataclass
class Segment:
    """A run of tokens of one stream and role with a common timestep."""

    stream: str
    hidden: torch.Tensor                      # [B, N, stream width]
    temb: torch.Tensor                        # [B, stream width] time embedding (for the output head)
    timestep_proj: torch.Tensor               # [B, 1, 6, stream width] adaLN input shared by all layers
    rope: tuple[torch.Tensor, torch.Tensor]   # cos, sin [1, N, 1, head_dim]
    meta: TokenMeta
    grid: tuple[int, int, int] | None = None  # (frames, rows, cols) for latent segments
    extra_tokens: int = 0                     # trailing tokens without a grid cell (value-noise tokens)


class MoTBlock(nn.Module):
    """One MoT layer. In the last one the past-action stream only lends keys and values: no later layer
    reads its outputs and no head decodes them, so it has no output projection or FFN (parameters that
    could never receive a gradient would hold no optimizer state and break resuming)."""

    def __init__(self, config: AIMConfig, last: bool = False) -> None:
        super().__init__()
        c = config
        self.video = StreamLayer(c.width, c.ffn_dim, c.num_heads, c.head_dim, c.eps, cross_attention=True)
        self.value = (StreamLayer(c.width, c.ffn_dim, c.num_heads, c.head_dim, c.eps, cross_attention=False)
                      if c.has_value_stream else None)
        self.past_action = StreamLayer(c.action_width, c.action_ffn_dim, c.num_heads, c.head_dim, c.eps,
                                       cross_attention=False, keys_only=last)
        self.action = StreamLayer(c.action_width, c.action_ffn_dim, c.num_heads, c.head_dim, c.eps,
                                  cross_attention=False)

    def stream(self, name: str) -> StreamLayer:
        layer = getattr(self, name)
        if layer is None:
            raise ValueError(f"this model has no {name!r} stream (variant='no-value' drops the value stream)")
        return layer

    def forward(self, hiddens: list[torch.Tensor], segments: list[Segment], text: torch.Tensor | None,
                mask: AttentionMask, past_kv: tuple[torch.Tensor, torch.Tensor] | None = None
                ) -> tuple[list[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
        """hiddens[i] belongs to segments[i]; returns new hiddens and this layer's (k, v) of the new tokens."""
        layers = [self.stream(s.stream) for s in segments]
        mods = [layer.modulation(s.timestep_proj) for layer, s in zip(layers, segments)]
        qkv = [layer.project_qkv(h, m, s.rope) for layer, h, m, s in zip(layers, hiddens, mods, segments)]
        q = torch.cat([t[0] for t in qkv], dim=1)
        k_new = torch.cat([t[1] for t in qkv], dim=1)
        v_new = torch.cat([t[2] for t in qkv], dim=1)
        k, v = k_new, v_new
        if past_kv is not None:
            k = torch.cat([past_kv[0].to(k.dtype), k], dim=1)
            v = torch.cat([past_kv[1].to(v.dtype), v], dim=1)
        attended = shared_attention(q, k, v, mask).split([h.shape[1] for h in hiddens], dim=1)
        out = [layer.finish(h, a, m, text if s.stream == "video" else None)
               for layer, h, a, m, s in zip(layers, hiddens, attended, mods, segments)]
        return out, (k_new, v_new)
