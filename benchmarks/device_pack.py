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
    # or all of it, with the run's recipe: GPU_CHECK_PACK=gpu_pack/inputs.tar.xz GPU_CHECK_PROFILE=pick
    #   GPU_CHECK_RECIPE="..." bash benchmarks/gpu_check.sh (its part 3)
"""
from __future__ import annotations

import argparse
import fnmatch
import io
import json
import tarfile
from pathlib import Path

from learning import store_names

from aim_core.training.model_presets import run_model_config

PIXEL_ARRAYS = ("rgb", "depth", "segmentation", "value/*/rgb", "value/*/map")
"""Per-episode arrays (relative to the episode group) that a run with a built latent cache does not read."""
READS = {"heldout": ("value/*/map",), "choice": ("rgb",)}
"""Pixel arrays `learning.py` does read from the other stores: the held-out true value maps (value_map_quality),
the arm-choice episodes' first frames (first_chunk_arm_choice)."""
RUN_PARTS = ("latent_cache", "heldout_cache", "runs/aim/encoders")
"""What a device run reuses from the learning run here (`learning.py --out`): it then trains without the VAE."""
DEVICE_CALL_MIB = 64
"""What one device call carries (the device tool's limit); a bigger pack is written, and said to be too big."""


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


def pack_inputs(run: Path, data: Path, profile: str, target: Path, expert_noise_rad: float = 0.0,
                choice: Path | None = None) -> str:
    """Write `target` (an xz tar: data/<store>/dataset.zarr for the training, held-out and arm-choice stores, as
    `learning.py` names them under --data, and run/<part> for the latent caches and encoders); returns a summary.
    SystemExit(one line) if an input is missing."""
    noise = f" --expert-noise {expert_noise_rad:g}" if expert_noise_rad else ""

    def existing(path: Path) -> Path:
        if not path.exists():
            raise SystemExit(f"device_pack.py: {path} is missing: run learning.py --profile {profile}{noise} first")
        return path

    config = existing(run / "runs/aim/train_config.json")
    for part in RUN_PARTS:
        existing(run / part)
    pixels = reads_head_camera(config)
    training, heldout, arm_choice = store_names(profile, expert_noise_rad)
    stores = {}
    for name, reads in ((training, ()), (heldout, READS["heldout"]), (arm_choice, READS["choice"])):
        source = existing(choice if name == arm_choice and choice else data / name / "dataset.zarr")
        stores[name] = (source, tuple(a for a in PIXEL_ARRAYS if a not in reads and not (pixels and a == "rgb")))
    files = blanked = 0
    with tarfile.open(target, "w:xz", preset=6) as tar:
        for name, (source, blank) in stores.items():
            added, zeros = add_store(tar, source, f"data/{name}/dataset.zarr", blank)
            files, blanked = files + added, blanked + zeros
        for part in RUN_PARTS:
            tar.add(run / part, f"run/{part}")
    size = target.stat().st_size / 2**20
    return (f"{target}: {size:.1f} MiB ({', '.join(stores)}; {files} store files, {blanked / 2**20:.0f} MiB of "
            f"pixels blanked{'; rgb kept: the action prior reads the head camera' if pixels else ''})"
            + (f"; over a device call's {DEVICE_CALL_MIB} MiB" if size > DEVICE_CALL_MIB else ""))


def reads_head_camera(train_config: Path) -> bool:
    """Whether the run's model reads the head camera's pixels (`AIMConfig.action_prior_pixels`): its training and
    probes then read the stores' rgb, which must travel."""
    config = json.loads(train_config.read_text())
    return any(run_model_config(config["model"], config["model_overrides"], {}).action_prior_pixels)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run", type=Path, required=True, help="learning.py --out folder with latent_cache, "
                                                           "heldout_cache and runs/aim/encoders")
    p.add_argument("--data", type=Path, required=True, help="learning.py --data root")
    p.add_argument("--profile", required=True)
    p.add_argument("--expert-noise", type=float, default=0.0, metavar="RAD",
                   help="the run's learning.py --expert-noise: pack its <profile>-noise<std> training store")
    p.add_argument("--choice", type=Path, help="a smaller <profile>-choice store to pack instead (e.g. 2 episodes)")
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    print(pack_inputs(args.run, args.data, args.profile, args.out / "inputs.tar.xz", args.expert_noise, args.choice))


if __name__ == "__main__":
    main()
