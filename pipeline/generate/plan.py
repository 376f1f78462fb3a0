"""What a dataset-generation job must produce: its spec, its units, and which units are missing.

Why: resumability and concurrent writers both reduce to one question, "which (task, setting,
seed) units does the store not hold yet?". Answering it from the store itself (never from a
job log) makes a rerun after a crash or a cancel produce exactly the missing episodes, and
lets two jobs with disjoint units share one store.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from data_schemas.spec import EpisodeAttrs, Setting, episode_id
from pipeline.annotate.params import AnnotationParams
from pipeline.sim.config import SimConfig

ALL_TASKS = "all"
EpisodeCount = Annotated[int, Field(ge=1, le=100_000, description="episodes per task and setting")]
Seed = Annotated[int, Field(ge=0, description="first seed; unit i of a task/setting uses seed + i")]
Pixels = Annotated[int, Field(ge=16, le=4096)]
RecordEvery = Annotated[int, Field(ge=1, le=1000, description="physics steps per recorded step")]
MAX_EXPERT_NOISE_RAD = 0.2
"""Largest std of the expert's execution noise a job may ask (rad per joint: beyond it the arm strays by decimetres)."""
ExpertNoiseRad = Annotated[float, Field(ge=0.0, le=MAX_EXPERT_NOISE_RAD,
                                        description="std (rad per joint) of the expert's execution noise")]


class DatasetSpec(BaseModel):
    """The parameters of one generation job (the flow's parameters, minus where it runs)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tasks: list[str] = Field(default_factory=lambda: [ALL_TASKS], min_length=1)
    episodes_per_task: EpisodeCount = 2
    settings: list[Setting] = Field(default_factory=lambda: ["easy", "hard"], min_length=1)
    seed: Seed = 0
    resolution: tuple[Pixels, Pixels] = SimConfig().image_size
    """(H, W) of every camera."""
    record_every: RecordEvery = SimConfig().record_every
    """Physics steps per recorded step (RoboTwin: 15 at 250 Hz); larger gives shorter, cheaper episodes."""
    annotate: bool = True
    expert_noise_rad: ExpertNoiseRad = 0.0
    """Std (rad per joint) of the DART-style noise the expert executes with (`RecordOptions.expert_noise_rad`):
    demonstrations that show recoveries from off-path states; 0: the expert's exact paths."""

    @field_validator("tasks", "settings")
    @classmethod
    def _unique(cls, values: list[str]) -> list[str]:
        if len(set(values)) != len(values):
            raise ValueError(f"duplicate entries in {values}")
        return values

    def sim_config(self) -> SimConfig:
        """The world every episode of this job is recorded in."""
        return SimConfig().with_(image_size=tuple(self.resolution), record_every=self.record_every)


@dataclass(frozen=True, order=True)
class EpisodeUnit:
    """One episode to produce; its id is deterministic, so it is produced at most once per store."""

    task: str
    setting: str
    seed: int

    @property
    def episode_id(self) -> str:
        return episode_id(self.task, self.setting, self.seed)


def normalize_output(output: str | Path) -> str:
    """An fsspec URL unchanged; a local path made absolute, so every worker writes the same store."""
    text = str(output).strip()
    if not text:
        raise ValueError("output is empty: give a store path or an fsspec URL (e.g. s3://bucket/aim.zarr)")
    return text if "://" in text else str(Path(text).expanduser().resolve())


def resolve_tasks(names: list[str]) -> list[str]:
    """Expand ["all"] to every registered task; unknown names raise a KeyError listing the known ones."""
    from pipeline.tasks import get_task, list_tasks

    if ALL_TASKS in names:
        if len(names) > 1:
            raise ValueError(f'tasks: use ["all"] alone or a list of task names, got {names}')
        return sorted(list_tasks())
    for name in names:
        get_task(name)
    return list(names)


def all_units(spec: DatasetSpec) -> list[EpisodeUnit]:
    return [EpisodeUnit(task, setting, spec.seed + i)
            for task in resolve_tasks(spec.tasks)
            for setting in spec.settings
            for i in range(spec.episodes_per_task)]


def unit_is_done(store, unit: EpisodeUnit, params: AnnotationParams | None) -> bool:
    """Complete in `store` and, when `params` is given, annotated with exactly these parameters."""
    if not store.has_episode(unit.episode_id):
        return False
    if params is None:
        return True
    stored = store.value_params(unit.episode_id)
    return stored is not None and stored.get("digest") == params.digest()


class StaleEpisodesError(ValueError):
    """The store already holds episodes of the job that this code would record differently."""


def recorded_differently(attrs: EpisodeAttrs, spec: DatasetSpec) -> str | None:
    """Why the stored episode `attrs` is not what `spec` records today (None when it is): another
    expert revision of its task, image size, control period or expert noise."""
    from pipeline.tasks import get_task

    revision = get_task(attrs.task).expert_revision
    if attrs.expert_revision != revision:
        return f"expert revision {attrs.expert_revision}, this code's is {revision}"
    recorded = attrs.recorded_sim()
    if tuple(recorded["image_size"]) != tuple(spec.resolution):
        (h, w), (job_h, job_w) = recorded["image_size"], spec.resolution
        return f"image size {h}x{w}, the job asks {job_h}x{job_w}"
    if recorded["record_every"] != spec.record_every:
        return f"record_every {recorded['record_every']}, the job asks {spec.record_every}"
    if (noise := attrs.expert_noise_rad()) != spec.expert_noise_rad:
        return f"expert noise {noise} rad, the job asks {spec.expert_noise_rad}"
    return None


def refuse_stale(store, units: list[EpisodeUnit], spec: DatasetSpec) -> None:
    """Raise `StaleEpisodesError` when any stored episode of `units` was recorded differently: resuming
    would keep it (or reuse its arrays for annotation) beside episodes recorded the new way."""
    stale = [(u.episode_id, why) for u in units if store.has_episode(u.episode_id)
             and (why := recorded_differently(store.read_attrs(u.episode_id), spec))]
    if stale:
        first, why = stale[0]
        raise StaleEpisodesError(
            f"{store.url} holds {len(stale)} episode(s) of this job recorded differently ({first}: {why}); "
            "write to a new store, or re-record them (aim-rollout --overwrite)")


def missing_units(spec: DatasetSpec, output: str | Path,
                  params: AnnotationParams | None = None) -> list[EpisodeUnit]:
    """The units of `spec` that `output` lacks (creating an empty store there if none exists).

    With `spec.annotate`, a unit also counts as missing while its value maps were made with
    other parameters than `params` (default: `AnnotationParams()`).

    Opening the store first also rejects an output that is not an AIM dataset before any work runs,
    and `refuse_stale` one whose episodes of the job another expert revision or sampling recorded.
    """
    from pipeline.record.store import DatasetStore

    units = all_units(spec)
    store = DatasetStore.open(output, mode="a")
    refuse_stale(store, units, spec)
    annotation = (params or AnnotationParams()) if spec.annotate else None
    return [u for u in units if not unit_is_done(store, u, annotation)]
