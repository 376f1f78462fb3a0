"""Latent probe: how precisely an object's position on the table can be read from a run's cached latents,
beside the same probe on the head camera's pixels.

    .venv/bin/python benchmarks/latent_probe.py --dataset DATA/dataset.zarr --cache RUN/latent_cache \
        --actor shoe [--steps 3000]
    .venv/bin/python benchmarks/latent_probe.py --dataset DATA/dataset.zarr --vae RUN/encoders/vae --sources latent
    .venv/bin/python benchmarks/latent_probe.py ... --quantity heading    (its yaw instead, in degrees)
    .venv/bin/python benchmarks/latent_probe.py --dataset HELDOUT/dataset.zarr --bundle RUN/checkpoints/step-N \
        --actor block_bottom    (where a trained action prior locates it: AIMConfig.action_prior_objects)

A probe (a 3x3 conv, a spatial softmax to keypoints and an MLP: the way the action prior reads a frame) regresses
the actor's (x, y) from every frame recorded before the actor first moves; it is trained on four of five episodes
and tested on the fifth (scenes it has not seen, as a held-out seed). The same probe on the head camera's pixels
(two stride-2 convs in front) says what the camera itself holds at its resolution, so the gap between the two is
what the VAE loses. With `--vae` the frames are encoded here (no latent cache needed: VAEs compare before a
cache is built). Why: on place_shoe the policy brings its gripper to about the same point for every scene on one
side of the table (benchmarks/grasp_probe.py), and a policy cannot reach for a position its latents do not hold.

Mind which frames: an actor is still until it is grasped, so its later still frames show the arm coming down onto
it, and a probe can read the arm instead. `--max-frames 2` reads each episode's first two latent frames, the scene
before the arm moves: on stack_blocks_two the red cube from the latents 11.5 cm in x on unseen scenes (all still
frames: 3.1; the last two: 1.3), from the pixels 1.4 (benchmarks/RESULTS.md, twenty-seventh session).
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import torch
import zarr
from torch import nn

from aim_core.data.canvas import HEAD_CAMERA, CanvasLayout, head_camera_view, unpack_canvas
from aim_core.data.episodes import EpisodeRef, complete_episodes, open_dataset
from aim_core.data.latent_cache import cached_latents, episode_canvases
from aim_core.data.windows import StepGrid
from aim_core.inference.policy import AIMPolicy
from aim_core.models.embeddings import GRID_CHANNELS, POSITION_SCALE, SpatialKeypoints
from aim_core.models.vae import VideoVAE

STILL_TOLERANCE_M = 0.003
SOURCES = ("latent", "pixels", "decoded")
READOUTS = ("keypoints", "grid")
QUANTITIES = ("position", "heading")
"""What the probe reads: the actor's (x, y) on the table, or its heading (yaw of its x axis, as a task's
success check measures it) as (cos, sin)."""


def heading(quaternion_wxyz: np.ndarray) -> float:
    """Yaw of the body's x axis in the world (radians): the heading a task's success check compares."""
    w, x, y, z = quaternion_wxyz
    return float(np.arctan2(2 * (x * y + w * z), 1 - 2 * (y * y + z * z)))


def still_frames(episode: EpisodeRef, actor: str, grid: StepGrid, quantity: str = "position"
                 ) -> tuple[int, np.ndarray]:
    """How many latent frames (from the first) show a recorded step before `actor` first moves, and its (x, y)
    or its heading's (cos, sin) (`quantity`)."""
    names = list(episode.attrs.object_names)
    if actor not in names:
        raise ValueError(f"{actor!r} is not a tracked actor of {episode.episode_id} (it tracks {names})")
    poses = episode.read("object_poses")[:, names.index(actor)]
    moved = np.flatnonzero(np.linalg.norm(poses[:, :3] - poses[0, :3], axis=1) > STILL_TOLERANCE_M)
    last_still = (moved[0] if len(moved) else len(poses)) - 1
    yaw = heading(poses[0, 3:])
    target = poses[0, :2] if quantity == "position" else np.array([np.cos(yaw), np.sin(yaw)])
    return last_still // grid.frames_per_step + 1, target


@torch.no_grad()
def encoded_still_frames(vae: VideoVAE, episode: EpisodeRef, frames: int) -> np.ndarray:
    """The RGB latents [frames, C, h, w] of the episode's first frames, encoded as the latent cache encodes them."""
    video = episode_canvases(episode, "rgb", StepGrid(1, vae.temporal).encoded_frames(frames), None)
    return vae.encode(torch.from_numpy(video)[None], "rgb")[0].transpose(0, 1).float().numpy()


@torch.no_grad()
def decoded_head_views(vae: VideoVAE, latents: np.ndarray) -> np.ndarray:
    """The head camera's view [frames, 3, H, W] in [0, 1] of the VAE's reconstruction of latent frames
    [frames, C, h, w], at the recorded steps the latent frames hold (the last of each frame's group)."""
    video = vae.decode(torch.from_numpy(latents).transpose(0, 1)[None], "rgb")[0].numpy()  # [1 + c(n-1), 2H, 2W, 3]
    canvases = video[::vae.temporal]
    layout = CanvasLayout((canvases.shape[1] // 2, canvases.shape[2] // 2))
    head = unpack_canvas(canvases, layout)[:, HEAD_CAMERA]
    return head_camera_view(head, head.shape[-3:-1])


def probe_frames(dataset: Path, actor: str, source: str, cache: Path | None = None, vae: VideoVAE | None = None,
                 max_frames: int | None = None, quantity: str = "position", pixels_hw: tuple[int, int] | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frames [N, C, H, W] float32, the actor's (x, y) or heading (cos, sin) [N, 2] (`quantity`), episode index
    [N]) of every still frame of the
    store's successful episodes: their RGB latents (`source="latent"`: from the latent `cache`, episodes it lacks
    skipped, or encoded with `vae`), the head camera's pixels in [0, 1] at the same steps (`"pixels"`; with a
    cache, of the episodes it holds) or the head view of those latents decoded by `vae` (`"decoded"`: what of
    the pixels the latents keep). Which recorded step a latent frame holds is the cache's (its frame stride and
    temporal compression) or the VAE's. `max_frames`: at most that many still frames an episode, the first ones
    (encoding large canvases on a CPU is slow). `pixels_hw`: the pixels resized to this (height, width), as an action
    prior that reads them sees them (`AIMConfig.action_prior_pixels`)."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    if quantity not in QUANTITIES:
        raise ValueError(f"quantity must be one of {QUANTITIES}, got {quantity!r}")
    if source == "decoded" and vae is None:
        raise ValueError("decoded frames need the VAE that decodes them")
    if (cache is None) == (vae is None):
        raise ValueError("the frames are a latent cache's or a VAE's: give exactly one")
    root = zarr.open_group(str(cache), mode="r") if cache is not None else None
    frames, targets, groups = [], [], []
    for episode in complete_episodes(open_dataset(str(dataset)), successful_only=True):  # what a cache holds
        cached = cached_latents(root, episode.episode_id) if root is not None else None
        if root is not None and cached is None:
            continue
        grid = (StepGrid(cached.attrs["frame_stride"], cached.attrs["temporal_compression"]) if cached is not None
                else StepGrid(1, vae.temporal))
        count, xy = still_frames(episode, actor, grid, quantity)
        count = min(count, max_frames or count)
        if source != "pixels":
            stack = (cached["rgb"][:count].astype(np.float32) if cached is not None
                     else encoded_still_frames(vae, episode, count))
            if source == "decoded":
                stack = decoded_head_views(vae, stack)
        else:
            steps = grid.step_frames(slice(0, count))
            head = episode.read("rgb", (steps, HEAD_CAMERA))
            stack = head_camera_view(head, pixels_hw or head.shape[-3:-1])
        frames.append(stack)
        targets.append(np.repeat(xy[None], len(stack), axis=0))
        groups.append(np.full(len(stack), len(groups)))
    if not frames:
        raise ValueError(f"no successful episode of {dataset}" + (f" is in the latent cache {cache}" if cache else ""))
    return np.concatenate(frames), np.concatenate(targets).astype(np.float32), np.concatenate(groups)


class PositionProbe(nn.Module):
    """Frame [B, C, H, W] -> its target [B, 2] ((x, y) or a heading's (cos, sin)) in the targets' standardised
    units, read as the action prior reads its frame (`aim_core.models.embeddings.ActionPrior`): by spatial-softmax
    keypoints (`readout="keypoints"`) or by GRID_CHANNELS 1x1-conv feature maps flattened cell by cell (`"grid"`,
    its scene-grid view)."""

    def __init__(self, channels: int, downsample: bool, hw: tuple[int, int], readout: str = "keypoints",
                 keypoints: int = 16, width: int = 64) -> None:
        super().__init__()
        if readout not in READOUTS:
            raise ValueError(f"readout must be one of {READOUTS}, got {readout!r}")
        stem = [nn.Conv2d(channels, 32, 3, stride=2, padding=1), nn.SiLU(),
                nn.Conv2d(32, 32, 3, stride=2, padding=1), nn.SiLU()] if downsample else []
        self.stem = nn.Sequential(*stem)
        channels, cells = (32, math.ceil(hw[0] / 4) * math.ceil(hw[1] / 4)) if downsample else (channels, hw[0] * hw[1])
        self.points = SpatialKeypoints(channels, keypoints, width) if readout == "keypoints" else None
        self.grid = nn.Sequential(nn.Conv2d(channels, GRID_CHANNELS, 1), nn.Flatten()) if readout == "grid" else None
        features = 2 * keypoints if self.points is not None else GRID_CHANNELS * cells
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(features, width), nn.SiLU(), nn.Linear(width, 2))

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        features = self.stem(frames)
        return self.head(self.points.keypoints(features) if self.points is not None else self.grid(features))


def fit_probe(frames: np.ndarray, targets: np.ndarray, groups: np.ndarray, downsample: bool, steps: int = 3000,
              batch_size: int = 32, seed: int = 0, readout: str = "keypoints") -> dict:
    """Train a `PositionProbe` on the frames of groups not divisible by 5, test on the rest: mean absolute
    error per axis (targets' units) on both, beside the error of predicting the training mean."""
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    x, y = torch.from_numpy(frames), torch.from_numpy(targets)
    test = torch.from_numpy(groups % 5 == 0)
    if not test.any() or test.all():
        raise ValueError("the probe needs at least two episodes (every fifth is held out)")
    mean, std = x[~test].mean(0, keepdim=True), x[~test].std(0, keepdim=True).clamp(min=0.05)
    x = (x - mean) / std
    y_mean, y_std = y[~test].mean(0), y[~test].std(0).clamp(min=1e-6)
    probe = PositionProbe(x.shape[1], downsample, tuple(x.shape[-2:]), readout)
    optimiser = torch.optim.AdamW(probe.parameters(), lr=1e-3, weight_decay=1e-4)
    train_x, train_y = x[~test], (y[~test] - y_mean) / y_std
    for _ in range(steps):
        pick = torch.randint(0, len(train_x), (batch_size,), generator=generator)
        loss = (probe(train_x[pick]) - train_y[pick]).pow(2).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    with torch.no_grad():
        predicted = probe(x) * y_std + y_mean
    error = (predicted - y).abs()
    return {"train_mae": error[~test].mean(0).tolist(), "test_mae": error[test].mean(0).tolist(),
            "mean_predictor_test_mae": (y[test] - y_mean).abs().mean(0).tolist(),
            "frames": {"train": int((~test).sum()), "test": int(test.sum())},
            "predicted": predicted.numpy(), "test": test.numpy()}


@torch.no_grad()
def located_by_prior(bundle: Path, dataset: Path, actor: str, max_frames: int | None = None) -> dict:
    """Where a bundle's action prior locates `actor` (`AIMConfig.action_prior_objects`) on the still frames of the
    store's successful episodes, encoded by the bundle's VAE (or the head camera's view, for a prior that reads
    pixels): mean absolute error per axis (metres), beside that of predicting these frames' own mean position (the
    spread a prior blind to the scene would leave)."""
    policy = AIMPolicy.from_pretrained(bundle)
    objects = policy.model.config.action_prior_objects
    names = list(complete_episodes(open_dataset(str(dataset)), successful_only=True)[0].attrs.object_names)
    if actor not in names[:objects]:
        raise ValueError(f"the bundle's action prior locates {names[:objects]} (AIMConfig.action_prior_objects="
                         f"{objects}), not {actor!r}")
    pixels = policy.model.config.action_prior_pixels
    frames, targets, _ = probe_frames(dataset, actor, "pixels" if any(pixels) else "latent", vae=policy.vae,
                                      max_frames=max_frames, pixels_hw=pixels if any(pixels) else None)
    located = policy.model.action_prior_head.read(torch.from_numpy(frames), None)[1][:, names.index(actor)]
    located = located.float().numpy() / POSITION_SCALE
    return {"mae": np.abs(located - targets).mean(0).tolist(),
            "mean_predictor_mae": np.abs(targets - targets.mean(0)).mean(0).tolist(), "frames": len(frames)}


def heading_errors_deg(result: dict, targets: np.ndarray) -> dict:
    """Mean absolute angle (degrees) between the predicted and true heading vectors on the training and test
    frames of a `fit_probe` result, beside that of the training frames' mean direction."""
    def angles(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.degrees(np.abs(np.angle(np.exp(1j * (np.arctan2(a[:, 1], a[:, 0]) - np.arctan2(b[:, 1], b[:, 0]))))))
    test = result["test"]
    mean = np.broadcast_to(targets[~test].mean(0), targets[test].shape)
    return {"train": float(angles(result["predicted"][~test], targets[~test]).mean()),
            "test": float(angles(result["predicted"][test], targets[test]).mean()),
            "mean_predictor_test": float(angles(mean, targets[test]).mean())}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", type=Path, required=True, help="the store the cache was built from")
    latents = p.add_mutually_exclusive_group(required=True)
    latents.add_argument("--cache", type=Path, help="a run's latent cache (its VAE's latents)")
    latents.add_argument("--vae", type=Path, help="a VAE folder (RUN/encoders/vae): encode the still frames here")
    latents.add_argument("--bundle", type=Path,
                         help="a policy bundle whose action prior locates objects: where it places --actor")
    p.add_argument("--actor", default="shoe", help="the tracked actor whose position is probed")
    p.add_argument("--quantity", default="position", choices=QUANTITIES,
                   help="heading: the actor's yaw (a task such as place_shoe checks it to +-15 degrees)")
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--readout", default="keypoints", choices=READOUTS,
                   help="grid: 1x1-conv maps flattened cell by cell (the action prior's scene-grid view)")
    p.add_argument("--max-frames", type=int, help="at most this many still frames an episode (default: all)")
    p.add_argument("--sources", nargs="+", default=["latent", "pixels"], choices=SOURCES,
                   help="decoded: the head view of the still frames encoded and decoded again by --vae")
    args = p.parse_args()
    if args.max_frames is not None and args.max_frames < 1:
        p.error(f"--max-frames must be >= 1, got {args.max_frames}")
    if "decoded" in args.sources and args.vae is None:
        p.error("--sources decoded needs --vae (the VAE that decodes the frames)")
    torch.set_num_threads(1)
    if args.bundle is not None:
        result = located_by_prior(args.bundle, args.dataset, args.actor, args.max_frames)
        print(json.dumps({"source": "action prior", "bundle": str(args.bundle), "frames": result["frames"],
                          "mae_cm_xy": {k: [round(100 * v, 1) for v in result[k]]
                                        for k in ("mae", "mean_predictor_mae")}}))
        return
    vae = VideoVAE.from_pretrained(args.vae) if args.vae is not None else None
    for source in args.sources:
        frames, targets, groups = probe_frames(args.dataset, args.actor, source, cache=args.cache, vae=vae,
                                               max_frames=args.max_frames, quantity=args.quantity)
        result = fit_probe(frames, targets, groups, downsample=source != "latent", steps=args.steps,
                           readout=args.readout)
        if args.quantity == "position":
            errors = {"mae_cm_xy": {k: [round(100 * v, 1) for v in result[k]]
                                    for k in ("train_mae", "test_mae", "mean_predictor_test_mae")}}
        else:
            errors = {"heading_error_deg": {k: round(v, 1) for k, v in heading_errors_deg(result, targets).items()}}
        print(json.dumps({"source": source, "readout": args.readout, "latents": str(args.cache or args.vae), **errors,
                          "frames": result["frames"]}))


if __name__ == "__main__":
    main()
