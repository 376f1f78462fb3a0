"""Benchmark of the dataset store: write/read throughput, compression, files per episode.

Episodes are schema-exact synthetic ones (`pipeline.record.synthetic`) of realistic size:
by default 150 steps, 3 cameras at 240x320, with depth and segmentation. Run:

    .venv/bin/python benchmarks/store.py [--steps 150] [--size 240x320] [--episodes 3]
    .venv/bin/python benchmarks/store.py --real-store PATH   # recorded episodes instead

and copy the printed table into the "Store" section of benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import track
from rich.table import Table

from data_schemas import EpisodeData
from pipeline.record.store import DatasetStore
from pipeline.record.synthetic import synthetic_episode, synthetic_value_maps


def _files_and_bytes(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def _timed(fn) -> tuple[float, float]:
    """(wall s, CPU s of this process) of one call: CPU time is robust to other jobs on the VM."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def measure(episodes: list[EpisodeData], root: Path) -> dict[str, float]:
    """Write, read and annotate each episode into a fresh store under `root`; medians."""
    store = DatasetStore.open(root / "bench.zarr", mode="a")
    raw_mb = float(np.median([sum(a.nbytes for a in ep.arrays.values()) for ep in episodes])) / 1e6
    steps = episodes[0].attrs.num_steps
    starts = range(0, max(1, steps - 8), 16)
    write, read, window, value = [], [], [], []
    for ep in track(episodes, description="write + read + write_value"):
        write.append(_timed(lambda: store.write_episode(ep)))
        read.append(_timed(lambda: store.read_episode(ep.episode_id)))
        rgb = store.array(ep.episode_id, "rgb")
        window.append(_timed(lambda: [rgb[s:s + 8, 0] for s in starts]))  # training windows, head camera
        maps = synthetic_value_maps(ep)
        value.append(_timed(lambda: store.write_value(ep.episode_id, maps, {"digest": "bench"})))
    episode_dir = root / "bench.zarr" / "episodes" / episodes[0].episode_id
    files, stored = _files_and_bytes(episode_dir)
    value_files, value_bytes = _files_and_bytes(episode_dir / "value")
    wall = {k: float(np.median([t[0] for t in v])) for k, v in
            {"write": write, "read": read, "window": window, "value": value}.items()}
    cpu = {k: float(np.median([t[1] for t in v])) for k, v in
           {"write": write, "read": read, "window": window, "value": value}.items()}
    return {
        "raw MB / episode (episode arrays)": raw_mb,
        "compression ratio (episode arrays)": raw_mb * 1e6 / (stored - value_bytes),
        "stored MB / episode (with value maps)": stored / 1e6,
        "files / episode (with one value version)": files,
        "files / value version": value_files - 1,
        "write MB/s (wall | CPU)": (raw_mb / wall["write"], raw_mb / cpu["write"]),
        "write episodes/s (wall | CPU)": (1 / wall["write"], 1 / cpu["write"]),
        "read MB/s, whole episode (wall | CPU)": (raw_mb / wall["read"], raw_mb / cpu["read"]),
        "read episodes/s (wall | CPU)": (1 / wall["read"], 1 / cpu["read"]),
        "8-step 1-camera rgb window ms (wall | CPU)": (1e3 * wall["window"] / len(starts),
                                                       1e3 * cpu["window"] / len(starts)),
        "write_value s / episode (wall | CPU)": (wall["value"], cpu["value"]),
    }


def measure_index(count: int, root: Path) -> dict[str, float]:
    """Cost of the index over `count` tiny episodes: rebuild, fresh read, and a stale read (scan)."""
    store = DatasetStore.open(root / "index.zarr", mode="a")
    for seed in track(range(count), description=f"writing {count} tiny episodes"):
        store.write_episode(synthetic_episode(seed=seed, num_steps=2, image_size=(8, 8), num_contacts=1,
                                              num_points=4))
    rebuild = _timed(store.update_index)[0]
    fresh = _timed(store.read_index)[0]
    store.write_episode(synthetic_episode(seed=count, num_steps=2, image_size=(8, 8), num_contacts=1, num_points=4))
    stale = _timed(store.read_index)[0]
    return {f"update_index ms / episode ({count} episodes)": 1e3 * rebuild / count,
            f"read_index ms, index fresh ({count} episodes)": 1e3 * fresh,
            f"read_index ms, index stale -> scan ({count} episodes)": 1e3 * stale}


def real_episodes(url: str, count: int) -> list[EpisodeData]:
    """Up to `count` recorded episodes of an existing store, loaded into memory (value maps dropped)."""
    source = DatasetStore.open(url, mode="r")
    ids = source.episode_ids()[:count]
    if not ids:
        raise SystemExit(f"{url} has no complete episodes")
    return [source.read_episode(i, names=[n for n in source.arrays(i) if not n.startswith("value/")]) for i in ids]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--size", default="240x320", help="HxW of each camera")
    parser.add_argument("--episodes", type=int, default=3)
    parser.add_argument("--real-store", help="benchmark on the episodes of this recorded store instead")
    parser.add_argument("--index-episodes", type=int, default=300, help="episodes for the index timing (0: skip)")
    args = parser.parse_args()
    if args.real_store:
        episodes = real_episodes(args.real_store, args.episodes)
        h, w = episodes[0].attrs.image_size
        title = f"store, recorded episodes of {args.real_store}: {episodes[0].attrs.num_steps} steps, 3 cameras {h}x{w}"
    else:
        h, w = (int(x) for x in args.size.split("x"))
        episodes = [synthetic_episode(seed=s, num_steps=args.steps, image_size=(h, w), num_points=2048,
                                      num_contacts=1500) for s in range(args.episodes)]
        title = f"store, synthetic episodes: {args.steps} steps, 3 cameras {h}x{w}"
    with tempfile.TemporaryDirectory() as tmp:
        results = measure(episodes, Path(tmp))
        if args.index_episodes:
            results.update(measure_index(args.index_episodes, Path(tmp)))
    table = Table(title=f"{title}, median of {len(episodes)}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in results.items():
        text = " | ".join(f"{v:.3g}" for v in value) if isinstance(value, tuple) else f"{value:.3g}"
        table.add_row(name, text)
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
