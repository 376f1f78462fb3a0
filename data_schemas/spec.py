"""The AIM dataset contract (Zarr schema v2): constants, array specs and episode metadata.

Everything that writes or reads a dataset (the recorder, the annotator, the training loader)
takes names, dtypes and shapes from here, so there is one source of truth for the layout.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 2
"""History. v1 -> v2: `action[t]` was the target already in force when frame t was captured (it
lagged the command by one control step, action[t] ~ qpos[t]); since v2 it is the command issued after
observing frame t, which the robot tracks until frame t+1 (`pipeline.sim.control`). A v1 store is
refused by every reader and writer; `aim-dataset migrate PATH` (MIGRATE_COMMAND) converts it in place."""
MIGRATE_COMMAND = "aim-dataset migrate"
"""The console command that converts an older store to SCHEMA_VERSION (`pipeline.record.migrate`)."""
MIGRATABLE_VERSIONS: tuple[int, ...] = (1,)
"""Older schema versions `aim-dataset migrate` converts."""
STORE_FORMAT = "aim-dataset"
EPISODES_GROUP = "episodes"
MANIFEST_ATTR = "manifest"
"""Attr written with `complete: true`: what was stored (rules in `data_schemas.integrity`); not episode metadata."""
INDEX_GROUP = "index"

CAMERA_NAMES: tuple[str, ...] = ("head", "left_wrist", "right_wrist")
ARMS: tuple[str, ...] = ("left", "right")
ARM_DOF = 7
ACTION_DIM = 2 * (ARM_DOF + 1)
"""Action/qpos layout: left arm 7, left gripper 1, right arm 7, right gripper 1."""
ACTION_LAYOUT: dict[str, slice] = {
    "left_arm": slice(0, 7),
    "left_gripper": slice(7, 8),
    "right_arm": slice(8, 15),
    "right_gripper": slice(15, 16),
}
ARM_JOINT_DIMS: tuple[int, ...] = tuple(i for arm in ARMS for i in range(ACTION_DIM)[ACTION_LAYOUT[f"{arm}_arm"]])
"""Indices of both arms' joints in an action or qpos row (the grippers left out)."""
GRIPPER_DIMS: tuple[int, ...] = tuple(i for arm in ARMS for i in range(ACTION_DIM)[ACTION_LAYOUT[f"{arm}_gripper"]])
"""Indices of both grippers in an action or qpos row."""
TCP_LAYOUT: dict[str, slice] = {
    "left_pose": slice(0, 7),
    "left_gripper": slice(7, 8),
    "right_pose": slice(8, 15),
    "right_gripper": slice(15, 16),
}
"""A TCP-space action (RoboTwin's `take_action(..., action_type='ee')`), ACTION_DIM values: per arm a world TCP pose
(xyz, quaternion wxyz) and the gripper command."""
TCP_POSITION_DIMS: tuple[int, ...] = tuple(i for arm in ARMS for i in range(ACTION_DIM)[TCP_LAYOUT[f"{arm}_pose"]][:3])
"""Indices of both TCP positions (xyz) in a TCP-space action."""
ACTION_SPACES: tuple[str, ...] = ("joints", "tcp")
"""What a policy's action row holds: joint targets (ACTION_LAYOUT) or TCP poses (TCP_LAYOUT), grippers alike."""
ROBOTWIN_ACTION_TYPES: dict[str, str] = {"joints": "qpos", "tcp": "ee"}
"""Our action spaces -> RoboTwin's `take_action(action, action_type)` names for them."""
GRIPPER_OPEN = 1.0
GRIPPER_CLOSED = 0.0

Setting = Literal["easy", "hard"]
SETTINGS: tuple[str, ...] = ("easy", "hard")

# value/phase codes
PHASE_NONE, PHASE_PICK, PHASE_PLACE = 0, 1, 2

# contact kinds recorded by the simulator for the annotator
CONTACT_GRASP = 0  # a gripper finger touches an actor
CONTACT_SUPPORT = 1  # a held/placed actor touches its support
CONTACT_PRESS = 2  # a gripper or tool presses/strikes a part (button, hinge, bell)

DEPTH_SCALE_MM = 1000.0
"""`depth` is stored as uint16 millimetres: metres * DEPTH_SCALE_MM (0 = no return)."""
SEGMENTATION_UNTRACKED = -1
"""`segmentation` value of pixels showing nothing tracked: robot, clutter, wall, ground."""
SEGMENTATION_TABLE = -2
"""`segmentation` value of the table's pixels (episodes recorded before it have -1 there)."""

IMAGE_SIDE_MULTIPLE = 8
"""Camera H and W must be multiples of this: training packs three views into a 2H x 2W canvas that the video
VAE (16x spatial compression) encodes, so a store recorded at another size could never be trained on."""
MAX_IMAGE_SIDE = 2048
"""Largest camera side a recorder accepts (beyond it the renderer cannot create the images)."""


def image_size_problem(h: int, w: int) -> str | None:
    """Why (H, W) cannot be a recording size, or None when it can."""
    if min(h, w) < IMAGE_SIDE_MULTIPLE or max(h, w) > MAX_IMAGE_SIDE:
        return f"camera sides must lie in [{IMAGE_SIDE_MULTIPLE}, {MAX_IMAGE_SIDE}], got {h}x{w}"
    if h % IMAGE_SIDE_MULTIPLE or w % IMAGE_SIDE_MULTIPLE:
        return (f"camera sides must be multiples of {IMAGE_SIDE_MULTIPLE} so training can encode them, got {h}x{w} "
                f"(e.g. {h // IMAGE_SIDE_MULTIPLE * IMAGE_SIDE_MULTIPLE or IMAGE_SIDE_MULTIPLE}x"
                f"{w // IMAGE_SIDE_MULTIPLE * IMAGE_SIDE_MULTIPLE or IMAGE_SIDE_MULTIPLE})")
    return None


TIME_CHUNK = 8
"""Inner chunk length along time for per-step arrays."""
TIME_SHARD = 512
"""Shard length along time: one shard file per array per episode for episodes up to this long."""


@dataclass(frozen=True)
class ArraySpec:
    """Name, dtype and symbolic shape of one per-episode array.

    Symbols: T steps, V cameras, H/W image size, D action dim, K tracked objects,
    N contact events, P surface points per object. Integers are literal sizes.
    """

    name: str
    dtype: str
    shape: tuple[str | int, ...]
    required: bool = True
    time_major: bool = True
    doc: str = ""

    def resolve(self, dims: dict[str, int]) -> tuple[int, ...]:
        return tuple(d if isinstance(d, int) else dims[d] for d in self.shape)


EPISODE_ARRAYS: tuple[ArraySpec, ...] = (
    ArraySpec("rgb", "uint8", ("T", "V", "H", "W", 3), doc="camera colour, cameras in CAMERA_NAMES order"),
    ArraySpec("depth", "uint16", ("T", "V", "H", "W"), doc="depth in millimetres along the optical axis"),
    ArraySpec("segmentation", "int16", ("T", "V", "H", "W"), required=False,
              doc="actor index per pixel (attrs.segmentation_labels); -2 the table, -1 anything else"),
    ArraySpec("intrinsics", "float32", ("V", 3, 3), time_major=False, doc="pinhole K per camera"),
    ArraySpec("extrinsics", "float32", ("T", "V", 4, 4), doc="world-to-camera, OpenCV convention"),
    ArraySpec("qpos", "float32", ("T", "D"), doc="measured joints, ACTION_LAYOUT order"),
    ArraySpec("action", "float32", ("T", "D"),
              doc="command issued after observing frame t: the joint/gripper targets tracked until frame t+1 "
                  "(leads qpos by one control step; last row: the target held at the episode end), "
                  "ACTION_LAYOUT order, gripper 1 open / 0 closed"),
    ArraySpec("ee_pose", "float32", ("T", 2, 7), doc="TCP pose per arm, world frame, xyz + wxyz"),
    ArraySpec("object_poses", "float32", ("T", "K", 7), doc="tracked actors (attrs.object_names), xyz + wxyz"),
    ArraySpec("object_points", "float32", ("K", "P", 3), time_major=False,
              doc="surface samples of each tracked actor in its own frame (for annotation)"),
    ArraySpec("contacts/step", "int32", ("N",), time_major=False, doc="recorded step of each contact point"),
    ArraySpec("contacts/kind", "int8", ("N",), time_major=False, doc="CONTACT_GRASP / SUPPORT / PRESS"),
    ArraySpec("contacts/arm", "int8", ("N",), time_major=False, doc="0 left, 1 right, -1 none"),
    ArraySpec("contacts/actor", "int16", ("N",), time_major=False, doc="index into object_names: the touched actor"),
    ArraySpec("contacts/other", "int16", ("N",), time_major=False,
              doc="index into contact_bodies: the finger link or support that touched it"),
    ArraySpec("contacts/position", "float32", ("N", 3), time_major=False, doc="world contact point"),
    ArraySpec("contacts/normal", "float32", ("N", 3), time_major=False, doc="world contact normal"),
    ArraySpec("contacts/impulse", "float32", ("N",), time_major=False, doc="contact impulse magnitude"),
)

VALUE_ARRAYS: tuple[ArraySpec, ...] = (
    ArraySpec("value/map", "float16", ("T", "V", "H", "W"), doc="spatial value map in [0, 1]"),
    ArraySpec("value/rgb", "uint8", ("T", "V", "H", "W", 3), doc="colour-mapped value map (VAE input), black = none"),
    ArraySpec("value/phase", "int8", ("T",), doc="PHASE_NONE / PICK / PLACE"),
)

ARRAYS_BY_NAME: dict[str, ArraySpec] = {s.name: s for s in EPISODE_ARRAYS + VALUE_ARRAYS}

# Derived data written by aim_core.data (latent cache), in the dataset store or a separate cache
# store of the same layout. Writers of episodes leave these paths alone; they are not validated
# as episode arrays. Symbols: L latent frames, C VAE channels, h/w latent canvas size.
LATENTS_GROUP = "latents"
"""`episodes/<id>/latents`: attrs cache_key, vae_digest, value_version, frame_stride, ... complete."""
TEXT_GROUP = "text"
"""`text/<instruction_key>` float32 [tokens, D] text-encoder states, attrs instruction, encoder_digest."""
STATS_GROUP = "stats"
"""`stats` attrs: {"action": {<episode-set digest>: {"low", "high", "count"}}} normalisation statistics."""
ACTION_STATS_ATTR = "action"
"""The `stats` attr holding action statistics; the digest covers SCHEMA_VERSION (what an action means),
and `aim-dataset migrate` empties it, so statistics of another action convention are never reused."""
CACHE_ARRAYS: tuple[ArraySpec, ...] = (
    ArraySpec("latents/rgb", "float16", ("L", "C", "h", "w"), doc="normalised VAE latents of the RGB T-pose canvas"),
    ArraySpec("latents/value", "float16", ("L", "C", "h", "w"), doc="same VAE, value-map canvas (value/rgb)"),
)


class EpisodeAttrs(BaseModel):
    """Metadata stored in the attributes of `episodes/<episode_id>`."""

    model_config = ConfigDict(extra="allow")

    schema_version: int = SCHEMA_VERSION
    episode_id: str
    task: str
    setting: Setting
    seed: int = Field(ge=0)
    instruction: str
    embodiment: str = "dual_panda"
    control_rate_hz: float = Field(gt=0)
    physics_rate_hz: float = Field(gt=0)
    num_steps: int = Field(ge=1)
    image_size: tuple[int, int]
    """(H, W) of every camera."""
    camera_names: list[str] = Field(default_factory=lambda: list(CAMERA_NAMES))
    object_names: list[str]
    contact_bodies: list[str] = Field(default_factory=list)
    segmentation_labels: list[str] = Field(default_factory=list)
    roles: dict[str, str] = Field(default_factory=dict)
    """Task roles for the annotator, e.g. {"target": "shoe", "support": "shoe_pad"}."""
    success: bool
    complete: bool = False
    instruction_type: Literal["seen", "unseen"] = "seen"
    """Whether `instruction` came from the task's training (seen) or held-out (unseen) templates."""
    expert_revision: int = Field(default=1, ge=1)
    """`Task.expert_revision` of the scripted expert that recorded it (episodes from before this field: 1)."""
    sim: dict[str, Any] = Field(default_factory=dict)
    """The simulator settings it was recorded with (`pipeline.sim.config.SimConfig.to_dict()`); empty in
    episodes recorded before SimConfig existed, whose untyped `rollout_config` attr holds them."""

    def recorded_sim(self) -> dict[str, Any]:
        """The simulator settings this episode was recorded with, for `SimConfig.from_dict`: `sim`, else the
        legacy `rollout_config` attr; image size, physics rate and control period always from the attrs."""
        base = dict(self.sim or (self.model_extra or {}).get("rollout_config") or {})
        return {**base, "image_size": list(self.image_size), "physics_rate_hz": self.physics_rate_hz,
                "record_every": round(self.physics_rate_hz / self.control_rate_hz)}

    def expert_noise_rad(self) -> float:
        """Std (rad per joint) of the DART-style noise the expert executed this episode with (`RecordOptions`,
        kept in the `recording` attr); 0.0 for an exact expert, as in every episode recorded before that attr."""
        return float(((self.model_extra or {}).get("recording") or {}).get("expert_noise_rad", 0.0))


def episode_id(task: str, setting: str, seed: int) -> str:
    """Deterministic id: the same (task, setting, seed) always maps to the same group."""
    return f"{task}-{setting}-{seed:06d}"


def episode_dims(attrs: EpisodeAttrs, arrays: dict[str, np.ndarray]) -> dict[str, int]:
    h, w = attrs.image_size
    dims = {"T": attrs.num_steps, "V": len(attrs.camera_names), "H": h, "W": w, "D": ACTION_DIM,
            "K": len(attrs.object_names)}
    if "contacts/step" in arrays:
        dims["N"] = int(arrays["contacts/step"].shape[0])
    if "object_points" in arrays:
        dims["P"] = int(arrays["object_points"].shape[1])
    return dims
