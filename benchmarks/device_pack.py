"""Pack a learning run's inputs small enough for one device call (64 MiB a call, benchmarks/gpu_check.sh's
machine): the training store, its held-out and arm-choice stores, and the run's latent caches and encoders.

Why: place_shoe's training store is 305 MB, almost all of it pixels that a run with a built latent cache never
reads (training reads the cached latents and the store's actions). In the training store the pixel arrays' stored
objects are packed as zero bytes of their sealed sizes, so the store's cheap integrity check (object sizes) passes
and a read of one fails loudly (its shard index checksum), never silently. The held-out store keeps its value
maps and the arm-choice store its frames: `learning.py` reads those. Compressed with xz, from Python's standard
library: the device needs no zstd binary.

    python benchmarks/device_pack.py --run benchmarks/out/pick-r2 --data data/learning --profile pick --out gpu_pack
    # there: tar -xJf gpu_pack/inputs.tar.xz -C W; learning.py --data W/data --out W/run --no-generate ...
"""
from __future__ import annotations

import argparse
import fnmatch
import io
import tarfile
from pathlib import Path

PIXEL_ARRAYS = ("rgb", "depth", "segmentation", "value/*/rgb", "value/*/map")
"""Per-episode arrays (relative to the episode group) that a run with a built latent cache does not read."""
READS = {"heldout": ("value/*/map",), "choice": ("rgb",)}
"""Pixel arrays `learning.py` does read from the other stores: the held-out true value maps (value_map_quality),
the arm-choice episodes' first frames (first_chunk_arm_choice)."""


class _Zeros(io.RawIOBase):
    """`size` zero bytes, read in pieces (tarfile copies from a file object)."""

    def __init__(self, size: int):
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n


def is_blank_object(relative: Path, blank: tuple[str, ...]) -> bool:
    """True for a stored object (not metadata) of an array in `blank`: episodes/<id>/<array>/c/..."""
    parts = relative.parts
    if len(parts) < 4 or parts[0] != "episodes" or "c" not in parts[2:]:
        return False
    array = "/".join(parts[2:parts.index("c", 2)])
    return any(fnmatch.fnmatchcase(array, pattern) for pattern in blank)


def add_store(tar: tarfile.TarFile, store: Path, arcname: str, blank: tuple[str, ...]) -> tuple[int, int]:
    """Add a Zarr store, the objects of the arrays in `blank` as zeros of their size. Returns (files, blanked bytes)."""
    files = blanked = 0
    for path in sorted(store.rglob("*")):
        name = f"{arcname}/{path.relative_to(store)}"
        if path.is_dir():
            tar.add(path, name, recursive=False)
        elif is_blank_object(path.relative_to(store), blank):
            info = tar.gettarinfo(path, name)
            tar.addfile(info, io.BufferedReader(_Zeros(info.size)))
            blanked += info.size
        else:
            tar.add(path, name)
        files += path.is_file()
    return files, blanked


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run", type=Path, required=True, help="learning.py --out folder with latent_cache, "
                                                           "heldout_cache and runs/aim/encoders")
    p.add_argument("--data", type=Path, required=True, help="learning.py --data root")
    p.add_argument("--profile", required=True)
    p.add_argument("--choice", type=Path, help="a smaller <profile>-choice store to pack instead (e.g. 2 episodes)")
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args()
    for need in (args.run / "latent_cache", args.run / "heldout_cache", args.run / "runs/aim/encoders",
                 args.data / args.profile / "dataset.zarr"):
        if not need.exists():
            raise SystemExit(f"device_pack.py: {need} is missing: run learning.py --profile {args.profile} first")
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / "inputs.tar.xz"
    with tarfile.open(target, "w:xz", preset=6) as tar:
        files, blanked = add_store(tar, args.data / args.profile / "dataset.zarr", f"data/{args.profile}/dataset.zarr",
                                   PIXEL_ARRAYS)
        for suffix, reads in READS.items():
            store = args.choice if suffix == "choice" and args.choice else \
                args.data / f"{args.profile}-{suffix}" / "dataset.zarr"
            blank = tuple(a for a in PIXEL_ARRAYS if a not in reads)
            blanked += add_store(tar, store, f"data/{args.profile}-{suffix}/dataset.zarr", blank)[1]
        for part in ("latent_cache", "heldout_cache", "runs/aim/encoders"):
            tar.add(args.run / part, f"run/{part}")
    print(f"{target}: {target.stat().st_size / 2**20:.1f} MiB ({files} training-store files, "
          f"{blanked / 2**20:.0f} MiB of pixels blanked)")


if __name__ == "__main__":
    main()
