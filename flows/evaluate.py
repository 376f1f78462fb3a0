"""The `evaluate` flow: closed-loop success rates of AIM checkpoints in the simulator, with reference rows.

Thin by design: each (task, setting) is one Prefect task calling `aim_core.eval.evaluate_pair`
(expert-solvable seeds, then every policy on each); the flow writes the success table (CSV,
markdown, bar chart) and publishes it, the per-pair seeds and the video paths as artifacts.

    prefect deployment run evaluate/evaluate --param checkpoint=runs/tiny/checkpoints/step-000200 \
        --param tasks='["place_shoe"]' --param episodes=10
"""
from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_progress_artifact, create_table_artifact, update_progress_artifact
from prefect.cache_policies import NO_CACHE

from aim_core.eval.evaluate import (EVAL_SEED_START, EvalConfig, PairOutcome, aim_policies, checkpoint_sim_config,
                                    evaluate_pair, with_references, write_outcome)
from aim_core.eval.report import summary_rates
from aim_core.inference.policy import PolicyConfig
from data_schemas.spec import Setting
from pipeline.sim.config import SimConfig


@task(name="evaluate-task-setting", cache_policy=NO_CACHE)
def evaluate_task_setting(config: EvalConfig, task_name: str, setting: str, checkpoints: dict[str, str],
                          policy_config: PolicyConfig) -> PairOutcome:
    policies = with_references(config, aim_policies(checkpoints, config, policy_config))
    return evaluate_pair(config, task_name, setting, policies)


@flow(name="evaluate", description=__doc__.splitlines()[0])
def evaluate(
    tasks: list[str],
    out_dir: str,
    checkpoint: str | None = None,
    extra_checkpoints: dict[str, str] | None = None,
    settings: list[Setting] = ["easy", "hard"],  # noqa: B006 - Prefect parameters are copied per run
    episodes: int = EvalConfig.episodes,
    seed_start: int = EVAL_SEED_START,
    step_limit_factor: float | None = None,
    instruction_type: str = EvalConfig.instruction_type,
    videos: int = EvalConfig.videos,
    reference_policies: bool = True,
    sampling_steps: int | None = None,
    image_size: tuple[int, int] | None = None,
    record_every: int | None = None,
) -> dict:
    """Success rates per task and setting of `checkpoint` (row "aim") and `extra_checkpoints` (named rows).

    RoboTwin 2.0's protocol (`aim_core.eval.evaluate`): `episodes` expert-solvable seeds from `seed_start`,
    each task's RoboTwin step limit unless `step_limit_factor` (x the longest expert episode) is given,
    `instruction_type` instructions. Checkpoints are policy bundles; the world (camera size, control
    period) defaults to the one the first was trained in (its `policy.json`), `sampling_steps` to its
    own denoising steps.
    """
    log = get_run_logger()
    checkpoints = ({"aim": checkpoint} if checkpoint else {}) | dict(extra_checkpoints or {})
    sim = checkpoint_sim_config(next(iter(checkpoints.values()))) if checkpoints else SimConfig()
    sim = sim.with_(image_size=image_size, record_every=record_every)
    config = EvalConfig(tasks=list(tasks), out_dir=out_dir, settings=list(settings), episodes=episodes,
                        seed_start=seed_start, step_limit_factor=step_limit_factor, instruction_type=instruction_type,
                        videos=videos, reference_policies=reference_policies, sim=sim)
    policy_config = PolicyConfig(num_inference_steps=sampling_steps)
    if not checkpoints and not reference_policies:
        raise ValueError("nothing to evaluate: give a checkpoint or keep reference_policies=True")
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    progress = create_progress_artifact(0.0, key="evaluate-progress", description=f"(task, setting) pairs -> {out_dir}")
    pairs: dict[str, PairOutcome] = {}
    todo = [(t, s) for t in config.tasks for s in config.settings]
    for done, (task_name, setting) in enumerate(todo, start=1):
        pairs[f"{task_name}/{setting}"] = evaluate_task_setting.with_options(
            task_run_name=f"evaluate-{task_name}-{setting}")(config, task_name, setting, checkpoints, policy_config)
        update_progress_artifact(progress, 100.0 * done / len(todo), description=f"{done}/{len(todo)} pairs done")
        log.info("%s/%s done", task_name, setting)
    outcome = write_outcome(config, pairs)
    summary = summary_rates(outcome.results)
    create_table_artifact([{"policy": p, **{k: round(100 * v, 1) for k, v in row.items()}} for p, row in summary.items()],
                          key="evaluate-summary", description="Success rate (%) per setting, mean over tasks")
    create_markdown_artifact(
        outcome.reports.markdown.read_text() + "\n\nFiles: " + ", ".join(
            f"`{p}`" for p in (outcome.reports.csv, outcome.reports.chart, *outcome.videos)),
        key="evaluate-report", description=f"Success rates: {out_dir}")
    return {"summary": summary, "csv": str(outcome.reports.csv), "markdown": str(outcome.reports.markdown),
            "chart": str(outcome.reports.chart), "videos": [str(v) for v in outcome.videos]}
