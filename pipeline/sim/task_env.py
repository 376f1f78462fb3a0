"""`TaskEnv`: the one simulator environment that generation, evaluation, Stage II and the RoboTwin adapter use.

Why one class: recording the expert, evaluating a policy and collecting RL rollouts must see the same
world for a seed and step it by the same rule, or a policy is trained on one thing and tested on
another. `TaskEnv` owns that:

- `reset(task, setting, seed)` builds the scene of a seed (appearance, objects, instruction, each from
  its own stream of `SeedSequence(seed)`), lets it settle and returns the first `Observation`;
- `step(action)` runs one control period of `SimConfig.record_every` physics steps under
  `pipeline.sim.control.ControlLaw` (the rule recorded actions are defined by) and observes;
- `evaluate()` is the task's named sub-conditions now (ManiSkill style, usable as rewards), with
  "success" latched at every physics step since the reset (RoboTwin's rule: the first success counts);
- `run_expert(hooks)` lets the task's scripted expert play, sampling its commands per control step
  (`CommandLog`, the recorded action convention); the episode recorder is one of the hooks.

Seen/unseen instructions and textures are chosen independently of easy/hard: data collection uses
the seen ones, RoboTwin's evaluation the unseen ones.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import mplib
import numpy as np

from data_schemas.observation import Observation
from data_schemas.spec import ACTION_DIM, ACTION_LAYOUT, ACTION_SPACES, TCP_LAYOUT
from pipeline.sim.appearance import check_setting, sample_appearance
from pipeline.sim.config import SimConfig
from pipeline.sim.control import CommandLog, ControlLaw
from pipeline.sim.env import SimEnv
from pipeline.sim.robot import PlanningError
from pipeline.sim.timing import Timer

INSTRUCTION_TYPES = ("seen", "unseen")
"""RoboTwin's `instruction_type`: training templates and descriptions, or the held-out ones."""


@dataclass(frozen=True)
class ExpertRun:
    """The scripted expert on one seed: did it succeed (RoboTwin: plan success and the check at the end),
    why not, and its commands per control step as recorded actions (`actions[t]` is what the robot
    tracks from frame t to t+1)."""

    task: str
    setting: str
    seed: int
    success: bool
    actions: np.ndarray
    failure: str = ""

    @property
    def steps(self) -> int:
        return len(self.actions)


@dataclass(frozen=True)
class Replay:
    """Recorded actions executed open loop: the measured joints where each frame was captured
    (`qpos[0]` after reset) and whether the task succeeded (latched, as in evaluation)."""

    qpos: np.ndarray
    success: bool


StepHook = Callable[[int], None]
ControlHook = Callable[["TaskEnv", np.ndarray, str, Observation], None]
"""Called after every control step with (env, the action as given, its action space, the new observation)."""


class TaskEnv:
    """reset(task, setting, seed) / step(action) / observe() / evaluate() / run_expert(hooks) on a
    fresh SAPIEN scene per episode."""

    def __init__(self, config: SimConfig | None = None):
        self.config = config or SimConfig()
        self._sim: SimEnv | None = None
        self._task = None
        self._control: ControlLaw | None = None
        self._latch = None
        self.instruction = ""
        self.steps = 0
        """Control steps (policy actions) since the reset: RoboTwin's `take_action_cnt`."""
        self.ik_failures = 0
        """TCP-space actions since the reset whose pose an arm's inverse kinematics could not reach (the arm held)."""
        self.points_rng: np.random.Generator | None = None
        """The seed's stream left for sampling object surface points (the recorder's)."""
        self.episode: tuple[str, str, int] | None = None
        self.control_hooks: list[ControlHook] = []
        """Observers of every control step (an evaluation's `EpisodeTrace`), kept across resets: whoever adds one
        removes it."""

    # -- episode -------------------------------------------------------------------------------
    def reset(self, task: str, setting: str, seed: int, *, instruction_type: str = "seen",
              texture_set: str = "seen", timer: Timer | None = None) -> Observation:
        """Build and settle the scene of (task, setting, seed); the same start for the recorded expert
        episode and for a policy evaluated on that seed.

        Unknown task -> KeyError; unknown setting, instruction type or texture set, negative seed or a
        task tracking no actor -> ValueError.
        """
        from pipeline.tasks import get_task  # tasks build on pipeline.sim: import where used
        from pipeline.tasks.base import SuccessLatch

        task_cls = get_task(task)
        check_setting(setting)
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        if instruction_type not in INSTRUCTION_TYPES:
            raise ValueError(f"instruction_type must be one of {INSTRUCTION_TYPES}, got {instruction_type!r}")
        self.close()
        look_rng, object_rng, text_rng, points_rng = (
            np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4))
        mplib.set_global_seed(seed + 1)  # OMPL rejects seed 0
        sim = SimEnv(self.config, task_cls.appearance(sample_appearance(setting, look_rng, texture_set)), timer)
        scripted = task_cls(sim)
        scripted.load_objects(sim.scene, object_rng, setting)
        if not scripted.tracked:
            raise ValueError(f"task {task!r} tracks no actors: call add_object(..., tracked=True) in load_objects")
        sim.settle(self.config.settle_s)
        self._sim, self._task, self.points_rng = sim, scripted, points_rng
        self.instruction = scripted.instruction(text_rng, instruction_type=instruction_type)
        self._control = ControlLaw(sim, self.config.record_every)
        self._latch = SuccessLatch(scripted)
        sim.step_hooks.append(self._latch)
        self.steps = self.ik_failures = 0
        self.episode = (task, setting, seed)
        return self.observe()

    def _require(self) -> SimEnv:
        if self._sim is None:
            raise RuntimeError("call reset(task, setting, seed) first")
        return self._sim

    @property
    def sim(self) -> SimEnv:
        """The SAPIEN world of the current episode (scene, robot, cameras, step hooks)."""
        return self._require()

    @property
    def task(self):
        """The current episode's `pipeline.tasks.base.Task` (objects, roles, expert)."""
        self._require()
        return self._task

    def observe(self) -> Observation:
        """The three camera images, the measured joints, the grippers' poses and the instruction, now."""
        sim = self._require()
        images = sim.cameras.capture(None)["rgb"]
        return Observation(images=images, qpos=sim.robot.qpos(), instruction=self.instruction, step=self.steps,
                           ee_pose=sim.robot.ee_pose())

    def step(self, action: np.ndarray, action_space: str = "joints") -> Observation:
        """One control period towards `action` [ACTION_DIM] (ACTION_LAYOUT order, gripper 1 open / 0
        closed); success is checked after every physics step. A non-finite or misshapen action ->
        ValueError before anything moves. `action_space="tcp"`: `action` holds both TCP poses (TCP_LAYOUT), turned
        into joint targets by inverse kinematics (`DualPanda.joints_for_tcp`); an arm whose pose has no solution
        holds its target and `ik_failures` counts it."""
        sim = self._require()
        command = action
        if action_space == "tcp":
            action = np.asarray(action, dtype=np.float64)
            if action.shape != (ACTION_DIM,) or not np.all(np.isfinite(action)):
                raise ValueError(f"a TCP action must be a finite [{ACTION_DIM}] vector (per arm xyz, quaternion wxyz, "
                                 f"gripper), got shape {action.shape}")
            command, failures = sim.robot.joints_for_tcp(action)
            self.ik_failures += failures
        elif action_space != "joints":
            raise ValueError(f"action_space {action_space!r} is not one of {ACTION_SPACES}")
        self._control.apply(command)
        self.steps += 1
        obs = self.observe()
        for hook in self.control_hooks:
            hook(self, action, action_space, obs)
        return obs

    def evaluate(self) -> dict[str, bool]:
        """The task's named sub-conditions now; "success" is True once the goal held at any physics
        step since the reset (latched)."""
        self._require()
        conditions = dict(self._task.evaluate())
        conditions["success"] = bool(self._latch.success or conditions["success"])
        return conditions

    def object_positions(self) -> dict[str, np.ndarray]:
        """World position [3] (m) of each of the task's tracked objects now: how far an unsuccessful evaluation
        episode got (`EpisodeResult.lifted`, `.reached`; its `EpisodeTrace`)."""
        self._require()
        return {name: np.asarray(self._task.actors[name].pose.p, dtype=np.float64) for name in self._task.tracked}

    @property
    def success(self) -> bool:
        """Whether the goal held at any physics step since the reset (RoboTwin's `eval_success`)."""
        self._require()
        return self._latch.success

    def run_expert(self, hooks: Sequence[StepHook] = ()) -> ExpertRun:
        """Let the task's scripted expert play from the current reset, calling `hooks` after every physics
        step. Success is RoboTwin's expert rule: no planning failure and the check true at the end.
        Returns its commands per control step, sampled by the recorder's rule (`CommandLog`)."""
        sim = self._require()
        log = CommandLog(sim, self.config.record_every)
        added = [log, *hooks]
        sim.step_hooks.remove(self._latch)  # the expert's success is judged at its end, not latched
        sim.step_hooks.extend(added)
        failure = ""
        try:
            self._task.play_once()
        except PlanningError as exc:
            failure = str(exc)
        finally:
            for hook in added:
                sim.step_hooks.remove(hook)
            sim.step_hooks.append(self._latch)
        success = not failure and self._task.check_success()
        task, setting, seed = self.episode
        return ExpertRun(task=task, setting=setting, seed=seed, success=bool(success), actions=log.actions(),
                         failure=failure or ("" if success else "expert finished, success check false"))

    def replay(self, actions: np.ndarray) -> Replay:
        """Execute recorded `actions` [T, D] one per control step from the current reset.

        Why: the proof that recording and execution share one control law; replaying an episode's own
        actions must retrace its recorded `qpos` and succeed where it succeeded.
        """
        qpos = [self._require().robot.qpos()]
        for action in actions:
            qpos.append(self.step(action).qpos)
        return Replay(qpos=np.stack(qpos[:len(actions)]), success=self.success)

    # -- geometry (Stage II rewards, adapters) -------------------------------------------------
    def camera_geometry(self) -> tuple[np.ndarray, np.ndarray]:
        """(intrinsics [V, 3, 3] at the rendered image size, world-to-camera extrinsics [V, 4, 4], OpenCV
        convention, cameras in CAMERA_NAMES order) as the recorder stores them; wrist cameras move."""
        sim = self._require()
        return sim.cameras.intrinsics(), sim.cameras.extrinsics()

    def tcp_targets(self, action: np.ndarray, action_space: str = "joints") -> np.ndarray:
        """World TCP positions [arms, 3] (ARMS order) where `action` [16] sends each gripper: forward kinematics of
        its joint targets, or a TCP-space action's own positions."""
        sim = self._require()
        action = np.asarray(action, dtype=np.float64)
        if action_space == "tcp":
            return np.stack([action[TCP_LAYOUT[f"{name}_pose"]][:3] for name in sim.robot.arms])
        return np.stack([arm.tcp_pose_at(action[ACTION_LAYOUT[f"{name}_arm"]]).p
                         for name, arm in sim.robot.arms.items()])

    def close(self) -> None:
        self._sim = self._task = self._control = self._latch = None
        self.episode = None
