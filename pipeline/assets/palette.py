"""Colour palette and procedural textures for objects and domain randomisation (Hard setting).

Object colours are drawn from a fixed, named palette so instructions can mention them ("the red
block"); textures for table and walls are generated procedurally (no image downloads).
"""

from __future__ import annotations

import numpy as np
import sapien

PALETTE: dict[str, tuple[float, float, float]] = {
    "red": (0.80, 0.12, 0.10),
    "green": (0.15, 0.62, 0.20),
    "blue": (0.12, 0.30, 0.80),
    "yellow": (0.92, 0.80, 0.10),
    "orange": (0.95, 0.50, 0.08),
    "purple": (0.50, 0.20, 0.65),
    "pink": (0.95, 0.50, 0.70),
    "cyan": (0.10, 0.70, 0.75),
    "brown": (0.45, 0.28, 0.12),
    "white": (0.92, 0.92, 0.90),
    "gray": (0.50, 0.50, 0.52),
    "black": (0.08, 0.08, 0.09),
}
TEXTURE_PATTERNS = ("stripes", "checker", "noise")


def random_color_name(rng: np.random.Generator, exclude: tuple[str, ...] = ()) -> str:
    """A palette colour name drawn uniformly, excluding `exclude`."""
    names = [name for name in PALETTE if name not in exclude]
    if not names:
        raise ValueError(f"every palette colour is excluded: {exclude}")
    return names[int(rng.integers(len(names)))]


def rgba(name: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    """RGBA of a palette colour; KeyError lists the names."""
    try:
        return (*PALETTE[name], alpha)
    except KeyError:
        raise KeyError(f"unknown colour {name!r}; palette: {', '.join(PALETTE)}") from None


def random_color(rng: np.random.Generator, exclude: tuple[str, ...] = ()) -> tuple[float, float, float, float]:
    """RGBA of a random palette colour."""
    return rgba(random_color_name(rng, exclude))


def random_texture(rng: np.random.Generator, size: tuple[int, int] = (128, 128),
                   pattern: str | None = None) -> np.ndarray:
    """Procedural RGBA texture, uint8 [H, W, 4]: stripes, checker or smooth value noise.

    Two palette colours (with a little random tint) are mixed by the pattern.
    """
    height, width = size
    if height < 2 or width < 2:
        raise ValueError(f"texture size must be at least 2x2, got {size}")
    pattern = pattern or TEXTURE_PATTERNS[int(rng.integers(len(TEXTURE_PATTERNS)))]
    first = random_color_name(rng)
    colors = np.array([PALETTE[first], PALETTE[random_color_name(rng, exclude=(first,))]])
    colors = np.clip(colors + rng.uniform(-0.08, 0.08, size=colors.shape), 0.0, 1.0)
    yy, xx = np.mgrid[0:height, 0:width] / max(height, width)
    if pattern == "stripes":
        angle = rng.uniform(0, np.pi)
        period = rng.uniform(0.05, 0.25)
        mix = (np.sin(2 * np.pi * (xx * np.cos(angle) + yy * np.sin(angle)) / period) > 0).astype(float)
    elif pattern == "checker":
        cell = rng.uniform(0.05, 0.2)
        mix = ((np.floor(xx / cell) + np.floor(yy / cell)) % 2).astype(float)
    elif pattern == "noise":
        mix = _value_noise(rng, height, width, cells=int(rng.integers(4, 12)))
    else:
        raise ValueError(f"unknown texture pattern {pattern!r}; patterns: {', '.join(TEXTURE_PATTERNS)}")
    image = colors[0] * (1.0 - mix[..., None]) + colors[1] * mix[..., None]
    alpha = np.ones((height, width, 1))
    return (np.concatenate([image, alpha], axis=-1) * 255).round().astype(np.uint8)


def _value_noise(rng: np.random.Generator, height: int, width: int, cells: int) -> np.ndarray:
    """Bilinearly interpolated random lattice in [0, 1], [H, W]."""
    lattice = rng.random((cells + 1, cells + 1))
    ys = np.linspace(0, cells, height, endpoint=False)
    xs = np.linspace(0, cells, width, endpoint=False)
    y0, x0 = ys.astype(int), xs.astype(int)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    top = lattice[y0][:, x0] * (1 - fx) + lattice[y0][:, x0 + 1] * fx
    bottom = lattice[y0 + 1][:, x0] * (1 - fx) + lattice[y0 + 1][:, x0 + 1] * fx
    return top * (1 - fy) + bottom * fy


def textured_material(texture: np.ndarray, roughness: float = 0.8) -> sapien.render.RenderMaterial:
    """SAPIEN render material whose base colour is `texture` (uint8 [H, W, 4], e.g. random_texture)."""
    if texture.dtype != np.uint8 or texture.ndim != 3 or texture.shape[2] != 4:
        raise ValueError(f"texture must be uint8 [H, W, 4], got {texture.dtype} {texture.shape}")
    material = sapien.render.RenderMaterial(base_color=(1.0, 1.0, 1.0, 1.0), roughness=roughness)
    material.base_color_texture = sapien.render.RenderTexture2D(texture, "R8G8B8A8Unorm", srgb=True)
    return material


TEXTURE_SETS: dict[str, tuple[int, int]] = {"seen": (1, 10_000), "unseen": (2, 1_000)}
"""Procedural stand-in for RoboTwin's `background_texture/{seen,unseen}` image sets:
set name -> (stream id, number of textures). Texture i of a set is `random_texture` drawn from
`np.random.default_rng([stream id, i])`, so the two sets are disjoint, fixed lists of images;
`seen` is for data collection, `unseen` only for evaluation."""


def texture_from_set(texture_set: str, index: int, size: tuple[int, int] = (64, 64)) -> np.ndarray:
    """Texture `index` of `texture_set` ("seen" / "unseen"), uint8 [H, W, 4]; same arguments, same image."""
    try:
        stream, count = TEXTURE_SETS[texture_set]
    except KeyError:
        raise KeyError(f"unknown texture set {texture_set!r}; sets: {', '.join(TEXTURE_SETS)}") from None
    if not 0 <= index < count:
        raise ValueError(f"texture index {index} outside the {texture_set} set (0..{count - 1})")
    return random_texture(np.random.default_rng([stream, index]), size)
