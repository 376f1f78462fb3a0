"""Per-layer keys/values of tokens that later tokens attend to (real history, or a sampled future world).

History tokens never attend to future tokens (see the intent mask), so their keys/values are computed
once and reused by every later denoising step and chunk; only new tokens are run through the network.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from aim_core.models.intent_mask import TokenMeta


@dataclass(frozen=True)
class KVCache:
    keys: tuple[torch.Tensor, ...]    # per layer [B, N, H, D], RoPE applied
    values: tuple[torch.Tensor, ...]  # per layer [B, N, H, D]
    meta: TokenMeta

    @classmethod
    def empty(cls) -> "KVCache":
        none = torch.zeros(0, dtype=torch.long)
        return cls((), (), TokenMeta(none, none.clone()))

    def __len__(self) -> int:
        return len(self.meta)

    def extended(self, new_kv: list[tuple[torch.Tensor, torch.Tensor]], meta: TokenMeta) -> "KVCache":
        """A new cache with the given tokens appended (self is left untouched)."""
        if not self.keys:
            return KVCache(tuple(k for k, _ in new_kv), tuple(v for _, v in new_kv), meta)
        keys = tuple(torch.cat([old, k], dim=1) for old, (k, _) in zip(self.keys, new_kv))
        values = tuple(torch.cat([old, v], dim=1) for old, (_, v) in zip(self.values, new_kv))
        return KVCache(keys, values, TokenMeta.cat([self.meta, meta.to(self.meta.role.device)]))

    def kept(self, keep: torch.Tensor) -> "KVCache":
        """A new cache with only the tokens where ``keep`` (bool [N]) is true."""
        meta = TokenMeta(self.meta.role[keep], self.meta.step[keep])
        index = keep.nonzero().squeeze(1).to(self.keys[0].device)
        return KVCache(tuple(k.index_select(1, index) for k in self.keys),
                       tuple(v.index_select(1, index) for v in self.values), meta)
