"""The policy bundle: one folder that acts on its own (diffusers' pipeline-folder convention).

    <bundle>/
        transformer/      AIMModel (ModelMixin): config.json + diffusion_pytorch_model.safetensors
        action_codec/     ActionCodec: the action normalisation statistics (fp32, never cast)
        vae/              AutoencoderKLWan with its latent statistics (latents_mean / latents_std)
        text_encoder/     T5-family encoder      tokenizer/  tokenizer.json
        scheduler.json    NoiseSchedule: the one noise schedule of training and sampling
        policy.json       PolicySpec: what the policy was trained for (cameras, canvas, simulator)

Weights are safetensors, configs JSON, and nothing inside names an absolute path, so a bundle can
be copied, archived or served anywhere. Why a folder per part: each part loads with its own
library's `from_pretrained`, exactly as a Wan2.2 Diffusers folder does, and the frozen encoders
travel with the weights that were trained on their latents. Encoder folders are hard-linked when
the source lies on the same file system (a checkpoint of a run with Wan2.2's 11 GB of encoders
costs no space), copied otherwise. Optimizer state for resuming is not part of a bundle
(`aim_core.training.checkpoint` keeps it beside).
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from aim_core.models.text import TEXT_ENCODER_DIR, TOKENIZER_DIR

TRANSFORMER_DIR = "transformer"
ACTION_CODEC_DIR = "action_codec"
VAE_DIR = "vae"
SCHEDULER_FILE = "scheduler.json"
POLICY_FILE = "policy.json"
ENCODER_DIRS = (VAE_DIR, TEXT_ENCODER_DIR, TOKENIZER_DIR)
BUNDLE_PARTS = (TRANSFORMER_DIR, ACTION_CODEC_DIR, *ENCODER_DIRS, SCHEDULER_FILE, POLICY_FILE)
POLICY_FORMAT = "aim-policy"
POLICY_FORMAT_VERSION = 1


class BundleError(ValueError):
    """A folder is not a complete policy bundle (names what is missing)."""


@dataclass(frozen=True)
class PolicySpec:
    """`policy.json`: how observations must look for this policy, and the simulator it was trained in.

    `image_size` is the recorded camera size (H, W); `camera_hw` the size views are resized to
    before packing the canvas (None: as recorded); `frame_stride` the recorded steps per observed
    frame; `sim` the simulator settings of the training data (`pipeline.sim.config.SimConfig.to_dict()`:
    image size, physics rate, control period, cameras), which evaluation reproduces.
    """

    image_size: tuple[int, int]
    frame_stride: int
    camera_hw: tuple[int, int] | None = None
    cameras: tuple[str, ...] = ()
    sim: dict[str, Any] = field(default_factory=dict)
    num_inference_steps: int = 10
    """Denoising steps of the sampler by default (callers may choose others)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "image_size", tuple(self.image_size))
        object.__setattr__(self, "cameras", tuple(self.cameras))
        if self.camera_hw is not None:
            object.__setattr__(self, "camera_hw", tuple(self.camera_hw))
        if self.frame_stride < 1 or self.num_inference_steps < 1:
            raise ValueError(f"frame_stride and num_inference_steps must be >= 1, got {self}")

    def save(self, folder: str | Path) -> None:
        data = {"format": POLICY_FORMAT, "version": POLICY_FORMAT_VERSION, **asdict(self)}
        (Path(folder) / POLICY_FILE).write_text(json.dumps(data, indent=2))

    @classmethod
    def load(cls, folder: str | Path) -> "PolicySpec":
        path = Path(folder) / POLICY_FILE
        data = json.loads(path.read_text())
        if data.pop("format", None) != POLICY_FORMAT or data.pop("version", None) != POLICY_FORMAT_VERSION:
            raise BundleError(f"{path} is not an {POLICY_FORMAT} v{POLICY_FORMAT_VERSION} policy description")
        return cls(**data)


def check_bundle(folder: str | Path) -> Path:
    """The folder, if it holds every part of a bundle; else a `BundleError` naming the missing ones."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BundleError(f"{folder} is not a folder: pass a policy bundle (e.g. <run>/checkpoints/step-001000)")
    missing = [part for part in BUNDLE_PARTS if not (folder / part).exists()]
    if missing:
        raise BundleError(f"{folder} is not a complete AIM policy bundle: missing {', '.join(missing)} "
                          "(bundles are written by aim-train checkpoints)")
    return folder


def link_or_copy_tree(source: Path, target: Path) -> None:
    """Replicate `source` at `target`, hard-linking files where the file system allows it."""
    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, copy_function=link_or_copy)


def add_encoders(bundle: Path, source: str | Path) -> None:
    """Put the frozen encoders (`vae/`, `text_encoder/`, `tokenizer/`) of `source` into `bundle`.

    `source` is a Wan2.2 Diffusers folder or a run's `encoders/` folder (the same layout).
    """
    source = Path(source)
    missing = [name for name in ENCODER_DIRS if not (source / name).is_dir()]
    if missing:
        raise BundleError(f"{source} lacks {', '.join(missing)}: it is not an encoders folder")
    for name in ENCODER_DIRS:
        link_or_copy_tree(source / name, bundle / name)
