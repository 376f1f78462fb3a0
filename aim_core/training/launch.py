"""Launch Stage I training as a child process (`torchrun` when several GPUs) and follow it.

Why a child process: the train-stage1 flow must stay responsive (progress artifacts, cancel)
while training owns the GPUs, and multi-GPU runs need one process per device anyway. The run's
`metrics.jsonl` is polled for progress; stopping the launcher (cancel, Ctrl-C) sends SIGTERM to
the child's process group, and the trainer answers with a final checkpoint.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aim_core.training.config import TrainConfig
from aim_core.training.metrics_log import read_metrics

LAUNCH_CONFIG_FILE = "launch_config.json"
LOG_FILE = "train.log"


@dataclass(frozen=True)
class LaunchResult:
    checkpoint: Path
    step: int
    final_loss: float
    stopped: str
    log: Path


def default_nproc() -> int:
    """One process per visible GPU; one CPU process without GPUs."""
    import torch

    return max(1, torch.cuda.device_count())


def training_command(config_file: Path, resume: bool, nproc: int) -> list[str]:
    """`python -m aim_core.training.cli` for one process, `torchrun --standalone` for several."""
    entry = ["-m", "aim_core.training.cli", "--config-file", str(config_file)] + (["--resume"] if resume else [])
    if nproc <= 1:
        return [sys.executable, *entry]
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}", *entry]


def launch_training(config: TrainConfig, resume: bool = True, nproc: int | None = None,
                    on_metrics: Callable[[list[dict]], None] | None = None, poll_s: float = 2.0) -> LaunchResult:
    """Run training to its end in a child process; `on_metrics` gets the metrics rows as they grow."""
    out = Path(config.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    config_file = out / LAUNCH_CONFIG_FILE
    config_file.write_text(config.to_json())
    log_path = out / LOG_FILE
    command = training_command(config_file, resume, nproc or default_nproc())
    seen = -1
    with open(log_path, "w") as log:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            while proc.poll() is None:
                time.sleep(poll_s)
                rows = read_metrics(out)
                if on_metrics is not None and len(rows) != seen:
                    seen = len(rows)
                    on_metrics(rows)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=600)
        stdout = proc.stdout.read() if proc.stdout else ""
    if on_metrics is not None:
        on_metrics(read_metrics(out))
    if proc.returncode != 0:
        tail = log_path.read_text()[-3000:]
        raise RuntimeError(f"training exited with code {proc.returncode}; log {log_path}:\n{tail}")
    summary = json.loads(stdout.strip().splitlines()[-1])
    return LaunchResult(checkpoint=Path(summary["checkpoint"]), step=summary["step"],
                        final_loss=summary["final_loss"], stopped=summary["stopped"], log=log_path)
