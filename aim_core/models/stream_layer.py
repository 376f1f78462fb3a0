"""One stream's private parameters in one MoT layer (norms, Q/K/V/out projections, FFN, adaLN table).

Module names follow diffusers' ``WanTransformerBlock`` (``norm1``, ``attn1.to_q`` ... ``ffn.net.2``,
``scale_shift_table``) so Wan2.2 weights load by name. The attention itself is not computed here: the
MoT block concatenates every stream's queries/keys/values and runs one shared masked attention in the
common dimension ``num_heads * head_dim``; a narrower stream (actions) projects into and out of it.
"""
from __future__ import annotations

import torch
from diffusers.models.attention import FeedForward
from diffusers.models.normalization import FP32LayerNorm
from diffusers.models.transformers.transformer_wan import WanAttention, WanAttnProcessor
from torch import nn

from aim_core.models.rope import apply_rope


class StreamLayer(nn.Module):
    def __init__(self, width: int, ffn_dim: int, num_heads: int, head_dim: int, eps: float,
                 cross_attention: bool, keys_only: bool = False) -> None:
        """`keys_only`: the layer lends keys/values to the shared attention but its tokens' outputs are
        never read (history tokens in the last layer): no output projection, no FFN."""
        super().__init__()
        self.norm1 = FP32LayerNorm(width, eps, elementwise_affine=False)
        # WanAttention supplies to_q/to_k/to_v (width -> heads*head_dim), norm_q/norm_k and to_out (back to width).
        self.attn1 = WanAttention(dim=width, heads=num_heads, dim_head=head_dim, eps=eps, processor=WanAttnProcessor())
        if cross_attention:  # language enters this stream only (video)
            self.attn2 = WanAttention(dim=width, heads=num_heads, dim_head=head_dim, eps=eps,
                                      cross_attention_dim_head=head_dim, processor=WanAttnProcessor())
            self.norm2 = FP32LayerNorm(width, eps, elementwise_affine=True)
        else:
            self.attn2 = None
        self.keys_only = keys_only
        if keys_only:
            self.attn1.to_out = None
        self.ffn = None if keys_only else FeedForward(width, inner_dim=ffn_dim, activation_fn="gelu-approximate")
        self.norm3 = FP32LayerNorm(width, eps, elementwise_affine=False)
        self.scale_shift_table = nn.Parameter(torch.randn(1, 6, width) / width**0.5)
        self.num_heads = num_heads

    def modulation(self, timestep_proj: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """timestep_proj [B, n, 6, width] (n = 1 or tokens) -> six [B, n, width] adaLN terms (fp32)."""
        mod = self.scale_shift_table.unsqueeze(0) + timestep_proj.float()
        return tuple(m.squeeze(2) for m in mod.chunk(6, dim=2))

    def project_qkv(self, hidden: torch.Tensor, mod: tuple[torch.Tensor, ...], rope: tuple[torch.Tensor, torch.Tensor]
                    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Pre-attention half: modulated norm, projections, QK-norm, RoPE -> q, k, v [B, N, H, D]."""
        shift, scale = mod[0], mod[1]
        x = (self.norm1(hidden.float()) * (1 + scale) + shift).type_as(hidden)
        attn = self.attn1
        q = attn.norm_q(attn.to_q(x)).unflatten(2, (self.num_heads, -1))
        k = attn.norm_k(attn.to_k(x)).unflatten(2, (self.num_heads, -1))
        v = attn.to_v(x).unflatten(2, (self.num_heads, -1))
        return apply_rope(q, *rope), apply_rope(k, *rope), v

    def finish(self, hidden: torch.Tensor, attended: torch.Tensor, mod: tuple[torch.Tensor, ...],
               text: torch.Tensor | None) -> torch.Tensor:
        """Post-attention half: output projection + gated residual, cross-attention to text, gated FFN."""
        if self.keys_only:
            return hidden
        gate, c_shift, c_scale, c_gate = mod[2], mod[3], mod[4], mod[5]
        out = self.attn1.to_out[1](self.attn1.to_out[0](attended.type_as(hidden)))
        hidden = (hidden.float() + out * gate).type_as(hidden)
        if self.attn2 is not None:
            if text is None:
                raise ValueError("the video stream needs text embeddings for its cross-attention")
            hidden = hidden + self.attn2(self.norm2(hidden.float()).type_as(hidden), text, None, None)
        x = (self.norm3(hidden.float()) * (1 + c_scale) + c_shift).type_as(hidden)
        return (hidden.float() + self.ffn(x).float() * c_gate).type_as(hidden)
