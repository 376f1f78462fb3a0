"""The `train-stage1` flow: check inputs -> encoders (train a small VAE) -> latent cache -> train -> report.

Thin by design: each task calls one function of `aim_core.training`, which works without Prefect.
The flow adds what a person running a long job needs: every input checked before any GPU time is
spent, without Wan2.2 weights a small Wan VAE trained on the data and
frozen (its reconstruction PSNR as an artifact), the latent cache built once (before the ranks start), training in a child process
(`torchrun` with one rank per GPU), its progress and loss curve as artifacts, and the final
checkpoint path as the result. Rerunning with `resume=True` continues from the newest checkpoint.

    prefect deployment run train-stage1/train-stage1    # default dataset -> runs/stage1, aim-tiny
    prefect deployment run train-stage1/train-stage1 --param dataset=data/aim-dataset.zarr \
        --param out_dir=runs/tiny --param steps=200
"""
from __future__ import annotations

import base64
import io
import json
from typing import Literal

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_progress_artifact, create_table_artifact, update_progress_artifact
from prefect.cache_policies import NO_CACHE

from aim_core.models.config import Variant
from aim_core.training.config import OptimConfig, TrainConfig
from aim_core.training.data_source import prepare_training_data, training_encoders
from aim_core.training.encoders import VAE_REPORT
from aim_core.training.launch import LaunchResult, default_nproc, launch_training
from aim_core.training.metrics_log import read_metrics
from aim_core.training.preflight import TrainingSelection, preflight
from data_schemas.location import default_dataset
from data_schemas.spec import Setting

DEFAULT_OUT_DIR = "runs/stage1"
"""Where a run given no out_dir goes (relative to the serving process's working directory)."""
LOSS_TABLE_ROWS = 100
"""At most this many rows of the loss curve go into the table artifact (evenly subsampled)."""


@task(name="check-training-inputs", cache_policy=NO_CACHE)
def check_inputs(config: TrainConfig) -> TrainingSelection:
    return preflight(config)


@task(name="train-vae", cache_policy=NO_CACHE)
def train_vae(config: TrainConfig) -> dict | None:
    """The run's encoders: Wan2.2's with --pretrained, else a small VAE trained on the run's episodes (once)."""
    encoders = training_encoders(config)
    report_file = encoders.source / VAE_REPORT
    if not report_file.is_file():
        return None
    report = json.loads(report_file.read_text())
    psnr, share = report.get("psnr", {}), report.get("value_mass_share", {})
    create_markdown_artifact(
        f"## Run VAE: {encoders.source}\n\n| steps | s | params | loss first -> last | PSNR rgb | PSNR value | "
        f"PSNR value region | value mass on region (orig / decoded) |\n|---|---|---|---|---|---|---|---|\n"
        f"| {report['steps']} | {report['seconds']} | {report['parameters']} | {report['first_loss']:.3f} -> "
        f"{report['final_loss']:.3f} | {psnr.get('rgb')} | {psnr.get('value')} | {psnr.get('value_region')} | "
        f"{share.get('original')} / {share.get('decoded')} |\n", key="train-stage1-vae",
        description="Small VAE trained for a run without Wan2.2 weights")
    return {k: report.get(k) for k in ("steps", "seconds", "psnr", "value_mass_share")}


@task(name="build-latent-cache", cache_policy=NO_CACHE)
def build_cache(config: TrainConfig) -> dict:
    report = prepare_training_data(config)
    return {"built": len(report.built), "reused": len(report.reused), "skipped": len(report.skipped)}


@task(name="train", cache_policy=NO_CACHE)
def train(config: TrainConfig, resume: bool, nproc: int) -> LaunchResult:
    log = get_run_logger()
    progress = create_progress_artifact(0.0, key="train-stage1-progress", description=f"steps of {config.out_dir}")

    def report(rows: list[dict]) -> None:
        if rows:
            last = rows[-1]
            update_progress_artifact(progress, 100.0 * last["step"] / config.steps,
                                     description=f"step {last['step']}/{config.steps}, loss {last['loss/total']:.4f}")
            log.info("step %d/%d loss %.4f lr %.2e", last["step"], config.steps, last["loss/total"], last["lr"])

    return launch_training(config, resume=resume, nproc=nproc, on_metrics=report)


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
    rows = read_metrics(config.out_dir)
    if not rows:
        return
    stride = max(1, len(rows) // LOSS_TABLE_ROWS)
    keep = rows[::stride] + ([rows[-1]] if (len(rows) - 1) % stride else [])
    columns = ["step", "loss/total", "loss/rgb", "loss/map", "loss/act", "lr", "throughput/samples_per_s"]
    create_table_artifact([{c: r.get(c) for c in columns} for r in keep], key="train-stage1-loss",
                          description=f"Loss curve of {config.out_dir}")
    png = base64.b64encode(_loss_curve_png(rows)).decode()
    create_markdown_artifact(
        f"## Stage I training: {config.out_dir}\n\n![loss curve](data:image/png;base64,{png})\n\n"
        f"- stopped: **{result.stopped}** at step {result.step} (final loss {result.final_loss:.4f})\n"
        f"- checkpoint: `{result.checkpoint}`\n- TensorBoard: `tensorboard --logdir {config.out_dir}/tensorboard`\n",
        key="train-stage1-report", description="Stage I training report")


@flow(name="train-stage1", description=__doc__.splitlines()[0])
def train_stage1(
    dataset: str = default_dataset(),
    out_dir: str = DEFAULT_OUT_DIR,
    model: Literal["aim-tiny", "aim-small", "aim-5b"] = "aim-tiny",
    pretrained: str | None = None,
    tasks: list[str] | None = None,
    settings: list[Setting] | None = None,
    variant: Variant = "aim",
    steps: int = TrainConfig.steps,
    batch_size: int = TrainConfig.batch_size,
    lr: float = OptimConfig.lr,
    seed: int = TrainConfig.seed,
    camera_hw: tuple[int, int] | None = None,
    frame_stride: int = TrainConfig.frame_stride,
    checkpoint_every: int = TrainConfig.checkpoint_every,
    val_every: int = TrainConfig.val_every,
    max_minutes: float | None = None,
    vae_steps: int | None = None,
    resume: bool = True,
    gpus: int | None = None,
) -> str:
    """Train AIM Stage I on `dataset` into `out_dir`; returns the final checkpoint folder."""
    log = get_run_logger()
    config = TrainConfig(dataset=dataset, out_dir=out_dir, model=model, pretrained=pretrained, tasks=tasks,
                         settings=settings, model_overrides={"variant": variant}, steps=steps, batch_size=batch_size,
                         seed=seed, optim=OptimConfig(lr=lr), camera_hw=camera_hw, frame_stride=frame_stride,
                         checkpoint_every=checkpoint_every, val_every=val_every, max_minutes=max_minutes,
                         vae_steps=vae_steps)
    selection = check_inputs(config)
    log.info("%d episodes of tasks %s, settings %s", len(selection.episode_ids), selection.tasks, selection.settings)
    if pretrained is None:
        log.info("run VAE: %s", train_vae(config))
    log.info("latent cache: %s", build_cache(config))
    nproc = gpus if gpus is not None else default_nproc()
    result = train(config, resume, nproc)
    publish_loss_curve(config, result)
    return str(result.checkpoint)
