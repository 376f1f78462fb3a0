"""Run one expert episode in the simulator and return it in memory as schema-valid `EpisodeData`.

The recorder samples observations every `record_every` physics steps (RoboTwin: 15 at 250 Hz),
so the control rate is physics_rate / record_every. `action[t]` is the command issued after frame t,
the target the robot tracks until frame t+1 (`pipeline.sim.control.CommandLog`), so actions lead
qpos by one control step. Planning failures end the episode with
success=False; the recorded arrays are still returned. Deterministic in (task, setting, seed).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import mplib
import numpy as np

from data_schemas import EpisodeAttrs, EpisodeData, episode_id, validate_episode
from pipeline.sim.appearance import check_setting, sample_appearance
from pipeline.sim.config import DEFAULT_IMAGE_SIZE, DEFAULT_PHYSICS_RATE_HZ, CameraConfig, SceneConfig
from pipeline.sim.contacts import ContactCollector
from pipeline.sim.control import CommandLog
from pipeline.sim.env import SimEnv
from pipeline.sim.poses import pose_to_xyzwxyz
from pipeline.sim.robot import PlanningError
from pipeline.sim.timing import Timer
from pipeline.tasks import get_task
from pipeline.tasks.base import Task


@dataclass
class RolloutConfig:
    image_size: tuple[int, int] = DEFAULT_IMAGE_SIZE
    physics_rate_hz: float = DEFAULT_PHYSICS_RATE_HZ
    record_every: int = 15
    segmentation: bool = True
    surface_points: int = 2048
    settle_s: float = 0.2
    """Physics time before recording starts, so objects rest on the table."""

    def __post_init__(self) -> None:
        if self.record_every < 1:
            raise ValueError(f"record_every must be >= 1 physics step, got {self.record_every}")
        if self.surface_points < 1:
            raise ValueError(f"surface_points must be >= 1, got {self.surface_points}")

    def scene_config(self) -> SceneConfig:
        return SceneConfig(physics_rate_hz=self.physics_rate_hz,
                           cameras=CameraConfig(image_size=tuple(self.image_size)))


class EpisodeRecorder:
    """Step hook that samples observations and flushes contacts every `record_every` steps.

    Create it where frame 0 is captured: its `CommandLog` counts control periods from there.
    """

    def __init__(self, env: SimEnv, task: Task, config: RolloutConfig,
                 progress: Callable[[int], None] | None):
        self.env, self.task, self.config, self.progress = env, task, config, progress
        self.contacts = ContactCollector(task.contact_rules())
        self.entity_ids = [task.actors[name].per_scene_id for name in task.tracked]
        lut_size = max([e.per_scene_id for e in env.scene.get_entities()] + [0]) + 1
        self.lut = np.full(lut_size, -1, dtype=np.int16)
        for index, entity_id in enumerate(self.entity_ids):
            self.lut[entity_id] = index
        self.frames: list[dict[str, np.ndarray]] = []
        self.start_step = env.num_steps
        self.commands = CommandLog(env, config.record_every)

    def __call__(self, step: int) -> None:
        self.contacts.observe(self.env.scene.get_contacts())
        self.commands(step)
        if (step - self.start_step) % self.config.record_every == 0:
            self.record()

    def record(self) -> None:
        robot = self.env.robot
        with self.env.timer.measure("render"):
            frame = self.env.cameras.capture(self.lut if self.config.segmentation else None)
        frame["extrinsics"] = self.env.cameras.extrinsics()
        frame["qpos"] = robot.qpos()
        frame["ee_pose"] = np.stack([pose_to_xyzwxyz(p) for p in robot.tcp_poses()])
        frame["object_poses"] = np.stack([pose_to_xyzwxyz(self.task.actors[n].get_pose())
                                          for n in self.task.tracked]).reshape(-1, 7)
        self.contacts.flush(len(self.frames))
        self.frames.append(frame)
        if self.progress is not None:
            self.progress(len(self.frames))

    def arrays(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """The recorded arrays; call it when the episode has ended (the last action is the target now)."""
        out = {key: np.stack([f[key] for f in self.frames]) for key in self.frames[0]}
        out["action"] = self.commands.actions()
        out["intrinsics"] = self.env.cameras.intrinsics()
        points = [self.task.surface_samplers[n](self.config.surface_points, rng) for n in self.task.tracked]
        out["object_points"] = np.stack(points).astype(np.float32).reshape(len(points), -1, 3)
        out.update(self.contacts.arrays())
        return out


@dataclass
class EpisodeScene:
    """The settled start of episode (task, setting, seed): scene, task objects, instruction, and
    the seed stream left for the object surface samples."""

    env: SimEnv
    task: Task
    instruction: str
    points_rng: np.random.Generator


def build_episode_scene(task: str, setting: str, seed: int, config: RolloutConfig,
                        timer: Timer | None = None) -> EpisodeScene:
    """Scene, objects and instruction of (task, setting, seed), objects at rest: the same start for
    the recorded expert episode and for a policy evaluated on that seed.

    Unknown task -> KeyError; unknown setting, negative seed or a task tracking no actor -> ValueError.
    """
    task_cls = get_task(task)
    check_setting(setting)
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    look_rng, object_rng, text_rng, points_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4))
    mplib.set_global_seed(seed + 1)  # OMPL rejects seed 0
    env = SimEnv(config.scene_config(), sample_appearance(setting, look_rng), timer)
    episode_task = task_cls(env)
    episode_task.load_objects(env.scene, object_rng, setting)
    if not episode_task.tracked:
        raise ValueError(f"task {task!r} tracks no actors: call add_object(..., tracked=True) in load_objects")
    env.settle(config.settle_s)
    return EpisodeScene(env, episode_task, episode_task.instruction(text_rng, unseen=(setting == "hard")), points_rng)


def rollout_episode(task: str, setting: str, seed: int, config: RolloutConfig | None = None,
                    progress: Callable[[int], None] | None = None) -> EpisodeData:
    """Build the scene for (task, setting, seed), run the expert, return the recorded episode.

    `progress(n)` is called after every recorded step. Errors as `build_episode_scene`.
    """
    config = config or RolloutConfig()
    start = time.perf_counter()
    timer = Timer()
    scene = build_episode_scene(task, setting, seed, config, timer)
    env, episode_task = scene.env, scene.task
    recorder = EpisodeRecorder(env, episode_task, config, progress)
    recorder.record()
    env.step_hooks.append(recorder)
    failure = ""
    try:
        episode_task.play_once()
    except PlanningError as exc:
        failure = str(exc)
    success = not failure and episode_task.check_success()
    arrays = recorder.arrays(scene.points_rng)
    h, w = config.image_size
    attrs = EpisodeAttrs(
        episode_id=episode_id(task, setting, seed), task=task, setting=setting, seed=seed,
        instruction=scene.instruction,
        control_rate_hz=config.physics_rate_hz / config.record_every, physics_rate_hz=config.physics_rate_hz,
        num_steps=len(recorder.frames), image_size=(h, w), object_names=list(episode_task.tracked),
        contact_bodies=list(recorder.contacts.bodies), segmentation_labels=list(episode_task.tracked),
        roles=dict(episode_task.roles), success=bool(success),
        timing=timer.as_dict(time.perf_counter() - start), failure=failure,
        appearance=asdict(env.appearance), rollout_config=asdict(config))
    episode = EpisodeData(attrs=attrs, arrays=arrays)
    validate_episode(episode)
    return episode
