"""Read-only access to an AIM dataset through zarr, for training (aim_core never imports pipeline).

Names and checks come from `data_schemas`; this module adds the two reader rules of the store
layout: only episodes whose attrs say `complete: true` exist, and `value/<name>` resolves
through the `live` attribute of the episode's `value` group to the current annotation version
(`value/<live>/<name>`, rule in `data_schemas.value_layout`), so a reader never sees a
half-written re-annotation. Every selected episode (and its live value maps) is checked against
its integrity manifest (`data_schemas.integrity`: missing or truncated chunks, cheaply), and
`EpisodeRef.read` turns a chunk that fails to decode into an `IntegrityError` naming the episode
and array, so training never learns from zeros read in place of lost data.
Derived data (latents, text embeddings, action statistics) goes to a *cache root*: by default
the dataset store itself, or a separate Zarr group (e.g. on fast local disk).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import zarr

from data_schemas import EPISODES_GROUP, EpisodeAttrs, SchemaError, check_store_attrs, parse_episode_attrs
from data_schemas.integrity import DECODE_ERRORS, check_manifest, read_error
from data_schemas.value_layout import VALUE_GROUP, is_value_name, live_version, value_member

CACHE_FORMAT = "aim-latent-cache"


def open_dataset(url: str | Path, mode: str = "r") -> zarr.Group:
    """Root group of an AIM dataset; refuses (SchemaError) paths that are not one."""
    try:
        root = zarr.open_group(str(url), mode="r" if mode == "r" else "r+", zarr_format=3)
    except (FileNotFoundError, zarr.errors.GroupNotFoundError) as exc:
        raise SchemaError(f"no AIM dataset at {url}: check the path (datasets are written by aim-rollout).") from exc
    check_store_attrs(root.attrs.asdict(), str(url))
    if EPISODES_GROUP not in root:
        raise SchemaError(f"{url}: AIM dataset without an '{EPISODES_GROUP}' group; the store is damaged.")
    return root


def open_cache_root(dataset: zarr.Group, cache: str | Path | None, mode: str = "a") -> zarr.Group:
    """Where derived data lives: the dataset itself (`cache=None`, open it writable to build) or a
    separate cache group."""
    if cache is None:
        return dataset
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
    """One complete episode: its id, validated attrs and zarr group."""

    episode_id: str
    attrs: EpisodeAttrs
    group: zarr.Group

    def array(self, name: str) -> zarr.Array:
        """Lazy array by schema name; `value/<name>` is the live annotation version."""
        if is_value_name(name):
            member = value_member(name)
            if member is None:
                raise KeyError(f"{name!r} is not a value array name: value arrays are 'value/<name>'")
            live = self.value_version()
            if live is None:
                raise KeyError(f"episode {self.episode_id} has no value maps yet: run aim-annotate on it first")
            return self.group[VALUE_GROUP][live][member]
        return self.group[name]

    def read(self, name: str, selection=Ellipsis):
        """`array(name)[selection]` as numpy; damaged stored data -> IntegrityError naming episode and array."""
        try:
            return self.array(name)[selection]
        except DECODE_ERRORS as exc:
            raise read_error(f"episode {self.episode_id}", name, exc) from exc

    def verify(self) -> None:
        """Cheap manifest check of the episode's arrays and live value maps (IntegrityError when damaged)."""
        store = self.group.store
        check_manifest(store, self.group.path, self.group.attrs.asdict(), f"episode {self.episode_id}")
        live = self.value_version()
        if live is not None:
            version = self.group[VALUE_GROUP][live]
            check_manifest(store, version.path, version.attrs.asdict(), f"episode {self.episode_id} value maps {live}")

    def value_version(self) -> str | None:
        """Name of the live value-map version (changes on every re-annotation), None if not annotated."""
        try:
            value = self.group[VALUE_GROUP]
        except KeyError:
            return None
        return live_version(value.attrs.asdict(), value)


def complete_episodes(root: zarr.Group, tasks: list[str] | None = None,
                      settings: list[str] | None = None, successful_only: bool = False) -> list[EpisodeRef]:
    """Complete episodes in id order, optionally filtered; incomplete ones are skipped.

    `successful_only` keeps the demonstrations a policy should imitate: episodes whose expert
    failed (attrs.success false) stay in the store for statistics but are no training data.
    Each returned episode has passed `EpisodeRef.verify` (IntegrityError otherwise).
    """
    episodes = root[EPISODES_GROUP]
    out = []
    for name, group in sorted(episodes.groups()):
        if group.attrs.get("complete") is not True:
            continue
        attrs = parse_episode_attrs(group.attrs.asdict(), f"episode {name}")
        if successful_only and not attrs.success:
            continue
        if (tasks is None or attrs.task in tasks) and (settings is None or attrs.setting in settings):
            ref = EpisodeRef(name, attrs, group)
            ref.verify()
            out.append(ref)
    return out
