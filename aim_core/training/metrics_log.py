"""Training logs: TensorBoard scalars and images plus a `metrics.jsonl` the flow turns into artifacts.

`metrics.jsonl` holds one JSON object per logged step (loss terms, learning rate, throughput);
on resume, entries after the restored checkpoint are dropped so the file describes one run.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from torch.utils.tensorboard import SummaryWriter

METRICS_FILE = "metrics.jsonl"
TENSORBOARD_DIR = "tensorboard"


def read_metrics(out_dir: str | Path) -> list[dict[str, Any]]:
    path = Path(out_dir) / METRICS_FILE
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class TrainingLog:
    """Writes scalars to TensorBoard and `metrics.jsonl`, images to TensorBoard and PNG files."""

    def __init__(self, out_dir: str | Path, resume_step: int = 0):
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        kept = [m for m in read_metrics(self.out_dir) if m["step"] <= resume_step] if resume_step else []
        self._metrics_path = self.out_dir / METRICS_FILE
        self._metrics_path.write_text("".join(json.dumps(m) + "\n" for m in kept))
        self.writer = SummaryWriter(str(self.out_dir / TENSORBOARD_DIR), purge_step=resume_step + 1 if resume_step else None)

    def scalars(self, step: int, values: dict[str, float]) -> None:
        for name, value in values.items():
            self.writer.add_scalar(name, value, step)
        with open(self._metrics_path, "a") as fh:
            fh.write(json.dumps({"step": step, **values}) + "\n")

    def image(self, step: int, tag: str, image: np.ndarray) -> Path:
        """`image` uint8 [H, W, 3]; also saved as `<out_dir>/validation/<tag>-<step>.png`."""
        import imageio.v3 as iio

        self.writer.add_image(tag, image, step, dataformats="HWC")
        path = self.out_dir / "validation" / f"{tag.replace('/', '-')}-{step:06d}.png"
        path.parent.mkdir(exist_ok=True)
        iio.imwrite(path, image)
        return path

    def close(self) -> None:
        self.writer.flush()
        self.writer.close()
