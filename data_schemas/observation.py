"""What a policy sees at one control step: the simulator's `TaskEnv` fills it, a policy reads it.

Why here: it is the contract between `pipeline` (the environment) and `aim_core` (the policy), which
must not import each other's sides (the model stays free of the simulator)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data_schemas.spec import ACTION_DIM, ACTION_LAYOUT, ARMS, TCP_LAYOUT


@dataclass
class Observation:
    images: np.ndarray
    """uint8 [V, H, W, 3], cameras in CAMERA_NAMES order."""
    qpos: np.ndarray
    """float32 [ACTION_DIM] measured joints, ACTION_LAYOUT order."""
    instruction: str
    step: int
    ee_pose: np.ndarray | None = None
    """float32 [2, 7] both TCP poses, world frame, xyz + wxyz (as the store's `ee_pose`); None where the
    environment does not give them (a policy whose action prior reads the grippers then refuses)."""


def tcp_states(ee_pose: np.ndarray, qpos: np.ndarray) -> np.ndarray:
    """Measured TCP poses [..., 2, 7] and joints [..., ACTION_DIM] -> the state in TCP_LAYOUT [..., ACTION_DIM] (the
    grippers' measured openings): what relative TCP targets are offsets from (their positions; quaternions as
    measured)."""
    ee_pose, qpos = np.asarray(ee_pose, dtype=np.float32), np.asarray(qpos, dtype=np.float32)
    if ee_pose.shape[-2:] != (len(ARMS), 7) or qpos.shape[-1] != ACTION_DIM:
        raise ValueError(f"TCP states need ee_pose [..., {len(ARMS)}, 7] and qpos [..., {ACTION_DIM}], got "
                         f"{list(ee_pose.shape)} and {list(qpos.shape)}")
    out = np.empty(qpos.shape, dtype=np.float32)
    for i, arm in enumerate(ARMS):
        out[..., TCP_LAYOUT[f"{arm}_pose"]] = ee_pose[..., i, :]
        out[..., TCP_LAYOUT[f"{arm}_gripper"]] = qpos[..., ACTION_LAYOUT[f"{arm}_gripper"]]
    return out
