"""Initialise AIM from a diffusers ``WanTransformer3DModel`` checkpoint, weights matched by name.

Wan key -> AIM key: ``patch_embedding.*`` / ``condition_embedder.*`` -> ``video_embed.*``;
``blocks.{i}.*`` -> ``blocks.{i}.video.*``; ``proj_out.*`` / ``scale_shift_table`` -> ``video_head.*``.
The value stream loads the same tensors (minus text cross-attention). The two action streams (past and
future actions) are either left at their random init (``action_init="scratch"``) or both resized from the
video stream (``"video"``): every matrix is linearly interpolated to the action width and rescaled by
sqrt(fan_in_src / fan_in_dst) so activations keep their scale; the action MLPs (encoders, decoder) always
start from scratch.
"""
from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file

from aim_core.models.aim_model import AIMModel
from aim_core.models.config import AIMConfig

_WAN_SHAPE_FIELDS = ("latent_channels", "patch_size", "num_layers", "num_heads", "head_dim", "ffn_dim",
                     "text_dim", "freq_dim", "eps")
_IGNORED_WAN_KEYS = ("norm_added_q",)  # diffusers ignores these on load as well
_AIM_ONLY_EMBED_KEYS = ("row_positions", "col_positions")
"""AIMConfig.grid_position_table: Wan has no absolute positions; they stay at their zero initialisation."""


def read_wan_config(wan_dir: str | Path) -> dict:
    path = Path(wan_dir) / "config.json"
    if not path.is_file():
        raise FileNotFoundError(f"{wan_dir} has no config.json: not a diffusers WanTransformer3DModel folder")
    data = json.loads(path.read_text())
    if data.get("_class_name", "WanTransformer3DModel") != "WanTransformer3DModel":
        raise ValueError(f"{path} describes a {data['_class_name']}, expected WanTransformer3DModel")
    return data


def read_wan_state(wan_dir: str | Path) -> dict[str, torch.Tensor]:
    """Tensors of a single-file or sharded diffusers safetensors checkpoint."""
    wan_dir = Path(wan_dir)
    single = wan_dir / "diffusion_pytorch_model.safetensors"
    index = wan_dir / "diffusion_pytorch_model.safetensors.index.json"
    if single.is_file():
        return load_file(str(single))
    if index.is_file():
        state: dict[str, torch.Tensor] = {}
        for shard in sorted(set(json.loads(index.read_text())["weight_map"].values())):
            state.update(load_file(str(wan_dir / shard)))
        return state
    raise FileNotFoundError(f"{wan_dir} holds no diffusion_pytorch_model.safetensors(.index.json)")


def wan_to_video_key(key: str) -> str | None:
    if key.startswith("blocks."):
        _, index, rest = key.split(".", 2)
        return f"blocks.{index}.video.{rest}"
    if key.startswith(("patch_embedding.", "condition_embedder.")):
        return f"video_embed.{key}"
    if key.startswith(("proj_out.", "scale_shift_table")):
        return f"video_head.{key}"
    return None


def video_key_in_stream(key: str, stream: str) -> str:
    if key.startswith("video_embed."):
        return f"{stream}_embed.{key[len('video_embed.'):]}"
    if key.startswith("video_head."):
        return f"{stream}_head.{key[len('video_head.'):]}"
    return key.replace(".video.", f".{stream}.", 1)


def _interpolate_dim(x: torch.Tensor, dim: int, size: int) -> torch.Tensor:
    if x.shape[dim] == size:
        return x
    moved = x.movedim(dim, -1)
    flat = moved.reshape(1, -1, moved.shape[-1])
    out = F.interpolate(flat, size=size, mode="linear", align_corners=True)
    return out.reshape(*moved.shape[:-1], size).movedim(-1, dim)


def resize_tensor(src: torch.Tensor, shape: torch.Size, chunks: int = 1) -> torch.Tensor:
    """Resize a weight to ``shape`` by linear interpolation per differing dim; ``chunks`` splits dim 0 first
    (time_proj packs six adaLN vectors). Matrices are rescaled to keep the output scale."""
    x = src.float()
    if chunks > 1:
        x = x.unflatten(0, (chunks, -1))
        target = (chunks, shape[0] // chunks, *shape[1:])
    else:
        target = tuple(shape)
    for dim, size in enumerate(target):
        x = _interpolate_dim(x, dim, size)
    if src.ndim == 2:
        x = x * math.sqrt(src.shape[1] / shape[1])
    return x.reshape(shape)


def load_wan_state(model: AIMModel, wan_state: dict[str, torch.Tensor]) -> list[str]:
    """Copy Wan tensors into the video (and value) stream and derive the action streams; returns loaded keys."""
    own = model.state_dict()
    loaded: dict[str, torch.Tensor] = {}
    unused = []
    for key, tensor in wan_state.items():
        if any(part in key for part in _IGNORED_WAN_KEYS):
            continue
        video_key = wan_to_video_key(key)
        if video_key is None or video_key not in own:
            unused.append(key)
            continue
        if own[video_key].shape != tensor.shape:
            raise ValueError(f"Wan tensor {key} has shape {list(tensor.shape)}, AIM {video_key} expects "
                             f"{list(own[video_key].shape)}")
        loaded[video_key] = tensor
        value_key = video_key_in_stream(video_key, "value")
        if model.config.has_value_stream and value_key in own:
            loaded[value_key] = tensor
    if unused:
        raise ValueError(f"Wan tensors with no AIM counterpart: {sorted(unused)[:8]} ({len(unused)} in all)")
    missing = [k for k in own if (k.startswith(("video_embed.", "video_head.")) or ".video." in k) and k not in loaded
               and not k.endswith(_AIM_ONLY_EMBED_KEYS)]
    if missing:
        raise ValueError(f"the Wan checkpoint lacks video-stream tensors: {missing[:8]} ({len(missing)} in all)")
    if model.config.action_init == "video":
        for video_key in list(loaded):
            targets = [k for k in (video_key_in_stream(video_key, s) for s in ("past_action", "action")) if k in own]
            if targets:  # both action streams have the same shapes: resize once
                chunks = 6 if "time_proj" in video_key else 1
                loaded.update(dict.fromkeys(targets, resize_tensor(loaded[video_key], own[targets[0]].shape, chunks)))
    model.load_state_dict({k: v.to(own[k].dtype) for k, v in loaded.items()}, strict=False)
    return sorted(loaded)


def model_from_wan(wan_dir: str | Path, config: AIMConfig | None = None, device: str | torch.device = "cpu",
                   dtype: torch.dtype | None = None, **overrides) -> AIMModel:
    """Build on ``device`` (aim-5b: 37 GB in fp32, so build on the GPU) and load Wan; cast to ``dtype`` last."""
    expected = AIMConfig.from_wan_config(read_wan_config(wan_dir))
    config = replace(config or expected, **overrides)
    mismatched = {f: (getattr(config, f), getattr(expected, f)) for f in _WAN_SHAPE_FIELDS
                  if getattr(config, f) != getattr(expected, f)}
    if mismatched:
        raise ValueError(f"AIMConfig does not match the Wan checkpoint (config, wan): {mismatched}")
    with torch.device(device):
        model = AIMModel(config)
    load_wan_state(model, read_wan_state(wan_dir))
    return model if dtype is None else model.to(dtype)
