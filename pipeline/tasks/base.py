"""Task base class (ManiSkill / RoboTwin style): objects, scripted expert, success check, language.

A task subclass declares its instruction `phrasing` (composed into RoboTwin's 50 seen + 10 unseen
templates) and implements `load_objects`, `play_once` and `evaluate` (named sub-conditions of
RoboTwin's success check plus "success"; `check_success()` is its "success"); the base class
gives it the expert primitives (`self.expert`), object
bookkeeping (`add_object`: tracked actors, surface points, segmentation labels), hard-setting
clutter (`add_distractors`) and the contact rules derived from `roles`.
See pipeline/tasks/README.md for a walk-through.
"""
from __future__ import annotations

import math
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
import sapien

from pipeline.assets import ObjectAsset, build_actor, build_articulation, clutter_kinds, draw_kind, make_asset
from pipeline.sim.appearance import Appearance
from pipeline.sim.contacts import ContactRules
from pipeline.sim.env import SimEnv
from pipeline.sim.primitives import Expert


ROBOTWIN_CONTROL_PERIOD = 15
"""Physics steps per recorded step / policy action in RoboTwin 2.0 (`save_freq` 15 at 250 Hz)."""
SEEN_TEMPLATES, UNSEEN_TEMPLATES = 50, 10
"""Instruction templates per task, as RoboTwin 2.0 (50 seen for training, 10 unseen held out)."""
GRIPPER_OPEN_MIN, GRIPPER_OPEN_HALF_MIN, GRIPPER_CLOSED_MAX = 0.8, 0.45, 0.2
"""RoboTwin's gripper tests on the last *commanded* value g in [0, 1] (1 open): open g > 0.8,
half open g > 0.45, closed g < 0.2."""
CLUTTER_MAX, CLUTTER_FAILURES_MAX, CLEAN_TABLE_RATE = 10, 50, 0.02
"""Hard-setting clutter (RoboTwin `get_cluttered_table`): try to place 10 objects, give up after 50
failed placements; with probability 0.02 the table stays clean."""
CLUTTER_TALL_M = 0.05
"""Clutter taller than this stays entirely in the far half of the table (y >= 0), as in RoboTwin."""


@dataclass(frozen=True)
class Phrasing:
    """Parts an instruction template is composed from: sentence frames with `{verb}` and `{place}`
    slots (and the task's object placeholders, e.g. `{cup}`), verbs and place phrases.
    Every combination is one template; `Task.templates` keeps a seeded 50 seen + 10 unseen."""
    frames: tuple[str, ...]
    verbs: tuple[str, ...]
    places: tuple[str, ...] = ("",)

    def compose(self) -> list[str]:
        out = set()
        for frame in self.frames:
            for verb in self.verbs:
                for place in self.places:
                    text = " ".join(frame.replace("{verb}", verb).replace("{place}", place).split())
                    text = text.replace(" .", ".").replace(" ,", ",")
                    out.add(text[0].upper() + text[1:])
        return sorted(out)


def described(colour: str | None, seen_nouns: tuple[str, ...],
              unseen_nouns: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(seen, unseen) noun phrases of a coloured object, as RoboTwin's per-object descriptions:
    each noun with and without its colour ("the red cup", "the cup"); `colour` None (an object of
    many colours, no one of which names it): the nouns alone."""
    forms = ("the {colour} {noun}", "the {noun}") if colour else ("the {noun}",)

    def phrases(nouns):
        return tuple(form.format(colour=colour, noun=noun) for noun in nouns for form in forms)
    return phrases(seen_nouns), phrases(unseen_nouns)


def footprint_radius(asset: ObjectAsset) -> float:
    """Radius of the disc covering the asset's table footprint."""
    return float(np.linalg.norm(asset.bounds[1, :2] - asset.bounds[0, :2]) / 2)


class Task(ABC):
    """One manipulation task on a `SimEnv`. Subclasses set the ClassVars and `load_objects`,
    `play_once` and `evaluate` (or, minimally, `check_success`)."""

    name: ClassVar[str]
    phrasing: ClassVar[Phrasing | None] = None
    """Composition parts of the instruction templates (RoboTwin counts: 50 seen + 10 unseen)."""
    seen_templates: ClassVar[tuple[str, ...]] = ()
    """Explicit training templates (`str.format` fields), used only when `phrasing` is None."""
    unseen_templates: ClassVar[tuple[str, ...]] = ()
    """Explicit held-out templates, used only when `phrasing` is None."""
    arms: ClassVar[tuple[str, ...]] = ("left", "right")
    """Arms the expert may use (single-arm tasks pick one per episode by object position)."""
    step_limit: ClassVar[int | None] = None
    """RoboTwin's evaluation step limit (`task_config/_eval_step_limit.yml`): policy actions at its
    control period of `ROBOTWIN_CONTROL_PERIOD` physics steps; `evaluation_step_limit` rescales it."""
    table_height_bias: ClassVar[float] = 0.0
    """RoboTwin's `table_height_bias` (m): the task's table top sits this much above the configured
    height, on top of the hard setting's random offset (place_dual_shoes lowers it by 0.1)."""
    expert_revision: ClassVar[int] = 2
    """Bumped whenever the scripted expert records different episodes for the same seed. Every episode
    stores it, and generation refuses to resume a store whose episodes of a job came from another
    revision (a reused store would otherwise mix, or silently keep, the old demonstrations).
    2: `Expert.set_gripper` no longer ramps a gripper already at its command (a grasp from an open
    gripper began with 8 recorded steps of stillness)."""

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
        self.descriptions: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        """Placeholder -> (seen, unseen) noun phrases (RoboTwin's per-object descriptions); a
        placeholder without an entry is filled with `instruction_fields[placeholder]`."""
        self._occupied: list[tuple[np.ndarray, float]] = []

    # -- to implement --------------------------------------------------------------------------
    @abstractmethod
    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        """Create the task's actors with `add_object`, set `roles` and `instruction_fields`."""

    @abstractmethod
    def play_once(self) -> None:
        """The scripted expert: a sequence of `self.expert` primitives (may raise PlanningError)."""

    def evaluate(self) -> dict[str, bool]:
        """ManiSkill-style check of the goal now: named sub-conditions (RoboTwin's criteria and
        tolerances) plus "success". Cheap enough to call after every physics step, which is how an
        evaluation latches success (the first True ends the episode as a success)."""
        raise NotImplementedError(f"{type(self).__name__} implements neither evaluate() nor check_success()")

    @classmethod
    def appearance(cls, look: Appearance) -> Appearance:
        """`look` with its table offset moved by `table_height_bias` (RoboTwin's table_z_bias =
        U(-0.03, 0) + the task's bias); `look` itself when the task has none."""
        if not cls.table_height_bias:
            return look
        return replace(look, table_height_offset=look.table_height_offset + cls.table_height_bias)

    @classmethod
    def evaluation_step_limit(cls, record_every: int) -> int:
        """RoboTwin's step limit in control steps of `record_every` physics steps (the same physics time:
        at RoboTwin's period of 15 it is `step_limit` itself). A task without one -> ValueError."""
        if cls.step_limit is None:
            raise ValueError(f"task {cls.name!r} declares no step_limit (RoboTwin's _eval_step_limit.yml value)")
        return max(1, math.ceil(cls.step_limit * ROBOTWIN_CONTROL_PERIOD / record_every))

    def check_success(self) -> bool:
        """Whether the world state satisfies the task goal now: `evaluate()["success"]`."""
        return bool(self.evaluate()["success"])

    def gripper_open(self, arm: str) -> bool:
        """RoboTwin's `is_<arm>_gripper_open`: the last gripper command is > 0.8."""
        return self.env.robot[arm].gripper_command > GRIPPER_OPEN_MIN

    def gripper_closed(self, arm: str) -> bool:
        """RoboTwin's `is_<arm>_gripper_close`: the last gripper command is < 0.2."""
        return self.env.robot[arm].gripper_command < GRIPPER_CLOSED_MAX

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
        self.reserve(pose.p, footprint if footprint is not None else footprint_radius(asset))
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
        self.reserve(pose.p, footprint if footprint is not None else footprint_radius(asset))
        return articulation

    def reserve(self, xy, radius: float) -> None:
        """Keep a disc of the table (centre `xy`, `radius` m) clear: `free_spot` and the hard setting's clutter
        stay out of it (a goal spot, a corridor, a fixture's reach)."""
        self._occupied.append((np.asarray(xy[:2], dtype=float), radius))

    def free_spot(self, rng: np.random.Generator, radius: float, x_range=(-0.45, 0.45),
                  y_range=(-0.25, 0.25), tries: int = 100, gap: float = 0.02) -> np.ndarray | None:
        """A table xy where a disc of `radius` keeps `gap` from every reserved footprint (None if none found)."""
        for _ in range(tries):
            xy = np.array([rng.uniform(*x_range), rng.uniform(*y_range)])
            if all(np.linalg.norm(xy - c) > r + radius + gap for c, r in self._occupied):
                return xy
        return None

    def add_distractors(self, rng: np.random.Generator, count: int | None = None,
                        keep_out: Iterable[tuple[Sequence[float], float]] = ()) -> list[str]:
        """Hard-setting clutter as RoboTwin's `get_cluttered_table`: up to `count` (default 10)
        untracked objects drawn from the whole asset library except the task's own kinds and their
        look-alikes (`pipeline.assets.clutter_kinds`), yaw U(±pi), placed in free table space (never
        on a task object's reserved footprint nor on a `keep_out` disc ((centre xy, radius), reserved
        here: RoboTwin's `prohibited_area`), 1 cm apart from each other, inside the table, tall ones in
        the far half); gives up after 50 failed placements; with probability 0.02 none.
        Known to the planners as obstacle boxes.

        Each placement attempt draws from its own stream and picks its kind by `draw_kind`, and `rng`
        gives exactly two draws whatever the library holds, so a kind added to the library changes
        only the few attempts it wins instead of every hard scene (and every draw after this call)."""
        for centre, radius in keep_out:
            self.reserve(centre, radius)
        if count is None:
            count = 0 if rng.random() < CLEAN_TABLE_RATE else CLUTTER_MAX
        attempts = np.random.SeedSequence(int(rng.integers(2**63)))
        kinds = clutter_kinds(self.assets[name].kind for name in self.assets)
        names: list[str] = []
        failures = 0
        while len(names) < count and failures < CLUTTER_FAILURES_MAX:
            draw = np.random.default_rng(attempts.spawn(1)[0])
            name = f"distractor_{len(names)}"
            kind = draw_kind(kinds, int(draw.integers(2**63)))
            asset = make_asset(kind, draw, name=name)
            radius = footprint_radius(asset)
            far_half = asset.bounds[1, 2] > CLUTTER_TALL_M
            x_lim, y_hi = 0.6 - radius, 0.34 - radius
            y_lo = radius if far_half else -0.34 + radius
            xy = None
            if x_lim > 0 and y_hi > y_lo:
                xy = self.free_spot(draw, radius, x_range=(-x_lim, x_lim), y_range=(y_lo, y_hi), gap=0.01)
            if xy is None:
                failures += 1
                continue
            yaw = draw.uniform(-np.pi, np.pi)
            pose = sapien.Pose([xy[0], xy[1], self.table_z + 1e-3], [np.cos(yaw / 2), 0, 0, np.sin(yaw / 2)])
            self.add_object(name, asset, pose, tracked=False, footprint=radius)
            center = sapien.Pose(((asset.bounds[0] + asset.bounds[1]) / 2).astype(np.float32))
            for arm in self.env.robot.arms.values():  # planners steer around clutter
                arm.add_planning_obstacle_box(name, pose * center, asset.bounds[1] - asset.bounds[0])
            names.append(name)
        return names

    def nearest_arm(self, xy: np.ndarray) -> str:
        """The allowed arm on the object's side of the table (left arm for x < 0)."""
        preferred = "left" if xy[0] < 0 else "right"
        return preferred if preferred in self.arms else self.arms[0]

    @classmethod
    def templates(cls, unseen: bool = False) -> tuple[str, ...]:
        """The task's seen (50) or unseen (10) instruction templates: every composition of
        `phrasing`, shuffled by a generator seeded from the task name; the first 10 are held out as
        unseen, the next 50 are seen. Tasks without `phrasing` use their explicit templates."""
        if cls.phrasing is None:
            return cls.unseen_templates if unseen else cls.seen_templates
        cache = cls.__dict__.get("_template_cache")
        if cache is None:
            composed = cls.phrasing.compose()
            if len(composed) < SEEN_TEMPLATES + UNSEEN_TEMPLATES:
                raise ValueError(f"{cls.name}: phrasing gives {len(composed)} templates, "
                                 f"needs {SEEN_TEMPLATES + UNSEEN_TEMPLATES}")
            order = np.random.default_rng(zlib.crc32(cls.name.encode())).permutation(len(composed))
            chosen = [composed[i] for i in order[:SEEN_TEMPLATES + UNSEEN_TEMPLATES]]
            cache = (tuple(chosen[UNSEEN_TEMPLATES:]), tuple(chosen[:UNSEEN_TEMPLATES]))
            cls._template_cache = cache
        return cache[1] if unseen else cache[0]

    def instruction(self, rng: np.random.Generator, unseen: bool = False, *,
                    instruction_type: str | None = None) -> str:
        """A language instruction: a template from the seen (or held-out unseen) set, its object
        placeholders filled with seen (or unseen) descriptions, all drawn from `rng`.

        `instruction_type` ("seen" / "unseen", RoboTwin's name) overrides `unseen` when given: the
        choice is independent of the easy/hard setting (RoboTwin evaluates with unseen in both)."""
        if instruction_type is not None:
            if instruction_type not in ("seen", "unseen"):
                raise ValueError(f"instruction_type must be 'seen' or 'unseen', got {instruction_type!r}")
            unseen = instruction_type == "unseen"
        templates = self.templates(unseen)
        template = templates[int(rng.integers(len(templates)))]
        fields = dict(self.instruction_fields)
        for key, (seen_phrases, unseen_phrases) in sorted(self.descriptions.items()):
            phrases = (unseen_phrases or seen_phrases) if unseen else seen_phrases
            fields[key] = phrases[int(rng.integers(len(phrases)))]
        text = template.format(**fields)
        return text[0].upper() + text[1:]

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


class SuccessLatch:
    """RoboTwin's evaluation rule as a `SimEnv` step hook: `task.evaluate()` after every physics
    step; the first success is latched (later violations do not matter).

        latch = SuccessLatch(task); env.step_hooks.append(latch)  ... latch.success, latch.step
    """

    def __init__(self, task: Task):
        self.task = task
        self.step: int | None = None
        """Physics step of the first success (None: not yet)."""
        self.conditions: dict[str, bool] | None = None
        """`evaluate()` at that step."""

    def __call__(self, step: int) -> None:
        if self.step is None:
            result = self.task.evaluate()
            if result["success"]:
                self.step, self.conditions = step, result

    @property
    def success(self) -> bool:
        return self.step is not None
