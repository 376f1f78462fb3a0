"""Synthetic episodes with the exact shapes and dtypes of the schema, built with numpy.

Why: the store, its CLI and its benchmark are exercised on data of realistic size and
structure without paying for a simulator run. Images are smooth gradients plus noise, so
their compression ratio is closer to rendered frames than pure noise or zeros would be.
"""
from __future__ import annotations

import numpy as np

from data_schemas.spec import (
    ACTION_DIM,
    CAMERA_NAMES,
    CONTACT_GRASP,
    DEPTH_SCALE_MM,
    PHASE_PICK,
    PHASE_PLACE,
    EpisodeAttrs,
    episode_id,
)
from data_schemas.validate import EpisodeData


def synthetic_episode(task: str = "place_shoe", setting: str = "easy", seed: int = 0, num_steps: int = 12,
                      image_size: tuple[int, int] = (24, 32), num_contacts: int = 5, num_points: int = 64,
                      segmentation: bool = True, expert_revision: int | None = None) -> EpisodeData:
    """One schema-complete episode (two tracked objects), deterministic in its arguments. `expert_revision`
    None: the task's current revision, as a fresh recording would have (1 for a name that is no task)."""
    from pipeline.tasks import list_tasks, get_task  # lazy: the registry imports the simulator

    if expert_revision is None:
        expert_revision = get_task(task).expert_revision if task in list_tasks() else 1
    rng = np.random.default_rng(seed)
    t, v, (h, w), k = num_steps, len(CAMERA_NAMES), image_size, 2
    ramp = np.linspace(0, 1, h * w, dtype=np.float32).reshape(h, w)
    phase = np.arange(t, dtype=np.float32)[:, None, None, None] / max(1, t)
    base = np.broadcast_to((ramp[None, None] + phase) % 1.0, (t, v, h, w))
    rgb = (np.stack([base, base[..., ::-1], 1 - base], -1) * 255 + rng.integers(0, 8, (t, v, h, w, 3)))
    depth_m = 0.5 + 0.5 * base
    attrs = EpisodeAttrs(
        episode_id=episode_id(task, setting, seed), task=task, setting=setting, seed=seed,
        instruction=f"synthetic {task}", control_rate_hz=250.0 / 15, physics_rate_hz=250.0, num_steps=t,
        image_size=(h, w), object_names=["target", "support"], contact_bodies=["left_finger", "support"],
        segmentation_labels=["target", "support"] if segmentation else [],
        roles={"target": "target", "support": "support"}, success=bool(seed % 2 == 0),
        expert_revision=expert_revision)
    intrinsics = np.tile(np.array([[w, 0, w / 2], [0, w, h / 2], [0, 0, 1]], np.float32), (v, 1, 1))
    arrays = {
        "rgb": np.clip(rgb, 0, 255).astype(np.uint8),
        "depth": (depth_m * DEPTH_SCALE_MM).astype(np.uint16),
        "intrinsics": intrinsics,
        "extrinsics": np.tile(np.eye(4, dtype=np.float32), (t, v, 1, 1)),
        "qpos": rng.normal(size=(t, ACTION_DIM)).astype(np.float32),
        "action": rng.normal(size=(t, ACTION_DIM)).astype(np.float32),
        "ee_pose": rng.normal(size=(t, 2, 7)).astype(np.float32),
        "object_poses": rng.normal(size=(t, k, 7)).astype(np.float32),
        "object_points": rng.normal(size=(k, num_points, 3)).astype(np.float32),
        "contacts/step": np.sort(rng.integers(0, t, num_contacts)).astype(np.int32),
        "contacts/kind": np.full(num_contacts, CONTACT_GRASP, np.int8),
        "contacts/arm": np.zeros(num_contacts, np.int8),
        "contacts/actor": np.zeros(num_contacts, np.int16),
        "contacts/other": np.zeros(num_contacts, np.int16),
        "contacts/position": rng.normal(size=(num_contacts, 3)).astype(np.float32),
        "contacts/normal": rng.normal(size=(num_contacts, 3)).astype(np.float32),
        "contacts/impulse": rng.random(num_contacts).astype(np.float32),
    }
    if segmentation:
        arrays["segmentation"] = (base * 3).astype(np.int16) - 1
    return EpisodeData(attrs=attrs, arrays=arrays)


def synthetic_value_maps(episode: EpisodeData, level: float = 0.5) -> dict[str, np.ndarray]:
    """Value arrays (value/map, value/rgb, value/phase) matching `episode`, filled with `level`."""
    t, v, h, w = episode.arrays["depth"].shape
    value = np.full((t, v, h, w), level, np.float16)
    phase = np.where(np.arange(t) < t // 2, PHASE_PICK, PHASE_PLACE).astype(np.int8)
    return {"value/map": value, "value/rgb": np.repeat((value * 255).astype(np.uint8)[..., None], 3, -1),
            "value/phase": phase}
