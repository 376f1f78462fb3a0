"""The AIM policy (LeRobot style): `reset()` / `select_action(obs)` over the KV-cache rollout.

Observations (T-pose canvases at the run's canvas size, every `frame_stride`-th step) are
collected; when its action queue is empty the policy encodes them with the VAE's streaming
causal encoder (latents identical to the training cache's whole-episode encoding), hands the new
latent frames and the actions it executed meanwhile to `AIMRollout.step`, and queues the
predicted action chunk (denormalised by the model's action codec, which carries the training
statistics). It executes `execute_frames` latent frames' worth of actions before it plans
again, so new observations always arrive as whole latent frames. The first predicted value map
of each chunk is kept (`value_images`) for the evaluation videos.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from aim_core.data.canvas import CanvasLayout, pack_canvas, resize_views, unpack_canvas
from aim_core.eval.env import Observation
from aim_core.inference.rollout import AIMRollout, RolloutConfig
from aim_core.models.aim_model import AIMModel
from aim_core.training.checkpoint import read_checkpoint_state
from aim_core.training.encoders import Encoders


@dataclass(frozen=True)
class AIMPolicyConfig:
    """Sampling and execution settings of the policy at evaluation time."""

    video_steps: int = 10
    action_steps: int = 10
    execute_frames: int | None = None
    """Latent frames' worth of actions executed per chunk (None: the whole predicted chunk)."""
    seed: int = 0


class AIMPolicy:
    """Closed-loop AIM controller for one environment (batch of one)."""

    def __init__(self, model: AIMModel, encoders: Encoders, camera_hw: tuple[int, int] | None, frame_stride: int,
                 config: AIMPolicyConfig = AIMPolicyConfig(), name: str = "aim"):
        layout = model.config.layout
        execute = config.execute_frames or layout.future_frames
        if not 1 <= execute <= layout.future_frames:
            raise ValueError(f"execute_frames must be in 1..{layout.future_frames} (the chunk length), got {execute}")
        if frame_stride * encoders.vae.temporal != layout.actions_per_frame:
            raise ValueError(f"model expects {layout.actions_per_frame} actions per latent frame, the encoders give "
                             f"{frame_stride * encoders.vae.temporal} (stride {frame_stride} x VAE {encoders.vae.temporal})")
        self.name = name
        self.model = model.eval()
        self.encoders = encoders
        self.device = next(model.parameters()).device
        if not bool(model.action_codec.has_stats):
            raise ValueError("the model's action codec has no action statistics: it cannot denormalise actions "
                             "(checkpoints written by aim-train carry them)")
        self.camera_hw = tuple(camera_hw) if camera_hw else None
        self.frame_stride = frame_stride
        self.execute_actions = execute * layout.actions_per_frame
        self.rollout = AIMRollout(model, RolloutConfig(video_steps=config.video_steps, action_steps=config.action_steps,
                                                       seed=config.seed))
        self.value_images: np.ndarray | None = None
        self.reset()

    @classmethod
    def from_checkpoint(cls, path: str | Path, config: AIMPolicyConfig = AIMPolicyConfig(),
                        device: str | torch.device = "cpu", name: str = "aim") -> "AIMPolicy":
        """Model, encoders, action statistics and canvas settings of a Stage I checkpoint."""
        state = read_checkpoint_state(path)
        data = state.data
        if "encoders" not in data:
            raise ValueError(f"checkpoint {path} does not name its encoders (VAE, text); it was not written by aim-train")
        model = AIMModel.from_pretrained(path, device=device)
        encoders = Encoders.load(data["encoders"])
        encoders.vae.to(device)
        encoders.text.to(device)
        return cls(model, encoders, data.get("camera_hw"), int(data["frame_stride"]), config, name)

    def reset(self) -> None:
        self._stream = self.encoders.vae.streaming_encoder()
        self._pending: list[np.ndarray] = []
        self._steps = 0
        self._queue: list[np.ndarray] = []
        self._executed: torch.Tensor | None = None
        self._instruction: str | None = None
        self.value_images = None

    def _canvas(self, images: np.ndarray) -> np.ndarray:
        views = resize_views(images, self.camera_hw) if self.camera_hw else images
        return pack_canvas(views)

    @torch.no_grad()
    def _plan(self) -> None:
        new = self._stream.push(np.stack(self._pending)[None]).to(self.device)
        self._pending = []
        chunk = self.rollout.step(new, self._executed)
        normed = chunk.actions[:, :self.execute_actions]
        self._executed = normed
        self._queue = list(self.model.action_codec.denormalize(normed[0]).cpu().numpy())
        if chunk.value_latents is not None:
            canvas = self.encoders.vae.decode(chunk.value_latents[:, :, :1])[0, 0].cpu().numpy()
            self.value_images = unpack_canvas(canvas, CanvasLayout((canvas.shape[0] // 2, canvas.shape[1] // 2)))

    def select_action(self, obs: Observation) -> np.ndarray:
        if self._instruction is None:
            self._instruction = obs.instruction
            text = self.encoders.text.encode([obs.instruction])[0][None].to(self.device)
            self.rollout.reset(text)
        if self._steps % self.frame_stride == 0:
            self._pending.append(self._canvas(obs.images))
        self._steps += 1
        if not self._queue:
            self._plan()
        return self._queue.pop(0).astype(np.float32)
