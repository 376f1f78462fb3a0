"""What a policy sees at one control step (the environment side fills it, the policy reads it)."""
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
