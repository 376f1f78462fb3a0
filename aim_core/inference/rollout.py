"""Chunk-wise autoregressive rollout of AIM with a KV cache of real observations and executed actions.

Per chunk: (1) the new real observation frames and the actions executed since the last chunk are run
once through the network and their keys/values appended to the cache; (2) future RGB and value
latents are sampled jointly from noise (Euler, ``video_steps``) attending to the cache; (3) the
sampled world is encoded once at noise level 0 into a temporary cache extension; (4) the action
chunk is sampled (Euler, ``action_steps``) attending to history + that world (through the mask:
the value map, never the RGB). Only new tokens are computed at every step. ``use_cache=False`` runs the
same procedure by full recomputation (``model.forward``) - the reference the cache is tested against.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import torch

from aim_core.inference.sampler import euler_sample, euler_sigmas
from aim_core.models.aim_model import AIMModel
from aim_core.models.intent_mask import TokenMeta
from aim_core.models.kv_cache import KVCache


@dataclass(frozen=True)
class RolloutConfig:
    video_steps: int = 10
    action_steps: int = 10
    shift: float = 5.0
    action_shift: float = 1.0
    seed: int = 0
    use_cache: bool = True
    precision: Literal["fp32", "bf16"] = "fp32"  # bf16: autocast on the model's device (the GPU path)
    # Keep only the latest N real frames (and the actions after the first of them) in the cache. Kept keys
    # were computed with the evicted context (as in streaming transformers), so this bounds memory and
    # attention cost of long episodes at the price of exact equality with full recomputation.
    max_history_frames: int | None = None

    def __post_init__(self) -> None:
        if self.video_steps < 1 or self.action_steps < 1:
            raise ValueError("video_steps and action_steps must be >= 1")
        if self.max_history_frames is not None and (self.max_history_frames < 1 or not self.use_cache):
            raise ValueError("max_history_frames must be >= 1 and needs use_cache=True")


@dataclass
class RolloutChunk:
    rgb_latents: torch.Tensor            # [B, C, F_f, h, w]
    value_latents: torch.Tensor | None   # [B, C, F_f, h, w] (None for mask="unified")
    actions: torch.Tensor                # [B, F_f*apf, A] normalised
    frames: torch.Tensor | None = None          # frame_decoder(rgb_latents)
    value_maps: torch.Tensor | None = None      # frame_decoder(value_latents)
    decoded_actions: torch.Tensor | None = None  # action_decoder(actions)


class AIMRollout:
    def __init__(self, model: AIMModel, config: RolloutConfig | None = None,
                 frame_decoder: Callable[[torch.Tensor], torch.Tensor] | None = None,
                 action_decoder: Callable[[torch.Tensor], torch.Tensor] | None = None) -> None:
        self.model = model
        self.config = config or RolloutConfig()
        self.frame_decoder = frame_decoder
        self.action_decoder = action_decoder
        self._text: torch.Tensor | None = None

    # ------------------------------------------------------------------ episode state
    def reset(self, text_embeds: torch.Tensor) -> None:
        """Start an episode: project the instruction once, empty the history."""
        self._text_embeds = text_embeds
        with torch.no_grad():
            self._text = self.model.text_context(text_embeds)
        self._generator = torch.Generator(device=text_embeds.device).manual_seed(self.config.seed)
        self._cache = KVCache.empty()
        self._frames = 0
        self._grid: tuple[int, int] | None = None
        self._obs: list[torch.Tensor] = []            # raw history, kept only for use_cache=False
        self._past_actions: list[torch.Tensor] = []

    @property
    def history_frames(self) -> int:
        return self._frames

    @property
    def cache(self) -> KVCache:
        return self._cache

    def _check_step_inputs(self, obs: torch.Tensor, executed: torch.Tensor | None) -> None:
        if self._text is None:
            raise RuntimeError("call reset(text_embeds) before step()")
        c = self.model.config
        if obs.ndim != 5 or obs.shape[1] != c.latent_channels or obs.shape[2] < 1:
            raise ValueError(f"obs_latents must be [B, {c.latent_channels}, F>=1, h, w], got {list(obs.shape)}")
        if obs.shape[0] != self._text.shape[0]:
            raise ValueError(f"batch {obs.shape[0]} of obs_latents != batch {self._text.shape[0]} given to reset()")
        if self._grid is not None and tuple(obs.shape[3:]) != self._grid:
            raise ValueError(f"latent grid changed within the episode: {list(obs.shape[3:])} vs {list(self._grid)}")
        preceded = obs.shape[2] - (1 if self._frames == 0 else 0)
        expected = preceded * c.layout.actions_per_frame
        got = 0 if executed is None else executed.shape[1]
        if executed is not None and (executed.ndim != 3 or executed.shape[0] != obs.shape[0]
                                     or executed.shape[2] != c.action_dim):
            raise ValueError(f"executed_actions must be [{obs.shape[0]}, n, {c.action_dim}], got {list(executed.shape)}")
        if got != expected:
            raise ValueError(f"executed_actions must hold {expected} actions ({c.layout.actions_per_frame} per new "
                             f"frame{', none before the first frame' if self._frames == 0 else ''}), got {got}")

    # ------------------------------------------------------------------ one chunk
    @torch.no_grad()
    def step(self, obs_latents: torch.Tensor, executed_actions: torch.Tensor | None = None) -> RolloutChunk:
        """Append real observations (+ the actions executed before them) and predict the next chunk."""
        self._check_step_inputs(obs_latents, executed_actions)
        with torch.autocast(obs_latents.device.type, dtype=torch.bfloat16, enabled=self.config.precision == "bf16"):
            rgb, value, actions = self._advance(obs_latents, executed_actions)
        decode = self.frame_decoder
        return RolloutChunk(
            rgb, value, actions,
            frames=decode(rgb) if decode else None,
            value_maps=decode(value) if decode and value is not None else None,
            decoded_actions=self.action_decoder(actions) if self.action_decoder else None)

    def _advance(self, obs_latents: torch.Tensor, executed_actions: torch.Tensor | None
                 ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        if executed_actions is not None and executed_actions.shape[1] == 0:
            executed_actions = None
        if self.config.use_cache:
            segments = self.model.embed_history(obs_latents, executed_actions, first_frame=self._frames)
            _, kv = self.model.run(segments, self._text, self._cache, return_kv=True)
            self._cache = self._cache.extended(kv, TokenMeta.cat([s.meta for s in segments]))
        else:
            self._obs.append(obs_latents)
            if executed_actions is not None:
                self._past_actions.append(executed_actions)
        self._frames += obs_latents.shape[2]
        self._grid = tuple(obs_latents.shape[3:])
        limit = self.config.max_history_frames
        if limit is not None and self._frames > limit:
            # history steps: frame j -> 2j, the actions after it -> 2j+1 (see intent_mask)
            self._cache = self._cache.kept(self._cache.meta.step >= 2 * (self._frames - limit))
        rgb, value = self._sample_world(obs_latents)
        return rgb, value, self._sample_actions(rgb, value)

    def _noise(self, shape: tuple[int, ...], like: torch.Tensor) -> torch.Tensor:
        return torch.randn(shape, generator=self._generator, device=like.device, dtype=like.dtype)

    def _full_history(self) -> dict[str, torch.Tensor | None]:
        return {"obs_latents": torch.cat(self._obs, dim=2),
                "past_actions": torch.cat(self._past_actions, dim=1) if self._past_actions else None,
                "text_embeds": self._text_embeds}

    def _sample_world(self, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        m, cfg = self.model, self.config
        b, ch, _, h, w = like.shape
        shape = (b, ch, m.config.layout.future_frames, h, w)
        rgb = self._noise(shape, like)
        value = self._noise(shape, like) if m.config.has_value_stream else None
        scale = m.config.num_train_timesteps

        def velocity(sigma: float, *states: torch.Tensor) -> tuple[torch.Tensor, ...]:
            value_in = states[1] if value is not None else None
            if cfg.use_cache:
                segs = m.embed_future(self._frames, states[0], value_in, t_video=sigma * scale)
                hiddens, _ = m.run(segs, self._text, self._cache)
                return tuple(m.decode(s, hd) for s, hd in zip(segs, hiddens))
            out = m(**self._full_history(), rgb_latents=states[0], value_latents=value_in, t_video=sigma * scale)
            return (out.rgb,) if value is None else (out.rgb, out.value)

        states = euler_sample((rgb,) if value is None else (rgb, value), velocity,
                              euler_sigmas(cfg.video_steps, cfg.shift))
        return states[0], (states[1] if value is not None else None)

    def _sample_actions(self, rgb: torch.Tensor, value: torch.Tensor | None) -> torch.Tensor:
        m, cfg = self.model, self.config
        lay = m.config.layout
        actions = self._noise((rgb.shape[0], lay.future_actions, m.config.action_dim), rgb)
        scale = m.config.num_train_timesteps
        world_cache = None
        if cfg.use_cache:  # the sampled world, encoded once at noise level 0
            segs = m.embed_future(self._frames, rgb, value, t_video=0.0)
            _, kv = m.run(segs, self._text, self._cache, return_kv=True)
            world_cache = self._cache.extended(kv, TokenMeta.cat([s.meta for s in segs]))

        def velocity(sigma: float, a: torch.Tensor) -> tuple[torch.Tensor]:
            if cfg.use_cache:
                segs = m.embed_future(self._frames, actions=a, t_action=sigma * scale)
                hiddens, _ = m.run(segs, None, world_cache)
                return (m.decode(segs[0], hiddens[0]),)
            out = m(**self._full_history(), rgb_latents=rgb, value_latents=value, actions=a,
                    t_video=0.0, t_action=sigma * scale)
            return (out.action,)

        return euler_sample(actions, velocity, euler_sigmas(cfg.action_steps, cfg.action_shift))[0]
