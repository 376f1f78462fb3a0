"""The one masked self-attention all streams share, on SDPA (dense boolean mask) or FlexAttention (block mask).

SDPA with a boolean mask runs forward and backward on CPU; FlexAttention is the GPU path (its backward
is not implemented on CPU). Both receive the same mask rule from :mod:`aim_core.models.intent_mask`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F

from aim_core.models.intent_mask import TokenMeta, dense_mask, flex_block_mask

Backend = Literal["auto", "sdpa", "flex"]
_compiled_flex = None


@dataclass
class AttentionMask:
    """A prepared mask for one (queries, keys) layout, reused by every layer."""

    dense: torch.Tensor | None = None
    block: object | None = None

    @classmethod
    def build(cls, queries: TokenMeta, keys: TokenMeta, mode: str, device: torch.device, backend: Backend
              ) -> "AttentionMask":
        """Masks are cached per layout: every training step (and every denoising step) reuses one."""
        use_flex = backend == "flex" or (backend == "auto" and device.type == "cuda")
        signature = (_layout_bytes(queries), _layout_bytes(keys), mode, str(device), use_flex)
        cached = _MASK_CACHE.pop(signature, None)
        if cached is None:
            cached = (cls(block=flex_block_mask(queries, keys, mode, device)) if use_flex
                      else cls(dense=dense_mask(queries, keys, mode).to(device)))
        _MASK_CACHE[signature] = cached  # most recently used last
        while len(_MASK_CACHE) > _MASK_CACHE_SIZE:
            _MASK_CACHE.pop(next(iter(_MASK_CACHE)))
        return cached


_MASK_CACHE: dict[tuple, AttentionMask] = {}
_MASK_CACHE_SIZE = 8


def _layout_bytes(meta: TokenMeta) -> bytes:
    return meta.role.cpu().numpy().tobytes() + meta.step.cpu().numpy().tobytes()


def _flex_attention():
    global _compiled_flex
    if _compiled_flex is None:
        from torch.nn.attention.flex_attention import flex_attention

        _compiled_flex = torch.compile(flex_attention) if torch.cuda.is_available() else flex_attention
    return _compiled_flex


def shared_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: AttentionMask) -> torch.Tensor:
    """q [B, Nq, H, D], k/v [B, Nk, H, D] -> [B, Nq, H*D]."""
    q, k, v = (t.transpose(1, 2) for t in (q, k, v))
    if mask.block is not None:
        out = _flex_attention()(q, k.to(q.dtype), v.to(q.dtype), block_mask=mask.block)
    else:
        out = F.scaled_dot_product_attention(q, k.to(q.dtype), v.to(q.dtype), attn_mask=mask.dense)
    return out.transpose(1, 2).flatten(2, 3)
