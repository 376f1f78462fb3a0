"""`StoreReader`: the one reader of the AIM dataset's Zarr contract, shared by writers and training.

Why here: `pipeline` writes episodes (`pipeline.record.store.DatasetStore`, a `StoreReader` with the
writing half) and `aim_core` reads them for training; both must apply the same rules or training sees
data the writer never committed. The rules (layout in `pipeline/record/store.py`'s docstring):

- only episode groups whose attrs say `complete: true` exist (listing, attrs, arrays, the index);
- `value/<name>` resolves through the `live` attribute of the episode's `value` group to the current
  annotation version (`data_schemas.value_layout`), resolved once per call so arrays read together come
  from one annotation; a reader overtaken by re-annotations resolves the live version again;
- every episode (and its live value maps) is checked against its integrity manifest
  (`data_schemas.integrity`) before data is handed out, and chunks that fail to decode raise
  `IntegrityError` naming the episode and array, never zeros;
- the top-level index is trusted only after checking it against every group's completion flag.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import numpy as np
import zarr
from zarr.core.buffer import default_buffer_prototype
from zarr.core.sync import sync
from zarr.errors import GroupNotFoundError
from zarr.storage import FsspecStore, LocalStore

from data_schemas.integrity import (DECODE_ERRORS, MANIFEST_ATTR, IntegrityError, check_manifest, manifest_problems,
                                    read_error)
from data_schemas.locking import store_lock
from data_schemas.spec import EPISODE_ARRAYS, EPISODES_GROUP, INDEX_GROUP, EpisodeAttrs
from data_schemas.validate import EpisodeData, SchemaError, check_store_attrs, parse_episode_attrs
from data_schemas.value_layout import VALUE_GROUP, is_value_name, live_version, value_member, value_name

_EPISODE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
INDEX_COLUMNS = ("episode_id", "task", "setting", "seed", "num_steps", "success", "annotated")
VANISHED_VERSION_RETRIES = 5
"""Times a reader resolves the live value-map version again when the one it read was deleted under it."""


async def collect_keys(aiter) -> list[str]:
    return [key async for key in aiter]


async def _get_all(store: zarr.abc.store.Store, keys: list[str]) -> list[bytes | None]:
    async def get(key: str) -> bytes | None:
        buf = await store.get(key, prototype=default_buffer_prototype())
        return None if buf is None else buf.to_bytes()
    return list(await asyncio.gather(*(get(k) for k in keys)))


def _resolve_url(url: str | Path) -> tuple[str, Path | None]:
    """(url for messages, local directory or None for remote fsspec stores)."""
    if isinstance(url, Path):
        return str(url), url
    if url.startswith("file://"):
        return url, Path(url[len("file://"):])
    if "://" in url:
        return url, None
    return url, Path(url)


class StoreReader:
    """One AIM dataset opened for reading (mode "r") or for adding derived data (mode "a"). Open with
    `StoreReader.open`; `pipeline.record.store.DatasetStore` adds the writing half."""

    def __init__(self, root: zarr.Group, url: str, local_root: Path | None, mode: Literal["r", "a"]):
        self._root = root
        self.url = url
        self.local_root = local_root
        self.mode = mode
        self._verified: set[tuple[str, str | None]] = set()  # (episode, live value version) checked this session

    @classmethod
    def open(cls, url: str | Path, mode: Literal["r", "a"] = "r") -> StoreReader:
        """Open an existing AIM dataset. Refuses (SchemaError, nothing touched) a missing store, a path that
        is not a Zarr v3 store, a Zarr store that is not an AIM dataset, and another schema version."""
        if mode not in ("r", "a"):
            raise ValueError(f"mode must be 'r' or 'a', not {mode!r}")
        where, local, store = cls._locate(url, mode)
        if store is None or not cls._has_root(store, where):
            raise SchemaError(f"no AIM dataset at {where}: nothing is there. Check the path, or create one with "
                              f"`aim-rollout --out {where} ...` (or DatasetStore.open(..., mode='a')).")
        return cls(cls._open_existing(store, where, local, mode), where, local, mode)

    @property
    def root(self) -> zarr.Group:
        """The store's root group (derived data such as latent caches may live beside `episodes/`)."""
        return self._root

    @staticmethod
    def _locate(url: str | Path, mode: str) -> tuple[str, Path | None, zarr.abc.store.Store | None]:
        """(url for messages, local directory or None, the Zarr store or None when the local path is missing)."""
        where, local = _resolve_url(url)
        if local is None:
            return where, None, FsspecStore.from_url(where, read_only=mode == "r")
        if local.exists() and not local.is_dir():
            raise SchemaError(f"{where} is a file, not a Zarr store: give a directory path for the dataset.")
        return where, local, LocalStore(local, read_only=mode == "r") if local.exists() else None

    @staticmethod
    def _has_root(store: zarr.abc.store.Store, where: str) -> bool:
        """True if `store` has a Zarr v3 root; False if it is empty; refuse anything else."""
        if sync(store.exists("zarr.json")):
            return True
        keys = sync(collect_keys(store.list_dir("")))
        if keys:
            raise SchemaError(f"{where} is not a Zarr v3 store (it holds {sorted(keys)[:5]} but no zarr.json). "
                              "Give a new or empty path for an AIM dataset; nothing was changed.")
        return False

    @classmethod
    def _open_existing(cls, store: zarr.abc.store.Store, where: str, local: Path | None, mode: str) -> zarr.Group:
        try:
            return cls._open_root(store, where, mode)
        except SchemaError:
            if local is None:
                raise
            with store_lock(local):  # a process creating the store holds the lock until it is whole
                return cls._open_root(store, where, mode)

    @staticmethod
    def _open_root(store: zarr.abc.store.Store, where: str, mode: str, check=check_store_attrs) -> zarr.Group:
        try:
            root = zarr.open_group(store=store, mode="r" if mode == "r" else "r+", zarr_format=3)
        except (GroupNotFoundError, zarr.errors.ContainsArrayError, ValueError) as exc:
            raise SchemaError(f"{where} is a Zarr store but its root is not a group, so not an AIM dataset "
                              f"({exc}). Give a new path; nothing was changed.") from exc
        check(root.attrs.asdict(), where)
        if EPISODES_GROUP not in root:
            raise SchemaError(f"{where}: AIM dataset without an '{EPISODES_GROUP}' group; the store is damaged.")
        return root

    # ------------------------------------------------------------------ helpers
    def _episodes(self) -> zarr.Group:
        return self._root[EPISODES_GROUP]

    def _group_names(self, path: str) -> list[str]:
        """Member names under `path`: not its metadata document, nor the `zarr.<uuid>.partial` file
        zarr writes and renames while another process rewrites that document (concurrent writers)."""
        keys = sync(collect_keys(self._root.store.list_dir(path)))
        return sorted(k for k in keys if not k.startswith("zarr."))

    def _episode_group(self, episode_id: str) -> zarr.Group | None:
        if not _EPISODE_ID.match(episode_id):
            raise SchemaError(f"invalid episode id {episode_id!r}: use letters, digits, '_', '.', '-' "
                              "(see data_schemas.episode_id).")
        try:
            return self._episodes()[episode_id]
        except KeyError:
            return None

    def _complete_group(self, episode_id: str) -> zarr.Group:
        group = self._episode_group(episode_id)
        if group is None or group.attrs.get("complete") is not True:
            raise KeyError(f"{self.url} has no complete episode {episode_id!r}")
        return group

    # ------------------------------------------------------------------ episodes
    def has_episode(self, episode_id: str) -> bool:
        group = self._episode_group(episode_id)
        return group is not None and group.attrs.get("complete") is True

    def episode_ids(self, task: str | None = None, setting: str | None = None) -> list[str]:
        """Ids of complete episodes, optionally of one task and/or setting, sorted."""
        return [row["episode_id"] for row in self.read_index()
                if (task is None or row["task"] == task) and (setting is None or row["setting"] == setting)]

    def episode_states(self) -> dict[str, bool]:
        """Every episode group -> whether it is complete, without parsing its attrs (for checks)."""
        episodes = self._episodes()
        return {n: episodes[n].attrs.get("complete") is True for n in self._group_names(EPISODES_GROUP)}

    def read_attrs(self, episode_id: str) -> EpisodeAttrs:
        group = self._complete_group(episode_id)
        return parse_episode_attrs(group.attrs.asdict(), f"{self.url} episode {episode_id}")

    def arrays(self, episode_id: str, names: Iterable[str] | None = None) -> dict[str, zarr.Array]:
        """Lazy handles on several arrays (default: all, live value maps included).

        The live value-map version is resolved once, so the value arrays returned together
        always come from one annotation, even while `write_value` replaces them.
        """
        group = self._complete_group(episode_id)
        live = self._live_value(group)
        self._verify(episode_id, group, live)
        available = {s.name: s.name for s in EPISODE_ARRAYS if s.name in group}
        if live is not None:
            available.update({value_name(n): n for n in live[0].array_keys()})
        wanted = list(available) if names is None else list(names)
        missing = [n for n in wanted if n not in available]
        if missing:
            raise KeyError(f"episode {episode_id!r} has no array {missing[0]!r}; it has {sorted(available)}")
        return {n: live[0][available[n]] if is_value_name(n) else group[n] for n in wanted}

    def _verify(self, episode_id: str, group: zarr.Group, live: tuple[zarr.Group, dict] | None) -> None:
        """Cheap manifest check (listing + sizes) of the episode and its live value version, once per
        store object: IntegrityError naming the episode and array when sealed data is missing."""
        key = (episode_id, None if live is None else live[0].basename)
        if key in self._verified:
            return
        where = f"{self.url} episode {episode_id}"
        check_manifest(self._root.store, group.path, group.attrs.asdict(), where)
        if live is not None:
            check_manifest(self._root.store, live[0].path, live[0].attrs.asdict(),
                           f"{where} value maps {live[0].basename}")
        self._verified.add(key)

    def array(self, episode_id: str, name: str) -> zarr.Array:
        """Lazy handle on one array; `value/<name>` resolves to the live value-map version."""
        return self.arrays(episode_id, [name])[name]

    def read_episode(self, episode_id: str, names: Iterable[str] | None = None) -> EpisodeData:
        """Load arrays (all of them by default, value maps included when annotated) into memory.

        A value-map version outlives one replacement only (`write_value` keeps the live and the
        previous one), so a reader that resolved a version and was then overtaken by two
        re-annotations finds it gone: it resolves the live version again instead of failing, at most
        `VANISHED_VERSION_RETRIES` times (a damaged or missing array fails the same number of times, then
        raises), and never returns maps of a half-deleted version.
        """
        attrs = self.read_attrs(episode_id)
        for attempt in range(VANISHED_VERSION_RETRIES):
            try:
                version = self._live_version_name(episode_id)
                arrays = self._load(episode_id, names)
            except (FileNotFoundError, IntegrityError, KeyError):  # also what a version deleted mid-read gives
                if attempt == VANISHED_VERSION_RETRIES - 1:
                    raise
                continue
            if version is None or self._version_intact(episode_id, version):
                return EpisodeData(attrs=attrs, arrays=arrays)
        raise IntegrityError(f"{self.url} episode {episode_id}: its value maps were replaced "
                             f"{VANISHED_VERSION_RETRIES} times while being read; read again when annotation is done")

    def _load(self, episode_id: str, names: Iterable[str] | None) -> dict[str, np.ndarray]:
        arrays = {}
        for name, arr in self.arrays(episode_id, names).items():
            try:
                arrays[name] = arr[...]
            except DECODE_ERRORS as exc:
                raise read_error(f"{self.url} episode {episode_id}", name, exc) from exc
        return arrays

    def _live_version_name(self, episode_id: str) -> str | None:
        live = self._live_value(self._complete_group(episode_id))
        return None if live is None else live[0].basename

    def _version_intact(self, episode_id: str, version: str) -> bool:
        """True if value-map version `version` still holds every object it was sealed with (a version
        deleted during the read would have given fill values for its vanished chunks)."""
        value = self._value_group(self._complete_group(episode_id))
        if value is None:
            return False
        try:
            group = value[version]
            manifest = group.attrs.get(MANIFEST_ATTR)
            return manifest is None or not manifest_problems(self._root.store, group.path, manifest)
        except (FileNotFoundError, KeyError):  # deleted before or between these reads: a vanished version too
            return False

    def verify(self, episode_id: str) -> None:
        """Cheap manifest check of a complete episode and its live value maps (IntegrityError when damaged)."""
        group = self._complete_group(episode_id)
        self._verify(episode_id, group, self._live_value(group))

    def live_value_version(self, episode_id: str) -> str | None:
        """Name of the live value-map version (changes on every re-annotation), None if not annotated."""
        return self._live_version_name(episode_id)

    def live_value_fingerprint(self, episode_id: str, name: str) -> str | None:
        """Digest of the sealed bytes of value array `name` (e.g. "value/rgb") in the live version: its shape and
        each stored object's size and CRC-32, from the manifest. Unlike the version name it does not change when
        a re-annotation writes identical maps, so what was computed from them (cached latents) stays valid.
        None if not annotated or the version has no manifest entry for it."""
        live = self._live_value(self._complete_group(episode_id))
        member = value_member(name)
        sealed = None if live is None or member is None else \
            (live[0].attrs.get(MANIFEST_ATTR) or {}).get("arrays", {}).get(member)
        return None if sealed is None else hashlib.sha256(json.dumps(sealed, sort_keys=True).encode()).hexdigest()[:16]

    # ------------------------------------------------------------------ value maps
    @staticmethod
    def _value_group(group: zarr.Group) -> zarr.Group | None:
        try:
            return group[VALUE_GROUP]
        except KeyError:
            return None

    def _live_value(self, group: zarr.Group) -> tuple[zarr.Group, dict] | None:
        value = self._value_group(group)
        if value is None:
            return None
        attrs = value.attrs.asdict()
        live = live_version(attrs, value)
        return None if live is None else (value[live], attrs)

    def value_params(self, episode_id: str) -> dict | None:
        """Params of the live value maps (None if the episode is not annotated)."""
        live = self._live_value(self._complete_group(episode_id))
        return None if live is None else live[1].get("params")

    # ------------------------------------------------------------------ index
    def _scan(self) -> tuple[list[dict], list[str]]:
        rows, pending = [], []
        episodes = self._episodes()
        for name in self._group_names(EPISODES_GROUP):
            try:
                group = episodes[name]
            except KeyError:  # removed since the listing (a crash leftover cleared by its new writer)
                continue
            if group.attrs.get("complete") is not True:
                pending.append(name)
                continue
            attrs = parse_episode_attrs(group.attrs.asdict(), f"{self.url} episode {name}")
            rows.append({"episode_id": name, "task": attrs.task, "setting": attrs.setting, "seed": attrs.seed,
                         "num_steps": attrs.num_steps, "success": attrs.success,
                         "annotated": self._live_value(group) is not None})
        return rows, pending

    def read_index(self) -> list[dict]:
        """Rows of the index (complete episodes, sorted by id); a fresh scan if it is missing or stale.

        The stored table is trusted only after checking it against the groups' completion flags (one
        small read per group, concurrently): an episode deleted, interrupted by `--overwrite` or
        completed since the last rebuild makes it stale.
        """
        try:
            stored = self._root[INDEX_GROUP].attrs.asdict()
        except KeyError:
            stored = {}
        if stored.get("columns") != list(INDEX_COLUMNS):
            return self._scan()[0]
        rows = [dict(zip(INDEX_COLUMNS, r)) for r in stored["rows"]]
        names = self._group_names(EPISODES_GROUP)
        complete = self._completion(names)
        if {r["episode_id"] for r in rows} != {n for n in names if complete[n]}:
            return self._scan()[0]
        return rows

    def _completion(self, names: list[str]) -> dict[str, bool]:
        """Episode group -> `complete: true`? from the raw group metadata, read concurrently."""
        raws = sync(_get_all(self._root.store, [f"{EPISODES_GROUP}/{n}/zarr.json" for n in names]))
        return {n: raw is not None and json.loads(raw).get("attributes", {}).get("complete") is True
                for n, raw in zip(names, raws)}
