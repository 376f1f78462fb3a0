"""Stage II rollouts in the simulator: stochastic AIM episodes and their dense value-map reward.

`SimRolloutSource.collect(head_state, requests)` runs each requested episode with an `AIMPolicy`
that samples its action chunks stochastically (`PolicyConfig(action_sde=...)`) and the given
action-head weights, in this process or in `workers` processes (each holds its own policy and
SAPIEN scene; rendering dominates a rollout, so processes are what parallelises it). Per chunk the
dense reward is `r_dense = M(Pi(p))` (paper 4.3.4), read here because only the simulator side knows
cameras and kinematics:

- p: the TCP position of each arm at the chunk's *last executed* action (forward kinematics of the commanded
  joints, or a TCP-space policy's own positions, `TaskEnv.tcp_targets`): where the chunk sends the grippers, its
  landing point;
- M: the frozen value head's prediction for the same instant: the chunk's value latents decoded by
  the bundle's VAE, the frame where the last executed action lands, colour mapped back to [0, 1]
  (the dataset's inferno colour map, `value_from_colour`);
- Pi: the **head** camera's projection (intrinsics scaled to the predicted map's size). The head
  camera is static and sees both arms and the workspace; a wrist camera moves with its gripper, so
  its own TCP always projects to the same pixel and reading its map there measures nothing about
  where the arm goes. The reward is the larger of the two arms' readings (the arm that acts);
  an arm whose point falls outside the image or behind the camera reads 0.
"""
from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from aim_core.data.canvas import CanvasLayout, unpack_canvas
from aim_core.eval.episode import run_episode
from aim_core.eval.evaluate import checkpoint_sim_config
from aim_core.inference.experience import EpisodeRollout, RolloutRequest
from aim_core.inference.policy import AIMPolicy, ChunkRecord, PolicyConfig
from aim_core.processes import spawn_pool
from data_schemas import SETTINGS
from pipeline.annotate.colorize import colormap_lut
from pipeline.annotate.params import AnnotationParams
from pipeline.sim.config import SimConfig
from pipeline.sim.task_env import TaskEnv
from pipeline.tasks import get_task

HEAD_CAMERA = 0
"""Index of the head camera in CAMERA_NAMES (the view the dense reward reads)."""

DenseReward = Callable[[AIMPolicy, ChunkRecord], float]


def value_from_colour(rgb: np.ndarray, colormap: str | None = None) -> np.ndarray:
    """uint8 colour value map [..., 3] -> values in [0, 1]: the nearest entry of the colour map's LUT
    (entry 0, black, is 0). Inverts `pipeline.annotate.colorize.colorize` up to the VAE's error."""
    lut = colormap_lut(colormap or AnnotationParams().colormap).astype(np.float32)
    flat = rgb.reshape(-1, 3).astype(np.float32)
    d = ((flat[:, None, :] - lut[None]) ** 2).sum(-1)
    return (d.argmin(1).astype(np.float32) / 255.0).reshape(rgb.shape[:-1])


def project(points: np.ndarray, intrinsics: np.ndarray, extrinsic: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World points [N, 3] -> pixel coordinates (u = column, v = row) [N, 2] and camera depth [N]
    (OpenCV pinhole; pixel (r, c) has its centre at u = c, v = r)."""
    cam = points @ extrinsic[:3, :3].T + extrinsic[:3, 3]
    z = cam[:, 2]
    uv = (cam @ intrinsics.T)[:, :2] / np.where(np.abs(z) < 1e-9, 1e-9, z)[:, None]
    return uv, z


def scale_intrinsics(intrinsics: np.ndarray, image_hw: tuple[int, int], map_hw: tuple[int, int]) -> np.ndarray:
    """K of an image of size `image_hw` for the same view resized to `map_hw` (pixel-centre convention)."""
    sy, sx = map_hw[0] / image_hw[0], map_hw[1] / image_hw[1]
    k = np.array(intrinsics, dtype=np.float64)
    k[0, 0] *= sx
    k[0, 2] = (k[0, 2] + 0.5) * sx - 0.5
    k[1, 1] *= sy
    k[1, 2] = (k[1, 2] + 0.5) * sy - 0.5
    return k


def read_value_map(value_map: np.ndarray, intrinsics: np.ndarray, extrinsic: np.ndarray,
                   points: np.ndarray) -> float:
    """max over `points` [N, 3] of the map [h, w] at their projection (nearest pixel); 0 where none is visible.

    `intrinsics` must be for the map's own size (`scale_intrinsics`)."""
    uv, z = project(np.asarray(points, dtype=np.float64), intrinsics, extrinsic)
    h, w = value_map.shape
    best = 0.0
    for (u, v), depth in zip(uv, z):
        col, row = int(round(u)), int(round(v))
        if depth > 0 and 0 <= row < h and 0 <= col < w:
            best = max(best, float(value_map[row, col]))
    return best


def predicted_value_view(policy: AIMPolicy, record: ChunkRecord, view: int = HEAD_CAMERA) -> np.ndarray:
    """The frozen value head's map [h, w] in [0, 1] at the instant the chunk's last executed action lands."""
    if record.value_latents is None:
        raise ValueError("this checkpoint predicts no value map (mask='unified'): no dense reward")
    apf = policy.model.config.layout.actions_per_frame
    frame = max(1, math.ceil(len(record.actions) / apf)) - 1       # future latent frame of the landing
    video = policy.vae.decode(record.value_latents, stream="value")[0].cpu().numpy()  # [1 + 4(F_f-1), H, W, 3]
    canvas = video[min(policy.vae.temporal * frame, len(video) - 1)]
    views = unpack_canvas(canvas, CanvasLayout((canvas.shape[0] // 2, canvas.shape[1] // 2)))
    return value_from_colour(views[view])


class ValueMapReward:
    """r_dense of a chunk from a `TaskEnv` reset to the episode (head camera; see the module doc)."""

    def __init__(self, env: TaskEnv, image_size: tuple[int, int]):
        intrinsics, extrinsics = env.camera_geometry()
        self.env, self.image_size = env, tuple(image_size)
        self.intrinsics, self.extrinsic = intrinsics[HEAD_CAMERA], extrinsics[HEAD_CAMERA]

    def landing_points(self, policy: AIMPolicy, record: ChunkRecord) -> np.ndarray:
        command = policy.codec.denormalize_targets(record.actions[-1:], record.reference)[-1].cpu().numpy()
        return self.env.tcp_targets(command, policy.action_space)

    def __call__(self, policy: AIMPolicy, record: ChunkRecord) -> float:
        value = predicted_value_view(policy, record)
        k = scale_intrinsics(self.intrinsics, self.image_size, value.shape)
        return read_value_map(value, k, self.extrinsic, self.landing_points(policy, record))


def run_stochastic_episode(env: TaskEnv, policy: AIMPolicy, request: RolloutRequest, max_steps: int,
                           dense_reward: Callable[[AIMPolicy, ChunkRecord], float] | None = None) -> EpisodeRollout:
    """One training episode of a stochastic policy (seen instructions and textures, as the data it was
    trained on; until success or `max_steps`); every planned chunk with its dense reward
    (`dense_reward(policy, chunk)`, 0 without one)."""
    if policy.action_sde is None:
        raise ValueError("the policy samples deterministically: give PolicyConfig(action_sde=FlowSDE(...))")
    policy.reseed(request.sampler_seed)
    env.reset(request.task, request.setting, request.seed)
    result = run_episode(env, policy, max_steps)
    success, steps = result.success, result.steps
    chunks = list(policy.chunks)
    dense = [float(dense_reward(policy, c)) if dense_reward is not None else 0.0 for c in chunks]
    for chunk in chunks:  # the history and trace are all Stage II keeps: no references to the env
        chunk.trace = chunk.trace.to("cpu")
    return EpisodeRollout(request=request, chunks=chunks, dense=dense, success=success, steps=steps)


@dataclass(frozen=True)
class SimRolloutSettings:
    """How Stage II episodes run in the simulator."""

    bundle: str
    policy: PolicyConfig
    step_limit_factor: float = 1.5
    """Episode limit = factor x the expert's steps on that seed (RoboTwin's protocol)."""
    max_steps: int | None = None
    """Fixed episode limit instead (skips the expert runs)."""

    def sim_config(self) -> SimConfig:
        """The world the bundle was trained in."""
        return checkpoint_sim_config(self.bundle)


class _Worker:
    """A policy and a simulator, loaded once per process."""

    def __init__(self, settings: SimRolloutSettings):
        torch.set_num_threads(1)
        self.settings = settings
        self.policy = AIMPolicy.from_pretrained(settings.bundle, settings.policy)
        self.env = TaskEnv(settings.sim_config())

    def run(self, head_state: dict[str, torch.Tensor], request: RolloutRequest, max_steps: int) -> EpisodeRollout:
        self.policy.load_action_head(head_state)
        spec_size = self.policy.spec.image_size

        def dense(policy: AIMPolicy, record: ChunkRecord) -> float:
            return ValueMapReward(self.env, spec_size)(policy, record)

        return run_stochastic_episode(self.env, self.policy, request, max_steps, dense)


_WORKER: _Worker | None = None


def _init_worker(settings: SimRolloutSettings) -> None:
    global _WORKER
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    _WORKER = _Worker(settings)


def _run_in_worker(head_state, request, max_steps) -> EpisodeRollout:
    assert _WORKER is not None
    return _WORKER.run(head_state, request, max_steps)


class SimRolloutSource:
    """Stage II episodes in SAPIEN, in this process (`workers=1`) or in `workers` spawned processes."""

    def __init__(self, settings: SimRolloutSettings, workers: int = 1):
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.settings, self.workers = settings, workers
        self._local: _Worker | None = None
        self._pool: ProcessPoolExecutor | None = None
        self._limits: dict[tuple[str, str, int], int] = {}

    def validate(self, tasks: Sequence[str], settings: Sequence[str]) -> None:
        problems = []
        for task in tasks:
            try:
                get_task(task)
            except KeyError as exc:
                problems.append(str(exc.args[0]))
        unknown = sorted(set(settings) - set(SETTINGS))
        if unknown or not settings:
            problems.append(f"settings must be a non-empty subset of {list(SETTINGS)}, got {list(settings)}")
        if problems:
            raise ValueError("cannot start Stage II rollouts: " + "; ".join(problems))

    def step_limit(self, request: RolloutRequest) -> int:
        if self.settings.max_steps is not None:
            return self.settings.max_steps
        key = (request.task, request.setting, request.seed)
        if key not in self._limits:
            env = TaskEnv(self.settings.sim_config())
            env.reset(*key)
            run = env.run_expert()
            self._limits[key] = max(1, math.ceil(self.settings.step_limit_factor * max(run.steps, 1)))
        return self._limits[key]

    def collect(self, head_state: dict[str, torch.Tensor], requests: Sequence[RolloutRequest]) -> list[EpisodeRollout]:
        limits = [self.step_limit(r) for r in requests]
        if self.workers == 1:
            if self._local is None:
                self._local = _Worker(self.settings)
            return [self._local.run(head_state, r, n) for r, n in zip(requests, limits)]
        if self._pool is None:
            self._pool = spawn_pool(self.workers, _init_worker, (self.settings,))
        futures = [self._pool.submit(_run_in_worker, head_state, r, n) for r, n in zip(requests, limits)]
        return [f.result() for f in futures]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        self._local = None


def sim_source(bundle: str | Path, sampling_steps: int | None, execute_frames: int | None, sde,
               workers: int = 1, max_steps: int | None = None, step_limit_factor: float = 1.5) -> SimRolloutSource:
    """The simulator rollout source of a Stage II run (what the CLI and the flow wire in)."""
    policy = PolicyConfig(num_inference_steps=sampling_steps, execute_frames=execute_frames, action_sde=sde)
    return SimRolloutSource(SimRolloutSettings(str(bundle), policy, step_limit_factor, max_steps), workers)
