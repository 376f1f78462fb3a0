"""Episodes for training, read through `data_schemas.store.StoreReader`: the same reader the writer uses.

Why: the store's rules (only `complete: true` episodes exist, `value/<name>` resolves through the live
annotation version, manifests are checked before data is handed out, undecodable chunks raise
`IntegrityError` naming the episode and array) must be applied identically by the writer and by
training; `StoreReader` is their one implementation and this module only selects episodes from it.
Derived data (latents, text embeddings, action statistics) goes to a *cache root*: by default
the dataset store itself, or a separate Zarr group (e.g. on fast local disk).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import zarr

from data_schemas import EpisodeAttrs, SchemaError
from data_schemas.integrity import DECODE_ERRORS, read_error
from data_schemas.observation import Observation
from data_schemas.store import StoreReader
from data_schemas.value_layout import is_value_name

CACHE_FORMAT = "aim-latent-cache"


def open_dataset(url: str | Path, mode: str = "r") -> StoreReader:
    """An AIM dataset opened for reading (mode "a": also for writing derived data into it); refuses
    (SchemaError) paths that are not one."""
    return StoreReader.open(url, mode="r" if mode == "r" else "a")


def open_cache_root(dataset: StoreReader, cache: str | Path | None, mode: str = "a") -> zarr.Group:
    """Where derived data lives: the dataset itself (`cache=None`, open it writable to build) or a
    separate cache group."""
    if cache is None:
        return dataset.root
    if mode == "r":
        try:
            root = zarr.open_group(str(cache), mode="r", zarr_format=3)
        except (FileNotFoundError, zarr.errors.GroupNotFoundError) as exc:
            raise FileNotFoundError(f"no latent cache at {cache}: build it with build_latent_cache().") from exc
    else:
        root = zarr.open_group(str(cache), mode="a", zarr_format=3)
        if "format" not in root.attrs:
            root.update_attributes({"format": CACHE_FORMAT})
    if root.attrs.get("format") != CACHE_FORMAT:
        raise SchemaError(f"{cache} is not an AIM latent cache (format={root.attrs.get('format')!r}); "
                          "give a new path or the dataset's own path.")
    return root


@dataclass(frozen=True)
class EpisodeRef:
    """One complete episode: its id, validated attrs and the reader of its store."""

    episode_id: str
    attrs: EpisodeAttrs
    store: StoreReader

    def array(self, name: str) -> zarr.Array:
        """Lazy array by schema name; `value/<name>` is the live annotation version."""
        if is_value_name(name) and self.value_version() is None:
            raise KeyError(f"episode {self.episode_id} has no value maps yet: run aim-annotate on it first")
        return self.store.array(self.episode_id, name)

    def read(self, name: str, selection=Ellipsis):
        """`array(name)[selection]` as numpy; damaged stored data -> IntegrityError naming episode and array."""
        try:
            return self.array(name)[selection]
        except DECODE_ERRORS as exc:
            raise read_error(f"episode {self.episode_id}", name, exc) from exc

    def observations(self, steps: slice) -> list[Observation]:
        """What a policy saw at the recorded `steps` (images, joints, grippers' poses, instruction): recorded frames
        to replay into `select_action`, with every field `TaskEnv` gives."""
        rgb, qpos, ee_pose = (self.read(name, steps) for name in ("rgb", "qpos", "ee_pose"))
        first = steps.start or 0
        return [Observation(rgb[i], qpos[i], self.attrs.instruction, first + i, ee_pose=ee_pose[i])
                for i in range(len(rgb))]

    def verify(self) -> None:
        """Cheap manifest check of the episode's arrays and live value maps (IntegrityError when damaged)."""
        self.store.verify(self.episode_id)

    def value_version(self) -> str | None:
        """Name of the live value-map version (changes on every re-annotation), None if not annotated."""
        return self.store.live_value_version(self.episode_id)

    def value_fingerprint(self, name: str) -> str | None:
        """Content digest of live value array `name` (same bytes, same digest, whatever the version)."""
        return self.store.live_value_fingerprint(self.episode_id, name)


def complete_episodes(store: StoreReader, tasks: list[str] | None = None,
                      settings: list[str] | None = None, successful_only: bool = False) -> list[EpisodeRef]:
    """Complete episodes in id order, optionally filtered; incomplete ones are skipped (the store's index,
    checked against every group's completion flag).

    `successful_only` keeps the demonstrations a policy should imitate: episodes whose expert
    failed (attrs.success false) stay in the store for statistics but are no training data.
    Each returned episode has passed `EpisodeRef.verify` (IntegrityError otherwise).
    """
    out = []
    for row in store.read_index():
        if successful_only and not row["success"]:
            continue
        if (tasks is None or row["task"] in tasks) and (settings is None or row["setting"] in settings):
            ref = EpisodeRef(row["episode_id"], store.read_attrs(row["episode_id"]), store)
            ref.verify()
            out.append(ref)
    return out


@dataclass(frozen=True)
class Demonstrations:
    """The training episodes of a selection, and the successful ones left out for want of value maps."""

    episodes: list[EpisodeRef]
    unannotated: list[str]


def select_demonstrations(episodes: list[EpisodeRef], max_episodes: int | None = None) -> Demonstrations:
    """The training demonstrations among `episodes`: successful and annotated, in id order.

    With `max_episodes`, at most that many, taken round-robin over the (task, setting) groups (each
    group's first episodes by id): a capped quick run still sees every task and setting, and the
    latent cache, preflight and training all pick the same episodes from one store.
    """
    usable: list[EpisodeRef] = []
    unannotated: list[str] = []
    for episode in episodes:
        if episode.attrs.success:
            if episode.value_version() is None:
                unannotated.append(episode.episode_id)
            else:
                usable.append(episode)
    if max_episodes is None or len(usable) <= max_episodes:
        return Demonstrations(usable, unannotated)
    groups: dict[tuple[str, str], list[EpisodeRef]] = {}
    for episode in usable:
        groups.setdefault((episode.attrs.task, episode.attrs.setting), []).append(episode)
    chosen: set[str] = set()
    for rank in range(max(len(g) for g in groups.values())):
        for key in sorted(groups):
            if rank < len(groups[key]) and len(chosen) < max_episodes:
                chosen.add(groups[key][rank].episode_id)
    return Demonstrations([e for e in usable if e.episode_id in chosen], unannotated)
