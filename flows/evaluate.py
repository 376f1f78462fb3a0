"""The `evaluate` flow: closed-loop success rates of AIM checkpoints (and RoboTwin policy folders), with reference rows.

Thin by design: the bundles are loaded (and, with `workers`, the worker processes started) once per
run; each (task, setting) is one Prefect task calling `aim_core.eval.evaluate_pair`
(expert-solvable seeds, then every policy on each); the flow writes the success table (CSV,
markdown, bar chart) and publishes it, frames and the trace plot of one episode per policy, the per-pair seeds and
the video and trace paths as artifacts.

    prefect deployment run evaluate/evaluate --param checkpoint=runs/tiny/checkpoints/step-000200 \
        --param tasks='["place_shoe"]' --param episodes=10
    prefect deployment run evaluate/evaluate --param robotwin_policy=policies/aim \
        --param policy_args='{"checkpoint": "runs/tiny/checkpoints/step-000200"}' --param tasks='["click_bell"]'
"""
from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from aim_core.eval.evaluate import (EVAL_SEED_START, EvalConfig, PairOutcome, RowRunner, checkpoint_rows,
                                    checkpoint_sim_config, evaluate_pair, reference_policies as reference_rows,
                                    worker_pool, write_outcome)
from aim_core.eval.report import png_data_uri, summary_rates, trace_sections, video_sections
from aim_core.eval.robotwin import PolicyFolder, load_policy_folder, refuse_workers, robotwin_row
from aim_core.inference.policy import PolicyConfig
from data_schemas.spec import Setting
from pipeline.sim.config import SimConfig

from flows.progress import StepProgress, record_parameters


@task(name="evaluate-task-setting", cache_policy=NO_CACHE)
def evaluate_task_setting(config: EvalConfig, task_name: str, setting: str, rows: dict[str, RowRunner],
                          folder: PolicyFolder | None = None, on_episode=None,
                          pool: ProcessPoolExecutor | None = None) -> PairOutcome:
    if folder is not None:
        rows = {**robotwin_row(config, folder, task_name, setting), **rows}
    return evaluate_pair(config, task_name, setting, rows, on_episode=on_episode, pool=pool)


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
    execute_frames: int | None = PolicyConfig.execute_frames,
    chunk_samples: int = PolicyConfig.chunk_samples,
    temporal_ensemble: float | None = PolicyConfig.temporal_ensemble,
    image_size: tuple[int, int] | None = None,
    record_every: int | None = None,
    robotwin_policy: str | None = None,
    policy_args: dict[str, Any] | None = None,
    workers: int = EvalConfig.workers,
) -> dict:
    """Success rates per task and setting of `checkpoint` (row "aim") and `extra_checkpoints` (named rows).

    RoboTwin 2.0's protocol (`aim_core.eval.evaluate`): `episodes` expert-solvable seeds from `seed_start`,
    each task's RoboTwin step limit unless `step_limit_factor` (x the longest expert episode) is given,
    `instruction_type` instructions. Checkpoints are policy bundles; the world (camera size, control
    period) defaults to the one the first was trained in (its `policy.json`), `sampling_steps` to its
    own denoising steps. Progress per episode with an ETA is the `evaluate-progress` artifact.

    Args:
        tasks: Task names to evaluate.
        out_dir: Folder for success.csv / success.md / success.png, episodes.json, seeds.json, videos/ and traces/.
        checkpoint: Policy bundle (a Stage I or II checkpoint folder) shown as row "aim"; empty: none.
        extra_checkpoints: More bundles as {row name: folder}, e.g. {"aim-stage2": "runs/stage2/..."}.
        settings: easy (clean) and/or hard (domain randomised).
        episodes: Evaluation episodes per task and setting (expert-solvable seeds; RoboTwin uses 100).
        seed_start: First seed tried (unsolvable seeds are skipped).
        step_limit_factor: Step limit as this factor x the longest expert episode; null: the task's
            RoboTwin step limit.
        instruction_type: seen or unseen instruction templates (RoboTwin evaluates on unseen).
        videos: Episodes per policy, task and setting saved as MP4 and as a trace (.npz and plot; the report shows
            frames and the trace of the first).
        reference_policies: Add the reference rows "expert" (the scripted expert's recorded actions
            replayed: a ceiling) and "hold" (keeps the start posture: a floor).
        sampling_steps: Denoising steps of the AIM policies; null: each bundle's own.
        execute_frames: Latent frames of each chunk the AIM policies execute before planning again; null: the
            whole chunk (1 with temporal_ensemble).
        chunk_samples: Chunks each AIM policy samples per plan (one batch) and averages; 1: a single draw.
        temporal_ensemble: ACT's temporal ensembling coefficient (e.g. 0.01): plan every latent frame and execute
            each step's weighted mean over the chunks that predict it; null: each chunk executed whole.
        image_size: Camera size [H, W]; null: what the first checkpoint was trained on.
        record_every: Physics steps per control step; null: what the first checkpoint was trained on.
        robotwin_policy: A RoboTwin policy folder (deploy_policy.py + deploy_policy.yml, e.g. policies/aim)
            evaluated as one more row, named after the folder, under the same protocol; empty: none.
        policy_args: deploy_policy.yml values to override for `robotwin_policy`, e.g. {"checkpoint": "..."}.
        workers: Processes playing the episodes, started once for the run, each with its own simulator and
            policy copies (checkpoints and reference rows; not with `robotwin_policy`); 1: the flow's own.
    """
    effective = dict(locals())
    log = get_run_logger()
    checkpoints = ({"aim": checkpoint} if checkpoint else {}) | dict(extra_checkpoints or {})
    sim = checkpoint_sim_config(next(iter(checkpoints.values()))) if checkpoints else SimConfig()
    sim = sim.with_(image_size=image_size, record_every=record_every)
    config = EvalConfig(tasks=list(tasks), out_dir=out_dir, settings=list(settings), episodes=episodes,
                        seed_start=seed_start, step_limit_factor=step_limit_factor, instruction_type=instruction_type,
                        videos=videos, reference_policies=reference_policies, sim=sim, workers=workers)
    policy_config = PolicyConfig(num_inference_steps=sampling_steps, execute_frames=execute_frames,
                                 chunk_samples=chunk_samples, temporal_ensemble=temporal_ensemble)
    if not checkpoints and not reference_policies and not robotwin_policy:
        raise ValueError("nothing to evaluate: give a checkpoint or a robotwin_policy, or keep reference_policies=True")
    if robotwin_policy:
        refuse_workers(config)
    folder = load_policy_folder(robotwin_policy, policy_args) if robotwin_policy else None
    if folder is not None and folder.name in checkpoints | reference_rows():
        raise ValueError(f"robotwin_policy folder {folder.path} has the name of another row ({folder.name}); "
                         "rename the folder or that row")
    effective = record_parameters("evaluate", effective, notes={
        "image_size": f"null = the checkpoint's: {list(sim.image_size)}" if image_size is None else "",
        "record_every": f"null = the checkpoint's: {sim.record_every}" if record_every is None else "",
        "sampling_steps": "null = each bundle's own" if sampling_steps is None else "",
        "step_limit_factor": "null = each task's RoboTwin step limit" if step_limit_factor is None else ""})
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    rows = len(checkpoints) + (folder is not None) + (2 if reference_policies else 0)
    todo = [(t, s) for t in config.tasks for s in config.settings]
    progress = StepProgress("evaluate-progress", f"evaluation episodes -> {out_dir}",
                            len(todo) * config.episodes * rows, unit="episodes")
    pairs: dict[str, PairOutcome] = {}
    finished: list[int] = [0]

    def on_episode(result) -> None:
        finished[0] += 1
        progress.update(finished[0], f"{result.policy} {result.task}/{result.setting} seed {result.seed}: "
                                     f"{'success' if result.success else 'failure'}", force=True)  # one line each

    # the bundles are loaded once, and worker processes (which hold their own copies) started once per run
    rows = checkpoint_rows(checkpoints, config, policy_config) if checkpoints or reference_policies else {}
    try:
        with worker_pool(checkpoints, config, policy_config) as pool:
            for task_name, setting in todo:
                pairs[f"{task_name}/{setting}"] = evaluate_task_setting.with_options(
                    task_run_name=f"evaluate-{task_name}-{setting}")(config, task_name, setting, rows, folder,
                                                                      on_episode, pool)
                log.info("%s/%s done", task_name, setting)
    except BaseException as exc:
        progress.finish(f"failed: {type(exc).__name__}: {exc}")
        raise
    progress.finish("every policy evaluated on every pair")
    outcome = write_outcome(config, pairs, policy_config if checkpoints else None)
    summary = summary_rates(outcome.results)
    create_table_artifact([{"policy": p, **{k: round(100 * v, 1) for k, v in row.items()}} for p, row in summary.items()],
                          key="evaluate-summary", description="Success rate (%) per setting, mean over tasks")
    create_markdown_artifact(
        f"# Evaluation: `{out_dir}`\n\n![success rate per task, policy and setting]"
        f"({png_data_uri(outcome.reports.chart)})\n\n" + outcome.reports.markdown.read_text()
        + "\n" + video_sections(outcome.videos) + "\n" + trace_sections(outcome.traces) + "\n\nFiles: " + ", ".join(
            f"`{p}`" for p in (outcome.reports.csv, outcome.reports.chart, *outcome.videos, *outcome.traces)),
        key="evaluate-report", description=f"Success rates: {out_dir}")
    return {"summary": summary, "csv": str(outcome.reports.csv), "markdown": str(outcome.reports.markdown),
            "chart": str(outcome.reports.chart), "videos": [str(v) for v in outcome.videos],
            "traces": [str(t) for t in outcome.traces], "parameters": effective}
