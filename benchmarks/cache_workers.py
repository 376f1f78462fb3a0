"""Latent cache builds: in worker processes (`build_latent_cache(workers=N)`), and with the VAE's batch-1 3D
convolutions through oneDNN (`aim_core.models.onednn_conv`) or through PyTorch's own choice, its slow kernel.

Builds the latent cache of the first `--episodes` demonstrations of a dataset with a run's encoders,
once per kernel and worker count, each into a fresh cache folder, one after the other in this process (so the
ratios come from one run), and checks that every build wrote the same latents as the first (the two kernels round
differently: their largest difference is reported).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/cache_workers.py --dataset data/learning/medium/dataset.zarr \
        --encoders benchmarks/out/learning-medium/runs/aim/encoders --episodes 8 --workers 1,2 --kernels pytorch,onednn
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import zarr

from aim_core.data import LatentCacheConfig, build_latent_cache
from aim_core.models.text import TextEncoder
from aim_core.models.vae import VideoVAE
from data_schemas import EPISODES_GROUP


def latents(cache: Path, episode_ids: list[str]) -> dict[str, np.ndarray]:
    root = zarr.open_group(str(cache), mode="r")
    return {f"{e}/{s}": root[f"{EPISODES_GROUP}/{e}/latents/{s}"][...] for e in episode_ids for s in ("rgb", "value")}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", required=True, help="an annotated AIM dataset (Zarr)")
    p.add_argument("--encoders", required=True, help="a run's encoders/ folder (vae/, text_encoder/, tokenizer/)")
    p.add_argument("--episodes", type=int, default=8, help="demonstrations encoded per build")
    p.add_argument("--workers", default="1,2", help="worker counts, comma-separated (the first is the reference)")
    p.add_argument("--kernels", default="onednn",
                   help="conv3d kernels, comma-separated: onednn (ours), pytorch (oneDNN switched off: slow_conv3d)")
    p.add_argument("--camera-hw", type=int, nargs=2, default=(96, 128), help="views resized to H W (the medium profile's)")
    p.add_argument("--json", help="also write the figures to this file")
    args = p.parse_args()
    counts, kernels = [int(w) for w in args.workers.split(",")], args.kernels.split(",")
    if not set(kernels) <= {"onednn", "pytorch"}:
        raise SystemExit(f"--kernels: unknown {sorted(set(kernels) - {'onednn', 'pytorch'})}; choose onednn, pytorch")
    if "pytorch" in kernels and counts != [1]:
        raise SystemExit("--kernels pytorch needs --workers 1 (spawned workers start with oneDNN enabled)")
    torch.set_num_threads(1)
    vae, text = VideoVAE.from_pretrained(args.encoders), TextEncoder.from_pretrained(args.encoders)
    config = LatentCacheConfig(camera_hw=tuple(args.camera_hw))
    rows, reference = [], None
    with tempfile.TemporaryDirectory() as tmp:
        for kernel in kernels:
            for workers in counts:
                cache = Path(tmp) / f"cache-{kernel}-{workers}.zarr"
                clock = time.perf_counter()
                with torch.backends.mkldnn.flags(enabled=kernel == "onednn"):
                    report = build_latent_cache(args.dataset, vae, text, config, cache=cache, progress=False,
                                                max_episodes=args.episodes, workers=workers)
                seconds = time.perf_counter() - clock
                built = latents(cache, report.built)
                reference = reference or built
                same = built.keys() == reference.keys() and all(np.array_equal(built[k], reference[k]) for k in built)
                diff = max(float(np.abs(built[k].astype(np.float32) - reference[k]).max()) for k in built)
                rows.append({"kernel": kernel, "workers": workers, "episodes": len(report.built), "seconds": seconds,
                             "s_per_episode": seconds / max(1, len(report.built)), "same_latents": same,
                             "max_latent_difference": diff})
    base = rows[0]["seconds"]
    print("| conv3d kernel | workers | episodes | seconds | s / episode | speed-up | same latents as the first "
          "(largest difference) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['kernel']} | {r['workers']} | {r['episodes']} | {r['seconds']:.1f} | {r['s_per_episode']:.2f} | "
              f"{base / r['seconds']:.2f}x | {r['same_latents']} ({r['max_latent_difference']:.2g}) |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
