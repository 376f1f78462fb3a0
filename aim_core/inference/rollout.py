"""Chunk-wise rollout of AIM: the tokens of a training window, then one joint denoising of the future.

Every chunk is planned from exactly what a training window holds (`aim_core.data.windows`): the
latest h = min(j + 1, F_h) latent frames at model step j, the (h - 1) * apf actions executed
between them, RoPE positions counted from the window's first frame and no action before it.
`HistoryWindow` keeps that history; the sampler re-encodes it every chunk (F_h frames, what one
training forward costs) instead of growing a KV cache over the whole episode: a key computed with
context a training window never shows would make inference differ from training.

Within a chunk the history keys/values are computed once and reused by every denoising step (the
KV cache); the future RGB, value-map and action tokens are denoised together along one noise
trajectory with the noise schedule saved with the model (the paper: "the three future token streams
all start with noise and then gradually denoise"), as training draws one noise level per window
for all three. ``use_cache=False`` runs each step as a full forward: the reference the cache is
tested against.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch

from aim_core.inference.sampler import euler_sample, euler_sigmas
from aim_core.models.aim_model import AIMModel
from aim_core.models.config import ChunkLayout
from aim_core.models.intent_mask import TokenMeta
from aim_core.models.kv_cache import KVCache
from aim_core.models.schedule import NoiseSchedule


@dataclass(frozen=True)
class SamplingConfig:
    num_steps: int = 10
    """Euler steps from noise to data, shared by the three future streams."""
    seed: int = 0
    use_cache: bool = True
    precision: Literal["fp32", "bf16"] = "fp32"
    """bf16: autocast on the model's device (the GPU path); the ODE state stays fp32."""

    def __post_init__(self) -> None:
        if self.num_steps < 1:
            raise ValueError(f"num_steps must be >= 1, got {self.num_steps}")
        if self.precision not in ("fp32", "bf16"):
            raise ValueError(f"precision must be 'fp32' or 'bf16', got {self.precision!r}")


@dataclass
class Chunk:
    """One predicted chunk: future latents and normalised actions."""

    rgb_latents: torch.Tensor            # [B, C, F_f, h, w]
    value_latents: torch.Tensor | None   # [B, C, F_f, h, w] (None without a value stream)
    actions: torch.Tensor                # [B, F_f * apf, A] normalised


class HistoryWindow:
    """The latest F_h latent frames of an episode and the actions executed between them.

    `add(frames, executed)` appends new latent frames with the actions executed since the
    previous frame (apf per new frame; none before an episode's first frame); `tensors()` gives
    the history of a training window ending at the newest frame.
    """

    def __init__(self, layout: ChunkLayout):
        self.layout = layout
        self.reset()

    def reset(self) -> None:
        self._frames: torch.Tensor | None = None   # [B, C, n, h, w]
        self._actions: torch.Tensor | None = None  # [B, m, A]
        self.seen = 0

    def add(self, frames: torch.Tensor, executed: torch.Tensor | None) -> None:
        apf = self.layout.actions_per_frame
        if frames.ndim != 5 or frames.shape[2] < 1:
            raise ValueError(f"latent frames must be [B, C, n>=1, h, w], got {list(frames.shape)}")
        if self._frames is not None and frames.shape[:2] + frames.shape[3:] != \
                self._frames.shape[:2] + self._frames.shape[3:]:
            raise ValueError(f"latent frames {list(frames.shape)} do not continue the episode's "
                             f"{list(self._frames.shape)} (batch, channels and grid must stay)")
        expected = apf * (frames.shape[2] - (1 if self.seen == 0 else 0))
        got = 0 if executed is None else executed.shape[1]
        if executed is not None and (executed.ndim != 3 or executed.shape[0] != frames.shape[0]):
            raise ValueError(f"executed actions must be [{frames.shape[0]}, n, A], got {list(executed.shape)}")
        if got != expected:
            raise ValueError(f"executed actions must hold {expected} actions ({apf} per new latent frame"
                             f"{', none before the first frame' if self.seen == 0 else ''}), got {got}")
        keep = self.layout.history_frames
        self._frames = frames if self._frames is None else torch.cat([self._frames, frames], dim=2)
        self._frames = self._frames[:, :, -keep:]
        if got:
            self._actions = executed if self._actions is None else torch.cat([self._actions, executed], dim=1)
            self._actions = self._actions[:, -(keep - 1) * apf:] if keep > 1 else self._actions[:, :0]
        self.seen += frames.shape[2]

    def tensors(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(obs_latents [B, C, h, ...], past_actions [B, (h-1)*apf, A] or None for h = 1)."""
        if self._frames is None:
            raise RuntimeError("the history is empty: add the episode's first latent frame first")
        frames = self._frames.shape[2]
        past = (frames - 1) * self.layout.actions_per_frame
        return self._frames, (self._actions[:, -past:] if past else None)


class ChunkSampler:
    """Samples one chunk (future RGB, value map, actions) from a history window."""

    def __init__(self, model: AIMModel, schedule: NoiseSchedule, config: SamplingConfig | None = None):
        self.model = model
        self.schedule = schedule
        self.config = config or SamplingConfig()
        self.reset()

    def reset(self) -> None:
        """Restart the noise stream (one per episode: same seed, same observations, same chunks)."""
        self._generator: torch.Generator | None = None

    def _noise(self, shape: tuple[int, ...], like: torch.Tensor) -> torch.Tensor:
        if self._generator is None:
            self._generator = torch.Generator(device=like.device).manual_seed(self.config.seed)
        return torch.randn(shape, generator=self._generator, device=like.device, dtype=torch.float32)

    @torch.no_grad()
    def sample(self, text_embeds: torch.Tensor, obs_latents: torch.Tensor,
               past_actions: torch.Tensor | None) -> Chunk:
        """Denoise the future of the window (text states [B, L, D], history as `HistoryWindow.tensors`)."""
        m = self.model
        lay, b = m.config.layout, obs_latents.shape[0]
        grid = (b, m.config.latent_channels, lay.future_frames, *obs_latents.shape[3:])
        states = [self._noise(grid, obs_latents)]
        if m.config.has_value_stream:
            states.append(self._noise(grid, obs_latents))
        states.append(self._noise((b, lay.future_actions, m.config.action_dim), obs_latents))
        autocast = torch.autocast(obs_latents.device.type, dtype=torch.bfloat16,
                                  enabled=self.config.precision == "bf16")
        with autocast:
            velocity = self._cached_velocity(text_embeds, obs_latents, past_actions) if self.config.use_cache \
                else self._full_velocity(text_embeds, obs_latents, past_actions)
            out = euler_sample(tuple(states), velocity, euler_sigmas(self.config.num_steps, self.schedule))
        value = out[1] if m.config.has_value_stream else None
        return Chunk(rgb_latents=out[0], value_latents=value, actions=out[-1])

    def _split(self, states: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        return states[0], (states[1] if len(states) == 3 else None), states[-1]

    def _cached_velocity(self, text_embeds, obs_latents, past_actions):
        m, timestep = self.model, self.schedule.timesteps
        text = m.text_context(text_embeds)
        history = m.embed_history(obs_latents, past_actions)
        _, kv = m.run(history, text, return_kv=True)
        cache = KVCache.empty().extended(kv, TokenMeta.cat([s.meta for s in history]))
        first_future = obs_latents.shape[2]

        def velocity(sigma: float, *states: torch.Tensor) -> tuple[torch.Tensor, ...]:
            rgb, value, actions = self._split(states)
            future = m.embed_future(first_future, rgb, value, actions, t_video=timestep(sigma), t_action=timestep(sigma))
            hiddens, _ = m.run(future, text, cache)
            return tuple(m.decode(s, h) for s, h in zip(future, hiddens))

        return velocity

    def _full_velocity(self, text_embeds, obs_latents, past_actions):
        m, timestep = self.model, self.schedule.timesteps

        def velocity(sigma: float, *states: torch.Tensor) -> tuple[torch.Tensor, ...]:
            rgb, value, actions = self._split(states)
            out = m(obs_latents=obs_latents, past_actions=past_actions, rgb_latents=rgb, value_latents=value,
                    actions=actions, text_embeds=text_embeds, t_video=timestep(sigma), t_action=timestep(sigma))
            return tuple(v for v in (out.rgb, out.value, out.action) if v is not None)

        return velocity
