"""Closed-loop evaluation, RoboTwin protocol: N episodes per task and setting on seeds the expert solves.

For every (task, setting) the scripted expert is run (without rendering) on successive seeds from
`seed_start` until `episodes` of them succeed; those are the evaluation seeds. The step limit of a
task is `step_limit_factor` x its longest expert episode. Each policy (AIM from a checkpoint, and
as reference rows the expert replayed and the trivial hold policy) then runs every evaluation
seed; the success table goes to CSV / markdown / PNG and the first episodes of each policy are
saved as videos (AIM's with its predicted value maps).
"""
from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from aim_core.eval.episode import run_episode
from aim_core.eval.policies import HoldPolicy, Policy, ReplayPolicy
from aim_core.eval.report import EpisodeResult, ReportPaths, write_reports
from aim_core.eval.sim_env import ExpertRun, SimulatorEnv
from aim_core.eval.video import EpisodeVideo
from aim_core.inference.bundle import PolicySpec, check_bundle
from aim_core.inference.policy import AIMPolicy, PolicyConfig
from data_schemas import SETTINGS
from pipeline.record.rollout import RolloutConfig
from pipeline.tasks import get_task

EVAL_SEED_START = 100_000
"""Evaluation seeds start here, far from the generation seeds (0, 1, 2, ...)."""

PolicyFactory = Callable[[ExpertRun], Policy]
"""Builds the policy for one evaluation episode (the expert's run is there for the replay row)."""


@dataclass
class EvalConfig:
    """What to evaluate: tasks x settings x episodes, the protocol's limits and the outputs."""

    tasks: list[str]
    out_dir: str
    settings: list[str] = field(default_factory=lambda: list(SETTINGS))
    episodes: int = 10
    seed_start: int = EVAL_SEED_START
    max_seed_tries: int | None = None
    """Expert attempts per (task, setting) to find `episodes` solvable seeds (default 3 x episodes)."""
    step_limit_factor: float = 1.5
    videos: int = 1
    """Episodes per policy, task and setting saved as MP4."""
    reference_policies: bool = True
    """Add the expert (replayed) and the trivial hold policy as reference rows."""
    image_size: tuple[int, int] = (240, 320)
    record_every: int = 15
    physics_rate_hz: float = 250.0

    def __post_init__(self) -> None:
        self.image_size = tuple(self.image_size)
        problems = []
        if not self.tasks:
            problems.append("no tasks selected")
        for task in self.tasks:
            try:
                get_task(task)
            except KeyError as exc:
                problems.append(str(exc.args[0]))
        if not self.settings or set(self.settings) - set(SETTINGS):
            problems.append(f"settings must be a non-empty subset of {list(SETTINGS)}, got {self.settings}")
        if self.episodes < 1:
            problems.append(f"episodes must be >= 1, got {self.episodes}")
        if self.step_limit_factor <= 0:
            problems.append(f"step_limit_factor must be > 0, got {self.step_limit_factor}")
        if problems:
            raise ValueError("invalid evaluation config: " + "; ".join(problems))

    def rollout_config(self) -> RolloutConfig:
        return RolloutConfig(image_size=self.image_size, physics_rate_hz=self.physics_rate_hz,
                             record_every=self.record_every, segmentation=False)


@dataclass
class EvalOutcome:
    results: list[EpisodeResult]
    reports: ReportPaths
    videos: list[Path]
    seeds: dict[str, list[int]]
    """"task/setting" -> evaluation seeds."""


def solvable_seeds(env: SimulatorEnv, task: str, setting: str, count: int, seed_start: int,
                   max_tries: int) -> list[ExpertRun]:
    """The first `count` seeds from `seed_start` the expert solves (RoboTwin's evaluation seeds)."""
    found: list[ExpertRun] = []
    for seed in range(seed_start, seed_start + max_tries):
        run = env.run_expert(task, setting, seed)
        if run.success:
            found.append(run)
            if len(found) == count:
                break
    if not found:
        raise RuntimeError(f"the expert solved none of seeds {seed_start}..{seed_start + max_tries - 1} of "
                           f"{task}/{setting}; raise max_seed_tries or check the task")
    return found


def reference_policies() -> dict[str, PolicyFactory]:
    return {"expert": lambda run: ReplayPolicy(run.actions), "hold": lambda run: HoldPolicy()}


@dataclass
class PairOutcome:
    """Results of one (task, setting): its evaluation seeds, step limit, episodes and videos."""

    seeds: list[int]
    step_limit: int
    results: list[EpisodeResult]
    videos: list[Path]


def evaluate_pair(config: EvalConfig, task: str, setting: str, policies: dict[str, PolicyFactory],
                  env: SimulatorEnv | None = None, on_episode: Callable[[EpisodeResult], None] | None = None
                  ) -> PairOutcome:
    """Find the evaluation seeds of (task, setting) and run every policy on each of them."""
    env = env or SimulatorEnv(config.rollout_config())
    tries = config.max_seed_tries or 3 * config.episodes
    runs = solvable_seeds(env, task, setting, config.episodes, config.seed_start, tries)
    limit = math.ceil(config.step_limit_factor * max(r.steps for r in runs))
    results: list[EpisodeResult] = []
    videos: list[Path] = []
    for name, factory in policies.items():
        for index, run in enumerate(runs):
            video = EpisodeVideo() if index < config.videos else None
            result = run_episode(env, factory(run), task, setting, run.seed, limit, video)
            result = EpisodeResult(**{**asdict(result), "policy": name})
            results.append(result)
            if video is not None:
                videos.append(video.save(Path(config.out_dir) / "videos" / f"{name}-{task}-{setting}-{run.seed}.mp4"))
            if on_episode is not None:
                on_episode(result)
    return PairOutcome(seeds=[r.seed for r in runs], step_limit=limit, results=results, videos=videos)


def with_references(config: EvalConfig, policies: dict[str, PolicyFactory]) -> dict[str, PolicyFactory]:
    """The policies to run: the given ones plus, if enabled, the expert and hold reference rows."""
    if config.reference_policies:
        policies = {**policies, **reference_policies()}
    if not policies:
        raise ValueError("no policy to evaluate: give a checkpoint or enable the reference policies")
    return policies


def write_outcome(config: EvalConfig, pairs: dict[str, PairOutcome]) -> EvalOutcome:
    """Success tables (CSV, markdown, PNG), episodes.json and seeds.json of a finished evaluation."""
    out = Path(config.out_dir)
    results = [r for p in pairs.values() for r in p.results]
    reports = write_reports(results, out)
    (out / "episodes.json").write_text(json.dumps([asdict(r) for r in results], indent=1))
    seeds = {key: p.seeds for key, p in pairs.items()}
    (out / "seeds.json").write_text(json.dumps(
        {key: {"seeds": p.seeds, "step_limit": p.step_limit} for key, p in pairs.items()}, indent=1))
    return EvalOutcome(results=results, reports=reports, videos=[v for p in pairs.values() for v in p.videos],
                       seeds=seeds)


def evaluate_policies(config: EvalConfig, policies: dict[str, PolicyFactory]) -> EvalOutcome:
    """Run every policy on the evaluation seeds of every task and setting; write tables and videos."""
    policies = with_references(config, policies)
    Path(config.out_dir).mkdir(parents=True, exist_ok=True)
    env = SimulatorEnv(config.rollout_config())
    pairs: dict[str, PairOutcome] = {}
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns) as progress:
        bar = progress.add_task("evaluate", total=len(config.tasks) * len(config.settings) * config.episodes
                                * len(policies))
        for task in config.tasks:
            for setting in config.settings:
                progress.update(bar, description=f"{task}/{setting}")
                pairs[f"{task}/{setting}"] = evaluate_pair(config, task, setting, policies, env,
                                                           on_episode=lambda r: progress.advance(bar))
    env.close()
    return write_outcome(config, pairs)


def aim_policies(checkpoints: dict[str, str | Path], config: EvalConfig,
                 policy_config: PolicyConfig = PolicyConfig()) -> dict[str, PolicyFactory]:
    """One AIM policy per named policy bundle (loaded once, reset by every episode)."""
    policies: dict[str, PolicyFactory] = {}
    for name, checkpoint in checkpoints.items():
        policy = AIMPolicy.from_pretrained(checkpoint, policy_config, name=name)
        trained_size = policy.spec.image_size
        if policy.camera_hw is None and trained_size != config.image_size:
            raise ValueError(f"checkpoint {checkpoint} was trained on {trained_size} images without resizing; "
                             "evaluate with that image_size")
        policies[name] = lambda run, p=policy: p
    return policies


def checkpoint_env_settings(checkpoint: str | Path) -> dict:
    """Camera size and control rate the bundle's training data was recorded with (its `policy.json`)."""
    return PolicySpec.load(check_bundle(checkpoint)).control_settings


def evaluate_checkpoints(checkpoints: dict[str, str | Path], config: EvalConfig,
                         policy_config: PolicyConfig = PolicyConfig()) -> EvalOutcome:
    """Evaluate Stage I checkpoints (row name -> checkpoint folder), plus the reference rows."""
    return evaluate_policies(config, aim_policies(checkpoints, config, policy_config))
