"""Fixtures of tests/data: a real Zarr v3 AIM store written with zarr from synthetic arrays.

Pixels and actions encode their own step index, so a test can read a window back and check
which recorded steps it holds: rgb[t, v, y, x] = (t, 40 v + 1, 7), value/rgb[t, v] =
(t, 200, 40 v + 3) (the top canvas corners stay black), action[t, d] = t + 1000 d.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import zarr

from data_schemas import (
    ARRAYS_BY_NAME,
    EPISODES_GROUP,
    INDEX_GROUP,
    SCHEMA_VERSION,
    STORE_FORMAT,
    TIME_CHUNK,
    EpisodeAttrs,
)

CAMERA_HW = (8, 8)

torch.set_num_threads(1)  # the toy models are tiny; on a shared 2-core VM thread spinning costs 30x


def episode_arrays(num_steps: int, hw: tuple[int, int] = CAMERA_HW) -> dict[str, np.ndarray]:
    dims = {"T": num_steps, "V": 3, "H": hw[0], "W": hw[1], "D": 16}
    arrays = {name: np.zeros(ARRAYS_BY_NAME[name].resolve(dims), ARRAYS_BY_NAME[name].dtype)
              for name in ("rgb", "qpos", "action", "value/map", "value/rgb", "value/phase")}
    t = np.arange(num_steps)
    arrays["rgb"][..., 0] = t[:, None, None, None]
    arrays["rgb"][..., 1] = (40 * np.arange(3) + 1)[None, :, None, None]
    arrays["rgb"][..., 2] = 7
    arrays["value/rgb"][..., 0] = t[:, None, None, None]
    arrays["value/rgb"][..., 1] = 200
    arrays["value/rgb"][..., 2] = (40 * np.arange(3) + 3)[None, :, None, None]
    arrays["value/map"][:] = 0.5
    arrays["value/phase"][:] = 1
    arrays["action"][:] = t[:, None] + 1000.0 * np.arange(16)[None, :]
    arrays["qpos"][:] = arrays["action"]
    return arrays


def write_episode(root: zarr.Group, episode_id: str, num_steps: int, instruction: str = "pick up the shoe",
                  annotated: bool = True, complete: bool = True, task: str = "place_shoe",
                  hw: tuple[int, int] = CAMERA_HW, success: bool = True) -> None:
    """One episode in the store layout: value maps in version `v0001`, made live by the `value` attrs."""
    attrs = EpisodeAttrs(episode_id=episode_id, task=task, setting="easy", seed=0, instruction=instruction,
                         control_rate_hz=250 / 15, physics_rate_hz=250.0, num_steps=num_steps, image_size=hw,
                         object_names=["shoe"], success=success, complete=False)
    group = root[EPISODES_GROUP].create_group(episode_id, attributes=attrs.model_dump(mode="json"))
    for name, data in episode_arrays(num_steps, hw).items():
        if name.startswith("value/"):
            if not annotated:
                continue
            name = "value/v0001/" + name.split("/", 1)[1]
        arr = group.create_array(name, shape=data.shape, dtype=data.dtype,
                                 chunks=(min(TIME_CHUNK, num_steps), *data.shape[1:]))
        arr[...] = data
    if annotated:
        group["value"].update_attributes({"live": "v0001", "params": {"sigma": 1.0}})
    if complete:
        group.update_attributes({"complete": True})


@pytest.fixture
def add_episode():
    """add_episode(store_path, episode_id, num_steps, **write_episode kwargs)."""
    return lambda path, *args, **kwargs: write_episode(zarr.open_group(str(path), mode="r+"), *args, **kwargs)


@pytest.fixture
def make_store(tmp_path: Path):
    """make_store({episode_id: num_steps}, **write_episode kwargs) -> path of a new AIM store."""
    def make(episodes: dict[str, int], name: str = "ds.zarr", **kwargs) -> Path:
        path = tmp_path / name
        root = zarr.open_group(str(path), mode="w", zarr_format=3,
                               attributes={"format": STORE_FORMAT, "schema_version": SCHEMA_VERSION})
        root.create_group(EPISODES_GROUP)
        root.create_group(INDEX_GROUP)
        for episode_id, num_steps in episodes.items():
            write_episode(root, episode_id, num_steps, **kwargs)
        return path
    return make
