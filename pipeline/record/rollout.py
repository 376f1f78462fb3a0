"""Run one expert episode in a `TaskEnv` and return it in memory as schema-valid `EpisodeData`.

The recorder is a step hook of the expert's run (`TaskEnv.run_expert`): it samples observations
every control period (`SimConfig.record_every` physics steps; RoboTwin: 15 at 250 Hz) and gathers
contacts. `action[t]` is the command issued after frame t, the target the robot tracks until frame
t+1 (`pipeline.sim.control.CommandLog`, sampled by the expert run), so actions lead qpos by one
control step. Planning failures end the episode with success=False; the recorded arrays are still
returned. Deterministic in (task, setting, seed, SimConfig, RecordOptions).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from data_schemas import SEGMENTATION_TABLE, SEGMENTATION_UNTRACKED, EpisodeAttrs, EpisodeData, episode_id, validate_episode
from pipeline.sim.config import SimConfig
from pipeline.sim.contacts import ContactCollector
from pipeline.sim.poses import pose_to_xyzwxyz
from pipeline.sim.primitives import ExecutionNoise
from pipeline.sim.task_env import TaskEnv
from pipeline.sim.timing import Timer

NOISE_STREAM = 0xDA27
"""Second seed word of the expert's execution noise: its own stream, so the scene of a seed is the same with or
without noise."""


@dataclass(frozen=True)
class RecordOptions:
    """How an episode is recorded beyond the world's own settings (`SimConfig`); stored in its `recording` attr."""

    segmentation: bool = True
    surface_points: int = 2048
    """Surface points sampled per tracked object (`object_points`)."""
    expert_noise_rad: float = 0.0
    """Std (rad per joint) of the DART-style noise the expert executes its paths with (`ExecutionNoise`; the
    recorded actions stay the expert's commands); 0: exact execution."""
    expert_noise_time_s: float = 0.3
    """Correlation time of that noise (s)."""

    def __post_init__(self) -> None:
        if self.surface_points < 1:
            raise ValueError(f"surface_points must be >= 1, got {self.surface_points}")
        if self.expert_noise_rad < 0 or self.expert_noise_time_s <= 0:
            raise ValueError(f"expert noise needs a std >= 0 and a correlation time > 0, got "
                             f"{self.expert_noise_rad} rad, {self.expert_noise_time_s} s")


class EpisodeRecorder:
    """Step hook that samples observations and flushes contacts every control period.

    Create it right after `TaskEnv.reset` and call `record()` once for frame 0, then pass it to
    `run_expert`; frame k is captured `k * record_every` physics steps after the reset.
    """

    def __init__(self, env: TaskEnv, options: RecordOptions, progress: Callable[[int], None] | None):
        self.sim, self.task, self.options, self.progress = env.sim, env.task, options, progress
        self.every = env.config.record_every
        self.contacts = ContactCollector(self.task.contact_rules())
        entity_ids = [self.task.actors[name].per_scene_id for name in self.task.tracked]
        lut_size = max([e.per_scene_id for e in self.sim.scene.get_entities()] + [0]) + 1
        self.lut = np.full(lut_size, SEGMENTATION_UNTRACKED, dtype=np.int16)
        for index, entity_id in enumerate(entity_ids):
            self.lut[entity_id] = index
        self.lut[env.sim.workspace.table.per_scene_id] = SEGMENTATION_TABLE
        self.frames: list[dict[str, np.ndarray]] = []
        self.start_step = self.sim.num_steps

    def __call__(self, step: int) -> None:
        self.contacts.observe(self.sim.scene.get_contacts())
        if (step - self.start_step) % self.every == 0:
            self.record()

    def record(self) -> None:
        robot = self.sim.robot
        with self.sim.timer.measure("render"):
            frame = self.sim.cameras.capture(self.lut if self.options.segmentation else None)
        frame["extrinsics"] = self.sim.cameras.extrinsics()
        frame["qpos"] = robot.qpos()
        frame["ee_pose"] = robot.ee_pose()
        frame["object_poses"] = np.stack([pose_to_xyzwxyz(self.task.actors[n].get_pose())
                                          for n in self.task.tracked]).reshape(-1, 7)
        self.contacts.flush(len(self.frames))
        self.frames.append(frame)
        if self.progress is not None:
            self.progress(len(self.frames))

    def arrays(self, actions: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """The recorded arrays with the expert's `actions` (one per frame); call it when the episode ended."""
        out = {key: np.stack([f[key] for f in self.frames]) for key in self.frames[0]}
        out["action"] = actions
        out["intrinsics"] = self.sim.cameras.intrinsics()
        points = [self.task.surface_samplers[n](self.options.surface_points, rng) for n in self.task.tracked]
        out["object_points"] = np.stack(points).astype(np.float32).reshape(len(points), -1, 3)
        out.update(self.contacts.arrays())
        return out


def rollout_episode(task: str, setting: str, seed: int, config: SimConfig | None = None,
                    options: RecordOptions | None = None,
                    progress: Callable[[int], None] | None = None) -> EpisodeData:
    """Reset a `TaskEnv` to (task, setting, seed), run the expert with the recorder as its hook, return
    the recorded episode (seen instructions and textures: data collection).

    `progress(n)` is called after every recorded step. Errors as `TaskEnv.reset`.
    """
    config, options = config or SimConfig(), options or RecordOptions()
    start = time.perf_counter()
    timer = Timer()
    env = TaskEnv(config)
    env.reset(task, setting, seed, timer=timer)
    recorder = EpisodeRecorder(env, options, progress)
    recorder.record()
    if options.expert_noise_rad > 0:
        env.task.expert.noise = ExecutionNoise(options.expert_noise_rad, options.expert_noise_time_s,
                                               np.random.default_rng([seed, NOISE_STREAM]))
    run = env.run_expert([recorder])
    if len(run.actions) != len(recorder.frames):
        raise RuntimeError(f"{task}/{setting}/{seed}: {len(run.actions)} actions for {len(recorder.frames)} frames")
    arrays = recorder.arrays(run.actions, env.points_rng)
    scripted = env.task
    attrs = EpisodeAttrs(
        episode_id=episode_id(task, setting, seed), task=task, setting=setting, seed=seed,
        instruction=env.instruction, instruction_type="seen",
        control_rate_hz=config.control_rate_hz, physics_rate_hz=config.physics_rate_hz,
        num_steps=len(recorder.frames), image_size=config.image_size, object_names=list(scripted.tracked),
        contact_bodies=list(recorder.contacts.bodies), segmentation_labels=list(scripted.tracked),
        roles=dict(scripted.roles), success=run.success, sim=config.to_dict(),
        expert_revision=type(scripted).expert_revision,
        timing=timer.as_dict(time.perf_counter() - start), failure=run.failure,
        appearance=asdict(env.sim.appearance), recording=asdict(options))
    env.close()
    episode = EpisodeData(attrs=attrs, arrays=arrays)
    validate_episode(episode)
    return episode
