"""Chunk, shard and codec choices for every array the dataset store writes.

Why a module of its own: the layout decides read speed (a training window touches a few
consecutive steps of one camera), compression ratio and the number of files per episode, and
writer, benchmark and tests must agree on it. Rules:

- time-major arrays are chunked every `TIME_CHUNK` steps and, when the second axis is the
  camera axis, one camera per inner chunk (reading one view decodes only that view);
- the inner chunks are packed into shards of up to `TIME_SHARD` steps (zarr v3 sharding), so
  an episode's array is one file instead of one file per chunk;
- arrays without a time axis are small: one chunk, no shard;
- everything is compressed with Blosc zstd and byte shuffle, then checksummed with crc32c
  (`CHECKSUM`), so a damaged chunk fails to decode instead of reading back as wrong numbers.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from zarr.codecs import BloscCodec, Crc32cCodec

from data_schemas.spec import ARRAYS_BY_NAME, TIME_CHUNK, TIME_SHARD

COMPRESSOR = BloscCodec(cname="zstd", clevel=3, shuffle="shuffle")
CHECKSUM = Crc32cCodec()


@dataclass(frozen=True)
class ArrayLayout:
    """Arguments for `zarr.Group.create_array` besides name, shape and dtype."""

    chunks: tuple[int, ...]
    shards: tuple[int, ...] | None

    def create_kwargs(self) -> dict:
        return {"chunks": self.chunks, "shards": self.shards, "compressors": (COMPRESSOR, CHECKSUM),
                "fill_value": 0}


def _time_major(name: str, shape: tuple[int, ...], num_steps: int) -> bool:
    spec = ARRAYS_BY_NAME.get(name)
    if spec is not None:
        return spec.time_major
    return len(shape) > 0 and shape[0] == num_steps  # extra value/* arrays, e.g. point clouds


def _has_camera_axis(name: str) -> bool:
    spec = ARRAYS_BY_NAME.get(name)
    return spec is not None and len(spec.shape) > 1 and spec.shape[1] == "V"


def array_layout(name: str, shape: tuple[int, ...], num_steps: int) -> ArrayLayout:
    """Layout of the array `name` (schema name, e.g. "rgb" or "value/map") of the given shape."""
    if not _time_major(name, shape, num_steps) or len(shape) == 0:
        return ArrayLayout(chunks=tuple(max(1, d) for d in shape) or (1,), shards=None)
    rest = [max(1, d) for d in shape[1:]]
    if _has_camera_axis(name):
        rest[0] = 1
    chunks = (TIME_CHUNK, *rest)
    shard_steps = min(TIME_SHARD, TIME_CHUNK * math.ceil(max(1, shape[0]) / TIME_CHUNK))
    shards = (shard_steps, *(max(1, d) for d in shape[1:]))
    return ArrayLayout(chunks=chunks, shards=shards)
