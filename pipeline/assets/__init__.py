"""Procedural objects with grasp / functional / contact annotations, and their SAPIEN builders.

Public API: `make_asset(kind, rng, **kw) -> ObjectAsset`, `list_asset_kinds()`,
`build_actor(scene, asset, pose, static=False, name=None)`, `build_articulation(scene, asset, pose)`,
`hinge_link(articulation, asset)`, `DISTRACTOR_KINDS` (Hard-setting clutter),
`random_texture(rng, size)`, `textured_material(texture)`, `PALETTE`, `random_color(rng)`.
"""

from pipeline.assets import kinds  # noqa: F401  (registers every kind)
from pipeline.assets.kinds.distractors import DISTRACTOR_KINDS
from pipeline.assets.object_asset import Hinge, ObjectAsset, PhysicalMaterial, VisualPart, graspable_width
from pipeline.assets.palette import (PALETTE, TEXTURE_SETS, random_color, random_color_name, random_texture, rgba,
                                     texture_from_set, textured_material)
from pipeline.assets.registry import (clutter_kinds, declare_lookalikes, draw_kind, list_asset_kinds, lookalikes, make_asset,
                                      register_kind)
from pipeline.assets.sapien_build import build_actor, build_articulation, hinge_link

__all__ = [
    "DISTRACTOR_KINDS", "PALETTE", "clutter_kinds", "declare_lookalikes", "draw_kind", "lookalikes", "Hinge", "ObjectAsset", "PhysicalMaterial", "VisualPart", "build_actor",
    "build_articulation", "graspable_width", "hinge_link", "list_asset_kinds", "make_asset", "random_color",
    "random_color_name", "random_texture", "register_kind", "rgba", "textured_material", "TEXTURE_SETS",
    "texture_from_set",
]
