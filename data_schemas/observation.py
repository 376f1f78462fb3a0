"""What a policy sees at one control step: the simulator's `TaskEnv` fills it, a policy reads it.

Why here: it is the contract between `pipeline` (the environment) and `aim_core` (the policy), which
must not import each other's sides (the model stays free of the simulator)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
