"""Simple solids: the block (stack / beat / place tasks), the Rubik's cube (place_object_stand) and
flat target pads (shoe mat, pad, coaster).

Pads are thin and flat: they mark a target region on the table and expose a functional "top"
whose x axis gives the target orientation (e.g. heel-to-toe for the shoe mat).
"""

from __future__ import annotations

import numpy as np
import trimesh

from pipeline.assets.geometry import box, cylinder
from pipeline.assets.kinds.common import draw, pick_color, resting_points, yawed_top_grasps
from pipeline.assets.object_asset import ObjectAsset, PhysicalMaterial, VisualPart
from pipeline.assets.palette import rgba
from pipeline.assets.registry import declare_lookalikes, register_kind

WOOD_DENSITY = 600.0
FOAM_DENSITY = 200.0
PUZZLE_DENSITY = 550.0
"""kg/m^3; a 5.7 cm Rubik's cube weighs about 100 g."""
FIXED_BLOCK_EDGE = (0.03, 0.068)
"""Edges a task may fix: from RoboTwin's smallest ranking cube to a grasp that still clamps < 0.07 m."""


@register_kind("block")
def make_block(rng: np.random.Generator, *, size: float | None = None, color=None, name: str = "block") -> ObjectAsset:
    """Cube of edge 4-5 cm in a random palette colour, graspable from above along either side.
    A task may fix any edge in FIXED_BLOCK_EDGE (RoboTwin's ranking cubes span 3-6.6 cm)."""
    sample = draw(rng, None, 0.04, 0.05, "size")  # drawn either way: fixing the size keeps the colour draw
    if size is not None and not FIXED_BLOCK_EDGE[0] <= size <= FIXED_BLOCK_EDGE[1]:
        raise ValueError(f"size={size} outside the supported range {list(FIXED_BLOCK_EDGE)}")
    size = sample if size is None else float(size)
    color = pick_color(rng, color)
    mesh = box((size, size, size), (0.0, 0.0, size / 2))
    return ObjectAsset(
        name=name, kind="block",
        visuals=[VisualPart(mesh, color)], collisions=[mesh],
        mass=WOOD_DENSITY * mesh.volume, **_cube_handling(size),
    )


def _cube_handling(size: float) -> dict:
    """Grasps and points of a cube of edge `size` standing on z = 0 (block, Rubik's cube): grasped
    from above along either side, resting on its bottom, contacts at its top and centre."""
    center = (0.0, 0.0, size / 2)
    return {"grasps": yawed_top_grasps(center, (0, 90, 180, 270)), "grasp_labels": ["top"] * 4,
            "functional_points": resting_points(size),
            "contact_points": {"top": np.array([0.0, 0.0, size]), "center": np.array(center)}}


STICKER_COLOURS = ("white", "yellow", "red", "orange", "blue", "green")
"""A Rubik's cube's six face colours."""
STICKER_SHARE, STICKER_THICKNESS = 0.85, 0.0008
"""A facelet sticker covers this share of its cell's side (the dark body shows between); half its
thickness stands proud of the face, so the face never flickers through it."""
CUBE_FACES = ((2, 1), (0, 1), (0, -1), (1, 1), (1, -1))
"""(axis, sign) of the faces that carry stickers: all but the bottom, which stands on the support."""


def _facelets(size: float, axis: int, sign: int) -> list[trimesh.Trimesh]:
    """The 3x3 sticker boxes of one face of a cube of edge `size` standing on z = 0."""
    cell = size / 3
    extents = np.full(3, STICKER_SHARE * cell)
    extents[axis] = STICKER_THICKNESS
    in_face = [k for k in range(3) if k != axis]
    stickers = []
    for i in (-1, 0, 1):
        for j in (-1, 0, 1):
            center = np.array([0.0, 0.0, size / 2])
            center[in_face] += (i * cell, j * cell)
            center[axis] += sign * size / 2
            stickers.append(box(extents, center))
    return stickers


@register_kind("rubiks_cube")
def make_rubiks_cube(rng: np.random.Generator, *, size: float | None = None, color=None,
                     name: str = "rubiks_cube") -> ObjectAsset:
    """Rubik's cube of edge 5.5-5.7 cm: a dark body (`color`, default black) with 3x3 coloured
    stickers on its five visible faces, solved (one colour a face, the six colours in a random
    order) or scrambled (each sticker any colour); graspable from above along either side, as
    the block."""
    size = draw(rng, size, 0.055, 0.057, "size")
    scrambled = bool(rng.random() < 0.5)
    face_colours = rng.permutation(len(STICKER_COLOURS))
    scramble = rng.integers(len(STICKER_COLOURS), size=(len(CUBE_FACES), 9))
    body_color = rgba("black") if color is None else pick_color(rng, color)
    body = box((size, size, size), (0.0, 0.0, size / 2))
    by_colour: dict[int, list[trimesh.Trimesh]] = {}
    for face, (axis, sign) in enumerate(CUBE_FACES):
        for cell, sticker in enumerate(_facelets(size, axis, sign)):
            colour = scramble[face, cell] if scrambled else face_colours[face]
            by_colour.setdefault(int(colour), []).append(sticker)
    stickers = [VisualPart(trimesh.util.concatenate(parts), rgba(STICKER_COLOURS[colour]))
                for colour, parts in sorted(by_colour.items())]
    return ObjectAsset(
        name=name, kind="rubiks_cube",
        visuals=[VisualPart(body, body_color), *stickers], collisions=[body],
        mass=PUZZLE_DENSITY * body.volume, **_cube_handling(size),
    )


def _flat_pad(kind: str, mesh, color, name: str, thickness: float) -> ObjectAsset:
    """A thin pad lying on the table; functional/contact "top" at its upper centre."""
    return ObjectAsset(
        name=name, kind=kind,
        visuals=[VisualPart(mesh, color)], collisions=[mesh],
        mass=FOAM_DENSITY * mesh.volume,
        functional_points=resting_points(thickness),
        contact_points={"top": np.array([0.0, 0.0, thickness])},
        material=PhysicalMaterial(static_friction=1.2, dynamic_friction=1.0),
    )


@register_kind("shoe_mat")
def make_shoe_mat(rng: np.random.Generator, *, length: float | None = None, width: float | None = None,
                  color=None, name: str = "shoe_mat") -> ObjectAsset:
    """Rectangular mat a shoe is placed on; its "top" x axis is the heel-to-toe target direction."""
    length = draw(rng, length, 0.16, 0.19, "length")
    width = draw(rng, width, 0.09, 0.11, "width")
    thickness = 0.004
    mesh = box((length, width, thickness), (0.0, 0.0, thickness / 2))
    return _flat_pad("shoe_mat", mesh, pick_color(rng, color), name, thickness)


@register_kind("target_pad")
def make_target_pad(rng: np.random.Generator, *, size: float | None = None, color=None,
                    name: str = "target_pad") -> ObjectAsset:
    """Square pad marking where an object must be placed."""
    size = draw(rng, size, 0.08, 0.12, "size")
    thickness = 0.003
    mesh = box((size, size, thickness), (0.0, 0.0, thickness / 2))
    return _flat_pad("target_pad", mesh, pick_color(rng, color), name, thickness)


@register_kind("coaster")
def make_coaster(rng: np.random.Generator, *, radius: float | None = None, color=None,
                 name: str = "coaster") -> ObjectAsset:
    """Round coaster a cup is placed on."""
    radius = draw(rng, radius, 0.045, 0.055, "radius")
    thickness = 0.005
    mesh = cylinder(radius, thickness, sections=40)
    return _flat_pad("coaster", mesh, pick_color(rng, color), name, thickness)


declare_lookalikes("rubiks_cube", "block")  # cubes a few centimetres across
