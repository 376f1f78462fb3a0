"""The `train-stage2` flow: check inputs -> GRPO on the action head in the simulator -> curves.

Thin by design: each task calls one library function (`aim_core.training.stage2` with the simulator
rollout source of `aim_core.eval.grpo_rollouts`). The flow adds what a person running it needs:
every input checked before any rollout (a checkpoint without a value stream, unknown tasks, G < 2),
a progress artifact updated every iteration, the reward and success curves as a table and a PNG,
and the final policy bundle as the result (`evaluate` takes it unchanged). Rerunning with
`resume=True` continues from the newest checkpoint in `out_dir`.

    prefect deployment run train-stage2/train-stage2 --param checkpoint=runs/stage1/checkpoints/step-003000 \
        --param tasks='["click_bell"]' --param out_dir=runs/stage2 --param iterations=20
"""
from __future__ import annotations

import base64

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_progress_artifact, create_table_artifact, update_progress_artifact
from prefect.cache_policies import NO_CACHE

from aim_core.eval.grpo_rollouts import SimRolloutSource, sim_source
from aim_core.training.grpo import GRPOHyper
from aim_core.training import stage2 as stage2_lib
from aim_core.training.stage2 import Stage2Config, check_stage2_inputs, curve_png, read_stage2_metrics
from data_schemas.spec import Setting

DEFAULT_OUT_DIR = "runs/stage2"


def _source(config: Stage2Config, workers: int, max_steps: int | None) -> SimRolloutSource:
    return sim_source(config.checkpoint, config.sampling_steps, config.execute_frames, config.sde, workers=workers,
                      max_steps=max_steps)


@task(name="check-stage2-inputs", cache_policy=NO_CACHE)
def check_inputs(config: Stage2Config, workers: int, max_steps: int | None) -> None:
    check_stage2_inputs(config, _source(config, workers, max_steps))


@task(name="grpo", cache_policy=NO_CACHE)
def run_grpo(config: Stage2Config, workers: int, max_steps: int | None, resume: bool) -> dict:
    log = get_run_logger()
    progress = create_progress_artifact(0.0, key="train-stage2-progress", description=f"GRPO iterations -> {config.out_dir}")

    def report(row: dict) -> None:
        update_progress_artifact(progress, 100.0 * row["iteration"] / config.iterations,
                                 description=f"iteration {row['iteration']}/{config.iterations}: success "
                                             f"{row['success']:.2f}, dense {row['dense_mean']:.3f}")
        log.info("iteration %d/%d success %.2f dense %.3f reward %.3f", row["iteration"], config.iterations,
                 row["success"], row["dense_mean"], row["reward_mean"])

    source = _source(config, workers, max_steps)
    try:
        result = stage2_lib.train_stage2(config, source, resume=resume, on_iteration=report)
    finally:
        source.close()
    return {"checkpoint": str(result.checkpoint), "iteration": result.iteration, "stopped": result.stopped}


@task(name="stage2-curve-artifacts", cache_policy=NO_CACHE)
def publish_curves(config: Stage2Config, result: dict) -> None:
    rows = read_stage2_metrics(config.out_dir)
    if not rows:
        return
    columns = ["iteration", "success", "dense_mean", "reward_mean", "episode_steps", "chunks", "loss",
               "ratio_max_dev_first", "clip_fraction", "kl", "rollout_s", "update_s"]
    create_table_artifact([{c: r.get(c) for c in columns} for r in rows], key="train-stage2-curves",
                          description=f"Reward and success per GRPO iteration: {config.out_dir}")
    png = base64.b64encode(curve_png(rows, title=f"Stage II: {', '.join(config.tasks)}")).decode()
    create_markdown_artifact(
        f"## Stage II GRPO: {config.out_dir}\n\n![reward and success](data:image/png;base64,{png})\n\n"
        f"- stopped: **{result['stopped']}** at iteration {result['iteration']}\n"
        f"- checkpoint (policy bundle): `{result['checkpoint']}`\n- from Stage I: `{config.checkpoint}`\n",
        key="train-stage2-report", description="Stage II GRPO report")


@flow(name="train-stage2", description=__doc__.splitlines()[0])
def train_stage2(
    checkpoint: str,
    tasks: list[str],
    out_dir: str = DEFAULT_OUT_DIR,
    settings: list[Setting] = ["easy"],  # noqa: B006 - Prefect parameters are copied per run
    iterations: int = Stage2Config.iterations,
    group_size: int = GRPOHyper.group_size,
    groups_per_iteration: int = Stage2Config.groups_per_iteration,
    lr: float = GRPOHyper.lr,
    clip_eps: float = GRPOHyper.clip_eps,
    kl_coef: float = GRPOHyper.kl_coef,
    lambda_dense: float = GRPOHyper.lambda_dense,
    lambda_sparse: float = GRPOHyper.lambda_sparse,
    updates_per_iteration: int = GRPOHyper.updates_per_iteration,
    noise_level: float = Stage2Config.noise_level,
    sde_steps: list[int] = [0, 1],  # noqa: B006
    sampling_steps: int | None = None,
    execute_frames: int | None = None,
    workers: int = 1,
    max_steps: int | None = None,
    seed: int = Stage2Config.seed,
    seed_start: int = Stage2Config.seed_start,
    checkpoint_every: int = Stage2Config.checkpoint_every,
    max_minutes: float | None = None,
    resume: bool = True,
) -> str:
    """GRPO post-training of the Stage I bundle `checkpoint` on `tasks`; returns the final policy bundle."""
    hyper = GRPOHyper(group_size=group_size, clip_eps=clip_eps, kl_coef=kl_coef, lr=lr, lambda_dense=lambda_dense,
                      lambda_sparse=lambda_sparse, updates_per_iteration=updates_per_iteration)
    config = Stage2Config(checkpoint=checkpoint, out_dir=out_dir, tasks=list(tasks), settings=list(settings),
                          iterations=iterations, groups_per_iteration=groups_per_iteration, seed=seed,
                          seed_start=seed_start, sampling_steps=sampling_steps, noise_level=noise_level,
                          sde_steps=tuple(sde_steps), execute_frames=execute_frames, grpo=hyper,
                          checkpoint_every=checkpoint_every, max_minutes=max_minutes)
    check_inputs(config, workers, max_steps)
    result = run_grpo(config, workers, max_steps, resume)
    publish_curves(config, result)
    return result["checkpoint"]
