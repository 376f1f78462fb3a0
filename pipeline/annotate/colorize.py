"""Fixed colour mapping of value maps into the 3-channel image the VAE encodes.

Pure black means "no value": index 0 of every lookup table is forced to (0, 0, 0), so an empty map
and the background of a map are indistinguishable from a black frame.
"""
from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

_COLORMAPS = {name[len("COLORMAP_"):].lower(): getattr(cv2, name) for name in dir(cv2) if name.startswith("COLORMAP_")}


@lru_cache(maxsize=None)
def colormap_lut(name: str) -> np.ndarray:
    """[256, 3] uint8 RGB lookup table for an OpenCV colour map name, entry 0 black."""
    if name not in _COLORMAPS:
        raise ValueError(f"unknown colour map {name!r}; choose one of {sorted(_COLORMAPS)}")
    ramp = np.arange(256, dtype=np.uint8).reshape(256, 1)
    lut = cv2.applyColorMap(ramp, _COLORMAPS[name])[:, 0, ::-1].copy()  # BGR -> RGB
    lut[0] = 0
    lut.setflags(write=False)
    return lut


def colorize(values: np.ndarray, colormap: str) -> np.ndarray:
    """Map values in [0, 1] (any shape) to uint8 RGB (shape + (3,))."""
    index = np.clip(np.rint(np.asarray(values, dtype=np.float32) * 255.0), 0, 255).astype(np.uint8)
    return np.take(colormap_lut(colormap), index, axis=0)
