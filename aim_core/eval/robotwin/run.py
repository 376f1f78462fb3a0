"""Evaluate a RoboTwin policy folder under our RoboTwin protocol, the way RoboTwin's `script/eval_policy.py` runs it.

Per (task, setting): the evaluation seeds the expert solves (`solvable_seeds`, the same seeds and step
limit `aim-eval` uses for checkpoints), `get_model(usr_args)` once (a RoboTwin run is one task and task
config), then per seed a fresh evaluation build of the scene, `reset_model(model)`, and
`obs = TASK_ENV.get_obs(); eval(TASK_ENV, model, obs)` until `TASK_ENV.eval_success` or
`take_action_cnt >= step_lim`. The reference rows (expert replayed, hold) run on the same seeds. The
results go through `aim-eval`'s report writers (success table with the protocol line, episodes.json,
seeds.json, videos) with the folder's name as the row.

A policy that raises (in get_model, reset_model or eval), passes a bad action or stops taking actions ->
`PolicyError` naming the episode (task/setting/seed, step); the episodes finished before it are written
to the output folder first.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any


from aim_core.eval.episode import PolicyError
from aim_core.eval.evaluate import EVAL_SEED_START, EvalConfig, EvalOutcome, RowRunner, evaluate_rows, with_references
from aim_core.eval.report import EpisodeResult
from aim_core.eval.robotwin.folder import PolicyFolder, load_policy_folder
from aim_core.eval.robotwin.task_env import ActionError, RoboTwinTaskEnv
from aim_core.eval.video import EpisodeVideo
from pipeline.sim.task_env import TaskEnv

MAX_IDLE_EVAL_CALLS = 10
"""Consecutive `eval` calls that take no action before the episode is stopped as a policy error
(RoboTwin's loop would spin forever)."""


def robotwin_seed(seed_start: int) -> int:
    """RoboTwin's `--seed` s for a first evaluation seed 100000 * (1 + s) (usr_args['seed']); a seed start
    of another form is passed as it is."""
    if seed_start >= EVAL_SEED_START and seed_start % EVAL_SEED_START == 0:
        return seed_start // EVAL_SEED_START - 1
    return seed_start


def run_robotwin_episode(env: TaskEnv, folder: PolicyFolder, model: Any, step_lim: int,
                         video: EpisodeVideo | None = None) -> EpisodeResult:
    """One episode of RoboTwin's loop on `env` (already reset to it); see the module docstring."""
    task, setting, seed = env.episode
    task_env = RoboTwinTaskEnv(env, step_lim, video)
    where = f"{folder.name} on {task}/{setting} seed {seed}"
    start = time.perf_counter()
    try:
        folder.reset_model(model)
    except Exception as exc:  # noqa: BLE001 - a policy failure ends the run with its episode named
        raise PolicyError(f"{where}, step 0: reset_model raised {type(exc).__name__}: {exc}") from exc
    idle = 0
    while task_env.take_action_cnt < task_env.step_lim:
        observation = task_env.get_obs()
        before = task_env.take_action_cnt
        try:
            folder.eval(task_env, model, observation)
        except ActionError as exc:
            raise PolicyError(f"{where}, step {task_env.take_action_cnt}: {exc}") from exc
        except Exception as exc:  # noqa: BLE001
            raise PolicyError(f"{where}, step {task_env.take_action_cnt}: eval raised "
                              f"{type(exc).__name__}: {exc}") from exc
        if task_env.eval_success:
            break
        idle = idle + 1 if task_env.take_action_cnt == before else 0
        if idle >= MAX_IDLE_EVAL_CALLS:
            raise PolicyError(f"{where}, step {task_env.take_action_cnt}: eval returned {idle} times in a row "
                              "without calling TASK_ENV.take_action")
    task_env.finish_video()
    return EpisodeResult(policy=folder.name, task=task, setting=setting, seed=seed, success=env.success,
                         steps=env.steps, wall_s=time.perf_counter() - start)


def robotwin_row(config: EvalConfig, folder: PolicyFolder, task: str, setting: str) -> dict[str, RowRunner]:
    """The folder's row for (task, setting): `get_model` once, as one RoboTwin run, then an episode per seed.
    Also how the `evaluate` flow puts a RoboTwin folder beside checkpoints."""
    try:
        model = folder.get_model(folder.usr_args(task, setting, robotwin_seed(config.seed_start),
                                                 config.instruction_type))
    except Exception as exc:  # noqa: BLE001
        raise PolicyError(f"{folder.name} on {task}/{setting}: get_model raised {type(exc).__name__}: {exc}") from exc
    return {folder.name: lambda env, run, limit, video: run_robotwin_episode(env, folder, model, limit, video)}


def refuse_workers(config: EvalConfig) -> None:
    """A RoboTwin policy folder runs in the evaluating process (its model is built per task and setting
    by the folder's own code), so `config.workers` must be 1."""
    if config.workers != 1:
        raise ValueError(f"a RoboTwin policy folder is evaluated in one process; drop workers={config.workers} "
                         "(parallel workers are for policy bundles)")


def evaluate_robotwin_policy(config: EvalConfig, folder: str | Path | PolicyFolder,
                             overrides: dict[str, Any] | None = None) -> EvalOutcome:
    """Evaluate a RoboTwin policy folder (and, if enabled, the reference rows) on every task and setting of
    `config`; write the tables. On a `PolicyError` the finished episodes are written, then it is raised
    with the output folder named."""
    refuse_workers(config)
    if not isinstance(folder, PolicyFolder):
        folder = load_policy_folder(folder, overrides)
    references = with_references(config, {}) if config.reference_policies else {}
    if folder.name in references:
        raise ValueError(f"policy folder {folder.path} has the name of a reference row ({folder.name}); rename the "
                         "folder or leave the reference rows out")
    return evaluate_rows(config, lambda task, setting: {**robotwin_row(config, folder, task, setting), **references},
                         1 + len(references))
