"""Task base class (ManiSkill / RoboTwin style): objects, scripted expert, success check, language.

A task subclass declares its instruction templates and implements `load_objects`, `play_once`
and `check_success`; the base class gives it the expert primitives (`self.expert`), object
bookkeeping (`add_object`: tracked actors, surface points, segmentation labels), hard-setting
clutter (`add_distractors`) and the contact rules derived from `roles`.
See pipeline/tasks/README.md for a walk-through.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import ClassVar

import numpy as np
import sapien

from pipeline.assets import DISTRACTOR_KINDS, ObjectAsset, build_actor, build_articulation, make_asset
from pipeline.sim.contacts import ContactRules
from pipeline.sim.env import SimEnv
from pipeline.sim.primitives import Expert


def footprint_radius(asset: ObjectAsset) -> float:
    """Radius of the disc covering the asset's table footprint."""
    return float(np.linalg.norm(asset.bounds[1, :2] - asset.bounds[0, :2]) / 2)


class Task(ABC):
    """One manipulation task on a `SimEnv`. Subclasses set the ClassVars and three methods."""

    name: ClassVar[str]
    seen_templates: ClassVar[tuple[str, ...]]
    """Instruction templates for training (`str.format` fields from `instruction_fields`)."""
    unseen_templates: ClassVar[tuple[str, ...]]
    """Held-out templates used in the hard setting."""
    arms: ClassVar[tuple[str, ...]] = ("left", "right")
    """Arms the expert may use (single-arm tasks pick one per episode by object position)."""

    def __init__(self, env: SimEnv):
        self.env = env
        self.expert = Expert(env)
        self.actors: dict[str, sapien.Entity] = {}
        self.assets: dict[str, ObjectAsset] = {}
        self.tracked: list[str] = []
        self.surface_samplers: dict[str, Callable[[int, np.random.Generator], np.ndarray]] = {}
        """Tracked name -> sampler of surface points in that actor's (or link's) own frame."""
        self.roles: dict[str, str] = {}
        """{"target": actor, "support": actor} or {"pressed": actor} (+ optional "tool")."""
        self.instruction_fields: dict[str, str] = {}
        self._occupied: list[tuple[np.ndarray, float]] = []

    # -- to implement --------------------------------------------------------------------------
    @abstractmethod
    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        """Create the task's actors with `add_object`, set `roles` and `instruction_fields`."""

    @abstractmethod
    def play_once(self) -> None:
        """The scripted expert: a sequence of `self.expert` primitives (may raise PlanningError)."""

    @abstractmethod
    def check_success(self) -> bool:
        """Whether the world state satisfies the task goal now."""

    # -- provided ------------------------------------------------------------------------------
    @property
    def table_z(self) -> float:
        return self.env.workspace.table_top_z

    def add_object(self, name: str, asset: ObjectAsset, pose: sapien.Pose, static: bool = False,
                   tracked: bool = True, footprint: float | None = None) -> sapien.Entity:
        """Build `asset` at `pose`; tracked actors are recorded (poses, points, segmentation).
        `footprint` (radius, m) reserves table space so distractors keep clear."""
        if name in self.actors:
            raise ValueError(f"{self.name}: actor name {name!r} used twice")
        actor = build_actor(self.env.scene, asset, pose, static=static, name=name)
        self.actors[name], self.assets[name] = actor, asset
        if tracked:
            self.tracked.append(name)
            self.surface_samplers[name] = asset.surface_points
        self._reserve(pose, footprint if footprint is not None else footprint_radius(asset))
        return actor

    def add_articulation(self, name: str, asset: ObjectAsset, pose: sapien.Pose, fix_base: bool = False,
                         angle: float | None = None,
                         footprint: float | None = None) -> sapien.physx.PhysxArticulation:
        """Build a hinged asset (laptop); both links are tracked as `<name>_base` and
        `<name>_<hinge>` (their link entities in `self.actors`)."""
        articulation = build_articulation(self.env.scene, asset, pose, name=name, fix_base=fix_base, angle=angle)
        base, child = articulation.get_links()
        for link, sampler in ((base, asset.surface_points), (child, asset.hinge.surface_points)):
            link_name = link.get_name()
            if link_name in self.actors:
                raise ValueError(f"{self.name}: actor name {link_name!r} used twice")
            self.actors[link_name], self.assets[link_name] = link.entity, asset
            self.tracked.append(link_name)
            self.surface_samplers[link_name] = sampler
        self._reserve(pose, footprint if footprint is not None else footprint_radius(asset))
        return articulation

    def _reserve(self, pose: sapien.Pose, radius: float) -> None:
        self._occupied.append((np.asarray(pose.p[:2], dtype=float), radius))

    def free_spot(self, rng: np.random.Generator, radius: float, x_range=(-0.45, 0.45),
                  y_range=(-0.25, 0.25), tries: int = 100) -> np.ndarray | None:
        """A table xy where a disc of `radius` overlaps no reserved footprint (None if none found)."""
        for _ in range(tries):
            xy = np.array([rng.uniform(*x_range), rng.uniform(*y_range)])
            if all(np.linalg.norm(xy - c) > r + radius + 0.02 for c, r in self._occupied):
                return xy
        return None

    def add_distractors(self, rng: np.random.Generator, count: int) -> list[str]:
        """Hard setting clutter: untracked objects from `pipeline.assets` in free table space,
        known to the planners as obstacle boxes."""
        names = []
        for i in range(count):
            kind = DISTRACTOR_KINDS[int(rng.integers(len(DISTRACTOR_KINDS)))]
            asset = make_asset(kind, rng, name=f"distractor_{i}")
            radius = footprint_radius(asset)
            xy = self.free_spot(rng, radius)
            if xy is None:
                continue
            yaw = rng.uniform(-np.pi, np.pi)
            pose = sapien.Pose([xy[0], xy[1], self.table_z + 1e-3], [np.cos(yaw / 2), 0, 0, np.sin(yaw / 2)])
            self.add_object(f"distractor_{i}", asset, pose, tracked=False, footprint=radius)
            center = sapien.Pose(((asset.bounds[0] + asset.bounds[1]) / 2).astype(np.float32))
            for arm in self.env.robot.arms.values():  # planners steer around clutter
                arm.add_planning_obstacle_box(f"distractor_{i}", pose * center, asset.bounds[1] - asset.bounds[0])
            names.append(f"distractor_{i}")
        return names

    def nearest_arm(self, xy: np.ndarray) -> str:
        """The allowed arm on the object's side of the table (left arm for x < 0)."""
        preferred = "left" if xy[0] < 0 else "right"
        return preferred if preferred in self.arms else self.arms[0]

    def instruction(self, rng: np.random.Generator, unseen: bool) -> str:
        """A language instruction from the seen (or held-out unseen) templates."""
        templates = self.unseen_templates if unseen else self.seen_templates
        return templates[int(rng.integers(len(templates)))].format(**self.instruction_fields)

    def contact_rules(self) -> ContactRules:
        """Contact classification from `roles`: target vs support, pressed part vs robot/tool."""
        ids = {name: self.actors[name].per_scene_id for name in self.actors}
        if "table" == self.roles.get("support"):
            support_id = self.env.workspace.table.per_scene_id
        else:
            support_id = ids.get(self.roles.get("support", ""), -1)
        supports = {}
        if "target" in self.roles:
            supports[ids[self.roles["target"]]] = (support_id, self.roles.get("support", "table"))
        pressed = {ids[self.roles["pressed"]]: "pressed"} if "pressed" in self.roles else {}
        tools = {ids[self.roles["tool"]]: self.roles["tool"]} if "tool" in self.roles else {}
        return ContactRules(
            actors={ids[name]: i for i, name in enumerate(self.tracked)},
            fingers=self.env.robot.finger_entities(), robot_links=self.env.robot.link_entities(),
            supports=supports, pressed=pressed, tools=tools)
