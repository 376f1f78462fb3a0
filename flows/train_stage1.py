"""The `train-stage1` flow: check inputs -> encoders (train a small VAE) -> latent cache -> train -> report.

Thin by design: each task calls one function of `aim_core.training`, which works without Prefect.
The flow adds what a person running a long job needs: every input checked before any GPU time is
spent, without Wan2.2 weights a small Wan VAE trained on the data and
frozen (its reconstruction PSNR as an artifact), the latent cache built once (before the ranks start), training in a child process
(`torchrun` with one rank per GPU), its progress and loss curve as artifacts, and the final
checkpoint path as the result. Rerunning with `resume=True` continues from the newest checkpoint.

    prefect deployment run train-stage1/train-stage1    # quick CPU run: 24 demos, aim-tiny, 48x64, 5 min
    prefect deployment run train-stage1/train-stage1 --param dataset=data/aim-dataset.zarr \
        --param out_dir=runs/small --param model=aim-small --param camera_hw=null --param max_minutes=null \
        --param max_episodes=null --param steps=4000   # scaled up: full-size views, trains until `steps` (use a GPU machine)
"""
from __future__ import annotations

import base64
import io
import json
import time
from pathlib import Path
from typing import Literal

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from aim_core.models.config import Variant
from aim_core.training.checkpoint import latest_checkpoint
from aim_core.training.config import OptimConfig, TrainConfig
from aim_core.training.data_source import encoders_source, prepare_training_data, training_encoders
from aim_core.training.encoders import VAE_REPORT
from aim_core.training.launch import LaunchResult, default_nproc, launch_training
from aim_core.training.metrics_log import read_metrics
from aim_core.training.model_presets import vae_steps
from aim_core.training.preflight import TrainingSelection, preflight
from aim_core.training.vae_training import READABLE_CONTRAST, value_maps_readable
from data_schemas.location import default_dataset
from data_schemas.spec import Setting

from flows.progress import Poller, StepProgress, record_parameters

DEFAULT_OUT_DIR = "runs/stage1"
"""Where a run given no out_dir goes (relative to the serving process's working directory)."""
QUICK_CAMERA_HW = (48, 64)
"""Default view size: small enough that a CPU encodes latents at ~0.1 s per recorded step (measured on a
shared 2-core machine; the recorded 240x320 views cost ~35 s an episode); `camera_hw=null` keeps them."""
QUICK_MAX_EPISODES = 24
"""Default selection: at most this many demonstrations (round-robin over tasks and settings), so a run given
no parameters encodes ~24 episodes (minutes at 48x64), not a whole dataset; `max_episodes=null` takes all."""
QUICK_MAX_MINUTES = 5.0
"""Default training budget: a run given no parameters ends with a checkpoint after this many minutes."""
LOSS_TABLE_ROWS = 100
"""At most this many rows of the loss curve go into the table artifact (evenly subsampled)."""


@task(name="check-training-inputs", cache_policy=NO_CACHE)
def check_inputs(config: TrainConfig) -> TrainingSelection:
    return preflight(config)


@task(name="train-vae", cache_policy=NO_CACHE)
def train_vae(config: TrainConfig) -> dict | None:
    """The run's encoders: Wan2.2's with --pretrained, else a small VAE trained on the run's episodes (once)."""
    log = get_run_logger()
    started = time.monotonic()
    source = encoders_source(config)
    progress: StepProgress | None = None

    def on_step(done: int, loss: float) -> None:
        """Only a VAE that really trains calls this: its progress starts at its first step (the rate from there)."""
        nonlocal progress
        if progress is None:
            progress = StepProgress("train-stage1-vae-progress", f"training the run's VAE in {source}",
                                    vae_steps(config.model, config.vae_steps), done=done)
        else:
            if done > progress.total:  # a further cycle: the value maps decoded as a haze (unreadable_cycles)
                progress.extend(vae_steps(config.model, config.vae_steps))
                log.info("the run's VAE trains a further cycle: its value maps decode without their contact region")
            progress.update(done, f"loss {loss:.4f}")

    log.info("run encoders: loading or building them in %s", source)
    try:
        encoders = training_encoders(config, on_vae_step=on_step)
    except BaseException as exc:
        if progress is not None:
            progress.finish(f"failed: {type(exc).__name__}: {exc}")
        raise
    if progress is not None:
        progress.finish("trained and frozen; latent statistics measured")
    log.info("run encoders ready after %.0f s", time.monotonic() - started)
    report_file = encoders.source / VAE_REPORT
    if not report_file.is_file():
        return None
    report = json.loads(report_file.read_text())
    psnr, share, contrast = report.get("psnr", {}), report.get("value_mass_share", {}), report.get("value_contrast", {})
    readable = value_maps_readable(report)
    if readable is False:
        log.warning("the run's VAE decodes the value maps without their contact region (contrast %s, readable from "
                    "%s): the value stream and the Stage II reward read a haze; train it longer (vae_steps) or with "
                    "another seed", contrast.get("decoded"), READABLE_CONTRAST)
    create_markdown_artifact(
        f"## Run VAE: {encoders.source}\n\n| steps | training s | params | loss first -> last | PSNR rgb (dB) | "
        f"PSNR value (dB) | PSNR value region (dB) | value mass on region (orig / decoded) | contrast on region "
        f"(orig / decoded) | value maps readable |\n"
        f"|---|---|---|---|---|---|---|---|---|---|\n"
        f"| {report['steps']} | {report['seconds']} | {report['parameters']} | {report['first_loss']:.3f} -> "
        f"{report['final_loss']:.3f} | {psnr.get('rgb')} | {psnr.get('value')} | {psnr.get('value_region')} | "
        f"{share.get('original')} / {share.get('decoded')} | {contrast.get('original')} / {contrast.get('decoded')} | "
        f"{'-' if readable is None else 'yes' if readable else '**no**'} |\n", key="train-stage1-vae",
        description="Small VAE trained for a run without Wan2.2 weights")
    return {**{k: report.get(k) for k in ("steps", "seconds", "psnr", "value_mass_share", "value_contrast")},
            "value_maps_readable": readable}


def cached_episodes(cache_dir: Path, episode_ids: list[str], since: float | None = None) -> int:
    """Episodes of `episode_ids` whose latents in `cache_dir` are complete (written after `since`, a
    time.time(), when given). Reads only each group's small zarr.json: cheap enough to poll."""
    count = 0
    for episode_id in episode_ids:
        meta = cache_dir / "episodes" / episode_id / "latents" / "zarr.json"
        try:
            if since is not None and meta.stat().st_mtime < since:
                continue
            if json.loads(meta.read_text()).get("attributes", {}).get("complete") is True:
                count += 1
        except (OSError, ValueError):
            continue
    return count


@task(name="build-latent-cache", cache_policy=NO_CACHE)
def build_cache(config: TrainConfig, episode_ids: list[str]) -> dict:
    """VAE-encode the selected episodes not cached yet; progress and ETA from the cache's files."""
    started = time.time()
    cache_dir = config.latent_cache_dir
    already = cached_episodes(cache_dir, episode_ids)
    progress = StepProgress("train-stage1-latent-cache", f"latent cache {cache_dir}", len(episode_ids),
                            unit="episodes", done=already)

    def poll() -> None:
        fresh = cached_episodes(cache_dir, episode_ids, since=started)
        progress.update(min(len(episode_ids), already + fresh))

    try:
        with Poller(poll):
            report = prepare_training_data(config)
    except BaseException as exc:
        progress.finish(f"failed: {type(exc).__name__}: {exc}")
        raise
    summary = {"built": len(report.built), "reused": len(report.reused), "skipped": len(report.skipped)}
    progress.finish(f"{summary['built']} encoded, {summary['reused']} reused from an earlier run, "
                    f"{summary['skipped']} skipped (no value maps)",
                    done=summary["built"] + summary["reused"])
    return summary


STOP_REASONS = {"completed": "completed: every step trained",
                "time_budget": "stopped by the time budget (max_minutes={minutes}) before step {steps}; "
                               "rerun with a larger max_minutes (or null) and resume=true to continue",
                "interrupted": "interrupted (cancelled or SIGTERM); rerun with resume=true to continue"}


def stop_reason(stopped: str, config: TrainConfig) -> str:
    """Why a training run ended, in words for the progress artifact and the report."""
    return STOP_REASONS.get(stopped, stopped).format(minutes=config.max_minutes, steps=config.steps)


def checkpoint_step(path: Path) -> int:
    """The step of a `checkpoints/step-NNNNNN` folder (0 if the name says none)."""
    digits = path.name.rpartition("-")[2]
    return int(digits) if digits.isdigit() else 0


@task(name="train", cache_policy=NO_CACHE)
def train(config: TrainConfig, resume: bool, nproc: int) -> LaunchResult:
    budget_s = None if config.max_minutes is None else 60.0 * config.max_minutes
    found = latest_checkpoint(config.out_dir) if resume else None
    start = checkpoint_step(found) if found is not None else 0
    progress = StepProgress("train-stage1-progress", f"training {config.out_dir}", config.steps, unit="steps",
                            done=start, budget_s=budget_s)

    def report(rows: list[dict]) -> None:
        if rows and rows[-1]["step"] >= start:
            last = rows[-1]
            progress.update(last["step"], f"loss {last['loss/total']:.4f}, lr {last['lr']:.2e}")

    try:
        result = launch_training(config, resume=resume, nproc=nproc, on_metrics=report)
    except BaseException as exc:
        progress.finish(f"failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        raise
    loss = "" if result.final_loss != result.final_loss else f", final loss {result.final_loss:.4f}"
    progress.finish(stop_reason(result.stopped, config) + loss, done=result.step)
    return result


def _loss_curve_png(rows: list[dict]) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3), dpi=80)
    steps = [r["step"] for r in rows]
    for key in sorted(k for k in rows[-1] if k.startswith("loss/")):
        ax.plot(steps, [r.get(key) for r in rows], label=key[len("loss/"):])
    ax.set_xlabel("step")
    ax.set_yscale("log")
    ax.legend(fontsize=7)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


@task(name="loss-curve-artifacts", cache_policy=NO_CACHE)
def publish_loss_curve(config: TrainConfig, result: LaunchResult) -> None:
    """The loss table and the report (curve, where and why the run ended, how to go further)."""
    rows = read_metrics(config.out_dir)
    curve = "_No loss logged: the run ended before its first logged step (every 10 steps)._"
    if rows:
        stride = max(1, len(rows) // LOSS_TABLE_ROWS)
        keep = rows[::stride] + ([rows[-1]] if (len(rows) - 1) % stride else [])
        columns = ["step", "loss/total", "loss/rgb", "loss/map", "loss/act", "lr", "throughput/samples_per_s"]
        create_table_artifact([{c: r.get(c) for c in columns} for r in keep], key="train-stage1-loss",
                              description=f"Loss curve of {config.out_dir}")
        curve = f"![loss curve](data:image/png;base64,{base64.b64encode(_loss_curve_png(rows)).decode()})"
    loss = "n/a" if result.final_loss != result.final_loss else f"{result.final_loss:.4f}"
    create_markdown_artifact(
        f"## Stage I training: {config.out_dir}\n\n{curve}\n\n"
        f"- ended at step **{result.step} of {config.steps}**: {stop_reason(result.stopped, config)} "
        f"(final loss {loss})\n"
        f"- checkpoint (policy bundle for `evaluate` and `train-stage2`): `{result.checkpoint}`\n"
        f"- TensorBoard: `tensorboard --logdir {config.out_dir}/tensorboard`; full log: `{result.log}`\n\n"
        f"{SCALE_UP}\n", key="train-stage1-report", description="Stage I training report")


SCALE_UP = ("**Going further.** The defaults are a quick CPU run (24 demonstrations, aim-tiny, 48x64 views, 5 minutes "
            "of training). "
            "Continue this run: same `out_dir`, `resume=true`, a larger `max_minutes` (or null). A real run: "
            "`model=aim-small max_episodes=null camera_hw=null max_minutes=null steps=4000` (hours on CPU; use a GPU), or on GPUs "
            "`model=aim-5b pretrained=<Wan2.2-TI2V-5B-Diffusers folder> gpus=<n>`; more data: the generate-dataset "
            "flow with more `episodes_per_task`.")


@flow(name="train-stage1", description=__doc__.splitlines()[0])
def train_stage1(
    dataset: str = default_dataset(),
    out_dir: str = DEFAULT_OUT_DIR,
    model: Literal["aim-tiny", "aim-small", "aim-5b"] = "aim-tiny",
    pretrained: str | None = None,
    tasks: list[str] | None = None,
    settings: list[Setting] | None = None,
    max_episodes: int | None = QUICK_MAX_EPISODES,
    variant: Variant = "aim",
    steps: int = TrainConfig.steps,
    batch_size: int = TrainConfig.batch_size,
    lr: float = OptimConfig.lr,
    seed: int = TrainConfig.seed,
    camera_hw: tuple[int, int] | None = QUICK_CAMERA_HW,
    frame_stride: int = TrainConfig.frame_stride,
    checkpoint_every: int = TrainConfig.checkpoint_every,
    val_every: int = TrainConfig.val_every,
    max_minutes: float | None = QUICK_MAX_MINUTES,
    vae_steps: int | None = None,
    short_history: bool = TrainConfig.short_history,
    opening_repeats: int = TrainConfig.opening_repeats,
    relative_targets: bool = TrainConfig.relative_targets,
    action_space: str = TrainConfig.action_space,
    ema_decay: float = TrainConfig.ema_decay,
    cache_workers: int = TrainConfig.cache_workers,
    preload_latents: bool = TrainConfig.preload_latents,
    resume: bool = True,
    gpus: int | None = None,
) -> str:
    """Train AIM Stage I on `dataset` into `out_dir`; returns the final checkpoint folder.

    With no parameters this is a quick CPU run: aim-tiny on 48x64 views for 1000 steps (at most 5 minutes) of
    training, after encoding at most 24 selected episodes once (the latent cache: ~0.1 s per recorded step at
    48x64 on a shared 2-core machine, i.e. ~15 s for a 150-step episode; 6.5 min in all on the default dataset's
    24 selected episodes, benchmarks/RESULTS.md; its progress and ETA are the
    `train-stage1-latent-cache` artifact; later runs with the same out_dir reuse it). To scale up: set
    `max_episodes=null` (every demonstration), `model=aim-small` (or aim-5b with
    `pretrained` Wan2.2 weights on GPUs), `camera_hw=null`, `max_minutes=null` and `steps`.

    Args:
        dataset: AIM Zarr store (path or fsspec URL) with annotated episodes; default `$AIM_DATASET` or
            data/aim-dataset.zarr.
        out_dir: Run folder: checkpoints/, latent_cache/, encoders/, metrics.jsonl, tensorboard/, train.log.
        model: aim-tiny (CPU minutes), aim-small (CPU hours, better), aim-5b (Wan2.2-sized, GPUs only).
        pretrained: Local Wan2.2-TI2V-5B-Diffusers folder to initialise from; empty/null: random
            initialisation and a small VAE built for the run.
        tasks: Task names to train on; null: every task in the dataset. Each selected successful,
            annotated episode is encoded once into the latent cache (cost grows with the selection).
        settings: easy and/or hard; null: both.
        max_episodes: At most this many demonstrations, taken round-robin over the selected tasks and
            settings (each one's first episodes); default 24 keeps the latent cache to minutes; null: all.
        variant: Attention variant (aim = intent-causal; the others are ablations).
        steps: Optimiser steps to train to (the run may stop earlier at `max_minutes`).
        batch_size: Training windows per step and process.
        lr: Peak AdamW learning rate (warmup then cosine decay).
        seed: Seed of weights, batches and noise (a run is reproducible on CPU).
        camera_hw: Resize each camera view to [H, W] before encoding; default [48, 64] keeps a CPU run
            short; null: the recorded size (240x320 by default: ~35 s of encoding an episode on 2 cores).
        frame_stride: Use every n-th recorded step.
        checkpoint_every: Steps between checkpoints (a final one is always written).
        val_every: Steps between validation images (0: none).
        max_minutes: Wall-clock budget of the training step in minutes (the latent cache is not
            counted); when used up, training stops with a checkpoint. Default 5; null: train until `steps`.
        vae_steps: Steps of the run's small VAE when no `pretrained` weights (null: the model's default:
            aim-tiny 0 = random, aim-small 600).
        short_history: Also train every window from its current frame alone (no past frames or actions),
            as at a rollout's first step; off by default (see TrainConfig.short_history).
        opening_repeats: Train each episode's opening window (no past actions: the image alone chooses the
            arm and the target) this many times per epoch; 1: as often as any window (see
            TrainConfig.opening_repeats; the learning benchmark uses 10).
        relative_targets: Predict each arm joint of the chunk as the offset from the joints measured at the
            current frame, normalised by the offsets' range (see TrainConfig.relative_targets); off by default.
        action_space: joints (default): the chunk holds joint targets; tcp: both grippers' world poses, which the
            policy commands through inverse kinematics (see TrainConfig.action_space).
        ema_decay: Checkpoints act with a moving average of the weights whose decay grows to this, e.g.
            0.999; 0: with the last step's weights (see TrainConfig.ema_decay).
        cache_workers: Processes encoding the latent cache on a CPU machine, one torch thread each (e.g. one
            per core); with a GPU the cache is encoded on it and this is not used.
        preload_latents: Read the whole latent cache into memory once instead of each window from the store
            (faster windows; for caches that fit in memory, see TrainConfig.preload_latents).
        resume: Continue from the newest checkpoint in `out_dir` if there is one.
        gpus: Training processes (one per GPU); null: every visible GPU, or one CPU process without GPUs.
    """
    effective = dict(locals())
    log = get_run_logger()
    config = TrainConfig(dataset=dataset, out_dir=out_dir, model=model, pretrained=pretrained, tasks=tasks,
                         settings=settings, max_episodes=max_episodes, model_overrides={"variant": variant}, steps=steps, batch_size=batch_size,
                         seed=seed, optim=OptimConfig(lr=lr), camera_hw=camera_hw, frame_stride=frame_stride,
                         checkpoint_every=checkpoint_every, val_every=val_every, max_minutes=max_minutes,
                         vae_steps=vae_steps, short_history=short_history, opening_repeats=opening_repeats,
                         relative_targets=relative_targets, action_space=action_space,
                         ema_decay=ema_decay, cache_workers=cache_workers, preload_latents=preload_latents)
    nproc = gpus if gpus is not None else default_nproc()
    record_parameters("train-stage1", effective, notes={
        "gpus": f"null = every visible GPU: {nproc} process(es) here" if gpus is None else "",
        "tasks": "null = every task in the dataset" if tasks is None else "",
        "settings": "null = easy and hard" if settings is None else "",
        "max_episodes": "null = every demonstration" if max_episodes is None else "round-robin over tasks and settings",
        "max_minutes": "null = no budget, train until `steps`" if max_minutes is None else "training only",
        "camera_hw": "null = recorded size" if camera_hw is None else ""})
    selection = check_inputs(config)
    log.info("%d episodes of tasks %s, settings %s", len(selection.episode_ids), selection.tasks, selection.settings)
    if pretrained is None:
        log.info("run VAE: %s", train_vae(config))
    log.info("latent cache: %s", build_cache(config, selection.episode_ids))
    result = train(config, resume, nproc)
    publish_loss_curve(config, result)
    log.info("checkpoint %s (step %d of %d: %s)", result.checkpoint, result.step, config.steps,
             stop_reason(result.stopped, config))
    return str(result.checkpoint)
