"""Benchmark of the training data path: pixel windows, latent windows, latent-cache build.

Question: can the loader keep a GPU fed? A synthetic dataset is written with the recorder's
DatasetStore (real sharded layout, 3 cameras 240x320), then
  1. PixelWindowDataset: windows as uint8 T-pose canvases (read + pack, no VAE);
  2. build_latent_cache with a toy Wan2.2-architecture VAE on a downsized canvas (frames/s of
     the real code path; the real 705 M VAE costs ~4 s per frame on this CPU, a GPU job);
  3. LatentWindowDataset on cached latents of the real aim-5b size (48 x 30 x 40 per 480x640
     canvas frame, written with `write_latents`) and 4096-wide text states, lazy zarr reads vs
     preloaded, through a torch DataLoader with `collate_windows`.
Usage: .venv/bin/python benchmarks/data.py [--episodes 4 --steps 121 --batch 8 --seconds 8]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm
from transformers import UMT5EncoderModel

from aim_core.data import LatentCacheConfig, LatentWindowDataset, PixelWindowDataset, build_latent_cache, collate_windows
from aim_core.data.action_stats import load_or_compute_action_stats
from aim_core.data.episodes import complete_episodes, open_cache_root, open_dataset
from aim_core.data.latent_cache import cache_text, write_latents
from aim_core.models.config import ChunkLayout
from aim_core.models.text import TextEncoder, tiny_umt5_config, train_unigram_tokenizer
from aim_core.models.vae import VideoVAE, tiny_wan_vae_config
from data_schemas import EPISODE_ARRAYS, EpisodeAttrs, EpisodeData
from pipeline.record.store import DatasetStore

INSTRUCTIONS = ["pick up the shoe and place it on the mat", "stack the red block on the blue block"]
LAYOUT = ChunkLayout(history_frames=2, future_frames=2, actions_per_frame=4)


def synthetic_episode(index: int, steps: int, hw: tuple[int, int]) -> tuple[EpisodeData, dict]:
    dims = {"T": steps, "V": 3, "H": hw[0], "W": hw[1], "D": 16, "K": 1, "N": 0, "P": 4}
    arrays = {s.name: np.zeros(s.resolve(dims), s.dtype) for s in EPISODE_ARRAYS if s.required}
    yy, xx = np.mgrid[:hw[0], :hw[1]]
    t = np.arange(steps)[:, None, None, None]
    arrays["rgb"][..., 0] = (xx + 3 * t) % 256
    arrays["rgb"][..., 1] = (yy + 40 * np.arange(3)[None, :, None, None]) % 256
    arrays["action"][:] = np.sin(np.arange(steps)[:, None] / 10 + np.arange(16)[None, :])
    value = {"value/map": np.zeros((steps, 3, *hw), np.float16),
             "value/rgb": ((xx < (t * 2) % hw[1]) * 180).astype(np.uint8)[..., None].repeat(3, 1).repeat(3, -1),
             "value/phase": np.ones(steps, np.int8)}
    attrs = EpisodeAttrs(episode_id=f"bench-{index:03d}", task="place_shoe", setting="easy", seed=index,
                         instruction=INSTRUCTIONS[index % 2], control_rate_hz=16.7, physics_rate_hz=250.0,
                         num_steps=steps, image_size=hw, object_names=["shoe"], success=True)
    return EpisodeData(attrs=attrs, arrays=arrays), value


def timed_samples(loader: DataLoader, seconds: float, desc: str) -> dict:
    """Samples/s (wall and CPU) of iterating `loader` for about `seconds`."""
    n, wall0, cpu0 = 0, time.perf_counter(), time.process_time()
    with tqdm(desc=desc, unit="sample") as bar:
        while time.perf_counter() - wall0 < seconds:
            for batch in loader:
                size = len(next(iter(batch.values())))
                n += size
                bar.update(size)
                if time.perf_counter() - wall0 >= seconds:
                    break
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {"samples": n, "per_s_wall": n / wall, "per_s_cpu": n / max(cpu, 1e-9)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=4)
    parser.add_argument("--steps", type=int, default=121)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="aim-bench-data-"))
    url = str(work / "ds.zarr")
    store = DatasetStore.open(url, mode="a")
    for i in tqdm(range(args.episodes), desc="write synthetic dataset"):
        episode, value = synthetic_episode(i, args.steps, (240, 320))
        store.write_episode(episode)
        store.write_value(episode.episode_id, value, params={})
    results = {}

    pixel = PixelWindowDataset(url, LAYOUT, temporal_compression=4)
    results["pixel windows (uint8 canvases 480x640), batch %d" % args.batch] = timed_samples(
        DataLoader(pixel, batch_size=args.batch, shuffle=True), args.seconds, "pixel windows")

    toy_vae = VideoVAE.from_config(tiny_wan_vae_config(z_dim=48), seed=0)
    tok = train_unigram_tokenizer(INSTRUCTIONS)
    text = TextEncoder(tok, UMT5EncoderModel(tiny_umt5_config(len(tok), d_model=4096, num_layers=1)), max_length=64)
    frames = args.episodes * 2 * (1 + 4 * ((args.steps - 1) // 4))
    wall0, cpu0 = time.perf_counter(), time.process_time()
    build_latent_cache(url, toy_vae, text, LatentCacheConfig(camera_hw=(64, 80)), cache=work / "toy-cache.zarr")
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    results["cache build, toy VAE, 128x160 canvas (frames/s)"] = {
        "samples": frames, "per_s_wall": frames / wall, "per_s_cpu": frames / cpu}

    # aim-5b-sized latents (Wan2.2 VAE of a 480x640 canvas), written through the cache writer
    cache = work / "cache.zarr"
    store = open_dataset(url)
    cache_root = open_cache_root(store, cache)
    rng = np.random.default_rng(0)
    episodes = complete_episodes(store)
    for episode in episodes:
        n = 1 + (episode.attrs.num_steps - 1) // 4
        latents = {k: rng.standard_normal((n, 48, 30, 40)).astype(np.float16) for k in ("rgb", "value")}
        write_latents(cache_root, episode.episode_id, latents, {
            "cache_key": "bench", "vae_digest": "bench", "value_version": episode.value_version(),
            "frame_stride": 1, "temporal_compression": 4, "camera_hw": [240, 320], "num_steps": n})
    cache_text(cache_root, INSTRUCTIONS, text)
    load_or_compute_action_stats(cache_root, episodes, progress=False)
    for preload in (False, True):
        ds = LatentWindowDataset(url, LAYOUT, cache=cache, preload=preload)
        for workers in (0, 2):
            loader = DataLoader(ds, batch_size=args.batch, shuffle=True, collate_fn=collate_windows,
                                num_workers=workers, persistent_workers=workers > 0)
            name = f"latent windows 48x30x40, {'preloaded' if preload else 'zarr reads'}, {workers} workers"
            results[name] = timed_samples(loader, args.seconds, name)
    sample = collate_windows([ds[0]])
    mb = sum(t.numel() * t.element_size() for t in sample.values()) / 1e6
    print(f"\none collated latent window: {mb:.2f} MB (float32), windows in dataset: {len(ds)}")
    print("| path | samples | samples/s wall | samples/s per main-process CPU-s |\n|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['samples']} | {r['per_s_wall']:.1f} | {r['per_s_cpu']:.1f} |")


if __name__ == "__main__":
    main()
