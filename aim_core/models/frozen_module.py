"""Frozen pretrained modules (the video VAE, the text encoder) behind AIM's small wrappers.

Why: their outputs are cached in the dataset (latents, text embeddings) under a digest of config
and weights, so a changed model is noticed and its caches rebuilt. Both wrappers freeze the
module, move it between devices and compute that digest once; this base class does it for both.
"""
from __future__ import annotations

import hashlib
import json
from typing import Self

import torch


def state_digest(config: dict, module: torch.nn.Module) -> str:
    """sha256 over a model's config and every parameter/buffer: changes whenever the outputs may.

    Bookkeeping entries that saving/loading adds (`_class_name`, `_name_or_path`, library
    versions) are left out, so a saved and reloaded model keeps its digest.
    """
    h = hashlib.sha256(json.dumps(_without_bookkeeping(config), sort_keys=True, default=str).encode())
    for name, tensor in sorted(module.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def _without_bookkeeping(value):
    if isinstance(value, dict):
        return {k: _without_bookkeeping(v) for k, v in value.items()
                if not str(k).startswith("_") and not str(k).endswith("_version")}
    return value


class FrozenModule:
    """A module in eval mode without gradients; subclasses say what else their digest covers."""

    def __init__(self, model: torch.nn.Module):
        self.model = model.eval().requires_grad_(False)
        self._digest: str | None = None

    def digest_config(self) -> dict:
        """Everything besides the weights that changes the outputs (the model config at least)."""
        raise NotImplementedError

    def to(self, device: str | torch.device) -> Self:
        self.model.to(device)
        return self

    def digest(self) -> str:
        """Content hash of `digest_config()` and the weights; the caches are rebuilt when it changes."""
        if self._digest is None:
            self._digest = state_digest(self.digest_config(), self.model)
        return self._digest
