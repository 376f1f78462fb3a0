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
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from aim_core.eval.grpo_rollouts import SimRolloutSource, sim_source
from aim_core.training.grpo import GRPOHyper
from aim_core.training import stage2 as stage2_lib
from aim_core.training.stage2 import Stage2Config, check_stage2_inputs, curve_png, read_stage2_metrics
from data_schemas.spec import Setting

from flows.progress import StepProgress, record_parameters

DEFAULT_OUT_DIR = "runs/stage2"


def _source(config: Stage2Config, workers: int, max_steps: int | None) -> SimRolloutSource:
    return sim_source(config.checkpoint, config.sampling_steps, config.execute_frames, config.sde, workers=workers,
                      max_steps=max_steps)


@task(name="check-stage2-inputs", cache_policy=NO_CACHE)
def check_inputs(config: Stage2Config, workers: int, max_steps: int | None) -> None:
    check_stage2_inputs(config, _source(config, workers, max_steps))


STOP_REASONS = {"completed": "completed: every iteration trained",
                "time_budget": "stopped by the time budget (max_minutes={minutes}) before iteration {iterations}; "
                               "rerun with a larger max_minutes (or null) and resume=true to continue"}


def stop_reason(stopped: str, config: Stage2Config) -> str:
    return STOP_REASONS.get(stopped, stopped).format(minutes=config.max_minutes, iterations=config.iterations)


@task(name="grpo", cache_policy=NO_CACHE)
def run_grpo(config: Stage2Config, workers: int, max_steps: int | None, resume: bool) -> dict:
    budget_s = None if config.max_minutes is None else 60.0 * config.max_minutes
    progress = StepProgress("train-stage2-progress", f"GRPO -> {config.out_dir}", config.iterations,
                            unit="iterations", budget_s=budget_s, log_every_s=0.0)
    first: list[int] = []

    def report(row: dict) -> None:
        if not first:  # a resumed run starts counting where it resumed
            first.append(row["iteration"])
            progress.start_from(row["iteration"] - 1)
        progress.update(row["iteration"], f"success {row['success']:.2f}, dense {row['dense_mean']:.3f}, "
                                          f"reward {row['reward_mean']:.3f}")

    source = _source(config, workers, max_steps)
    try:
        result = stage2_lib.train_stage2(config, source, resume=resume, on_iteration=report)
    except BaseException as exc:
        progress.finish(f"failed: {type(exc).__name__}: {exc}")
        raise
    finally:
        source.close()
    progress.finish(stop_reason(result.stopped, config), done=result.iteration)
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
        f"- ended at iteration **{result['iteration']} of {config.iterations}**: "
        f"{stop_reason(result['stopped'], config)}\n"
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
    """GRPO post-training of the Stage I bundle `checkpoint` on `tasks`; returns the final policy bundle.

    Only the action head trains; the video and value streams stay frozen. Each iteration plays
    `groups_per_iteration` groups of `group_size` episodes in the simulator with a stochastic action
    sampler, then updates the head. Progress with an ETA is the `train-stage2-progress` artifact.

    Args:
        checkpoint: Stage I policy bundle (checkpoints/step-NNNNNN of a train-stage1 run, variant aim).
        tasks: Task names to post-train on.
        out_dir: Run folder: checkpoints/ (policy bundles) and the per-iteration metrics.
        settings: easy and/or hard.
        iterations: GRPO iterations (the run may stop earlier at `max_minutes`).
        group_size: Episodes per group (same seed, different action noise); at least 2.
        groups_per_iteration: Groups (seeds) per iteration.
        lr: Learning rate of the action head.
        clip_eps: PPO-style ratio clipping.
        kl_coef: Weight of the KL penalty to the Stage I head.
        lambda_dense: Weight of the dense value-map reward.
        lambda_sparse: Weight of the sparse task-success reward.
        updates_per_iteration: Gradient updates per batch of rollouts.
        noise_level: Noise of the stochastic (SDE) action sampler.
        sde_steps: Denoising steps that sample stochastically (the others are deterministic).
        sampling_steps: Denoising steps per chunk; null: the bundle's own.
        execute_frames: Latent frames executed per chunk before replanning; null: the bundle's own.
        workers: Simulator processes playing episodes in parallel.
        max_steps: Control steps per episode at most; null: 1.5 x the expert's episode on the same seed.
        seed: Seed of the action noise and the updates.
        seed_start: First simulator seed of the training episodes (evaluation uses 100000 and up).
        checkpoint_every: Iterations between checkpoints (a final one is always written).
        max_minutes: Wall-clock budget in minutes; when used up the run stops with a checkpoint;
            null: run every iteration.
        resume: Continue from the newest checkpoint in `out_dir` if there is one.
    """
    effective = dict(locals())
    hyper = GRPOHyper(group_size=group_size, clip_eps=clip_eps, kl_coef=kl_coef, lr=lr, lambda_dense=lambda_dense,
                      lambda_sparse=lambda_sparse, updates_per_iteration=updates_per_iteration)
    config = Stage2Config(checkpoint=checkpoint, out_dir=out_dir, tasks=list(tasks), settings=list(settings),
                          iterations=iterations, groups_per_iteration=groups_per_iteration, seed=seed,
                          seed_start=seed_start, sampling_steps=sampling_steps, noise_level=noise_level,
                          sde_steps=tuple(sde_steps), execute_frames=execute_frames, grpo=hyper,
                          checkpoint_every=checkpoint_every, max_minutes=max_minutes)
    record_parameters("train-stage2", effective, notes={
        "sampling_steps": "null = the bundle's own" if sampling_steps is None else "",
        "execute_frames": "null = the bundle's own" if execute_frames is None else "",
        "max_steps": "null = 1.5 x the expert's episode on the same seed" if max_steps is None else "",
        "max_minutes": "null = no budget" if max_minutes is None else ""})
    check_inputs(config, workers, max_steps)
    result = run_grpo(config, workers, max_steps, resume)
    publish_curves(config, result)
    return result["checkpoint"]
