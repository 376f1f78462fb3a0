"""`DatasetStore`: the AIM dataset (schema in `data_schemas`) over one Zarr v3 store.

Why this shape: tens of thousands of episodes are written by many rollout workers, annotated
later, and read by training, possibly while writers are still running. So:

Layout. Root attrs {format, schema_version, created, layout}. Episode `<id>` lives in
`episodes/<id>/` with the arrays of `data_schemas.spec` ("contacts/step" is the sub-group
`contacts`), chunked along time, Blosc-zstd compressed and sharded (see `layout`), so an
episode is a few dozen files, not hundreds.

Visibility. An episode group is written with `complete: false`, then its arrays, then
`complete: true` together with the manifest of its arrays as the last write. Readers
(`episode_ids`, `has_episode`, `read_*`, the index) ignore groups without `complete: true`, and
check the stored objects against the manifest before handing out data (`data_schemas.integrity`).
Rewriting a complete episode is a no-op returning False unless `overwrite=True`.

Concurrency. Every write of an episode (and of its value maps) happens under that unit's claim
(`data_schemas.integrity.claim`: conditional create of a lease object, on local disk and object
stores alike). A second writer gets `ClaimedError` and writes nothing; an incomplete group whose
claim is gone (a crashed writer's leftover) is deleted and written again. Store creation and
index rebuilds take a directory lock (`locking`).

Damage. `check_episode(deep=True)` / `damage()` read every stored object against its checksum;
`quarantine()` moves a damaged episode (or its value maps) under `quarantine/` so a rerun of the
producer regenerates it; nothing readable is deleted.

Value maps (`write_value`). Each annotation is written into a fresh version group
`episodes/<id>/value/v<NNNN>/` (map, rgb, phase, extras). When it is complete, one metadata
write of the `value` group attrs {live, params, arrays} makes it current; readers resolve
`value/<name>` through `live`, so they see the old maps or the new ones, never a mix. The
previous version is kept for readers that resolved it just before the swap; older ones and
staging leftovers of crashed annotators are deleted. The version rule itself is `data_schemas.value_layout`.

Index. `index` group attrs hold a table (one row per complete episode) rebuilt by
`update_index()` from the episode groups, which stay the source of truth. `read_index()`
checks it against the completion flag of every group in `episodes/` and falls back to a scan
when it is missing or stale. The `annotated` column is as of the last rebuild.
"""
from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import numpy as np
import zarr
from pydantic_core import PydanticSerializationError
from zarr.core.buffer import default_buffer_prototype
from zarr.core.sync import sync
from zarr.errors import GroupNotFoundError
from zarr.storage import FsspecStore, LocalStore

from data_schemas.spec import (
    ARRAYS_BY_NAME,
    EPISODE_ARRAYS,
    EPISODES_GROUP,
    INDEX_GROUP,
    SCHEMA_VERSION,
    STORE_FORMAT,
    TIME_CHUNK,
    TIME_SHARD,
    VALUE_ARRAYS,
    EpisodeAttrs,
    episode_dims,
)
from data_schemas.validate import (
    EpisodeData,
    SchemaError,
    check_store_attrs,
    check_store_format,
    episode_errors,
    parse_episode_attrs,
    validate_episode,
)
from data_schemas.value_layout import (
    LIVE_ATTR,
    VALUE_GROUP,
    is_value_name,
    live_attrs,
    live_version,
    next_version,
    value_member,
    value_name,
)
from data_schemas.integrity import (
    DECODE_ERRORS,
    MANIFEST_ATTR,
    QUARANTINE_GROUP,
    Claim,
    IntegrityError,
    build_manifest,
    check_manifest,
    claim,
    manifest_problems,
    read_error,
)
from pipeline.record.layout import COMPRESSOR, array_layout
from pipeline.record.locking import store_lock

_EPISODE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
INDEX_COLUMNS = ("episode_id", "task", "setting", "seed", "num_steps", "success", "annotated")
VANISHED_VERSION_RETRIES = 5
"""Times a reader resolves the live value-map version again when the one it read was deleted under it."""


async def _collect(aiter) -> list[str]:
    return [key async for key in aiter]


async def _get_all(store: zarr.abc.store.Store, keys: list[str]) -> list[bytes | None]:
    async def get(key: str) -> bytes | None:
        buf = await store.get(key, prototype=default_buffer_prototype())
        return None if buf is None else buf.to_bytes()
    return list(await asyncio.gather(*(get(k) for k in keys)))


def _episode_unit(episode_id: str) -> str:
    """Claim unit of an episode's arrays (`data_schemas.integrity.claim`)."""
    return f"{EPISODES_GROUP}/{episode_id}"


def _value_unit(episode_id: str) -> str:
    """Claim unit of an episode's value maps: annotators and recorders of one episode do not exclude each other."""
    return f"{EPISODES_GROUP}/{episode_id}/{VALUE_GROUP}"


def _json_clean(value: Any, what: str) -> Any:
    """`value` as plain JSON types, or a SchemaError saying what could not be stored."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError) as exc:
        raise SchemaError(f"{what} must be JSON-serialisable (plain str/int/float/bool/list/dict): {exc}") from exc


def _resolve_url(url: str | Path) -> tuple[str, Path | None]:
    """(url for messages, local directory or None for remote fsspec stores)."""
    if isinstance(url, Path):
        return str(url), url
    if url.startswith("file://"):
        return url, Path(url[len("file://"):])
    if "://" in url:
        return url, None
    return url, Path(url)


class DatasetStore:
    """One AIM dataset: many episodes in one Zarr v3 store. Open with `DatasetStore.open`."""

    def __init__(self, root: zarr.Group, url: str, local_root: Path | None, mode: Literal["r", "a"]):
        self._root = root
        self.url = url
        self.local_root = local_root
        self.mode = mode
        self._verified: set[tuple[str, str | None]] = set()  # (episode, live value version) checked this session

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, url: str | Path, mode: Literal["r", "a"] = "r") -> DatasetStore:
        """Open a dataset; mode "a" creates it when the path is missing or an empty directory.

        Refuses (SchemaError, nothing touched) a missing store in mode "r", a path that is not a
        Zarr v3 store, a Zarr store that is not an AIM dataset, and another schema version.
        """
        if mode not in ("r", "a"):
            raise ValueError(f"mode must be 'r' or 'a', not {mode!r}")
        where, local, store = cls._locate(url, mode)
        if store is not None and cls._has_root(store, where):
            return cls(cls._open_existing(store, where, local, mode), where, local, mode)
        if mode == "r":
            raise SchemaError(f"no AIM dataset at {where}: nothing is there. Check the path, or create one with "
                              f"`aim-rollout --out {where} ...` (or DatasetStore.open(..., mode='a')).")
        if local is not None:
            local.mkdir(parents=True, exist_ok=True)
            store = LocalStore(local)
        with store_lock(local):
            if not cls._has_root(store, where):  # another process may have created it meanwhile
                cls._create(store)
        return cls(cls._open_existing(store, where, local, mode), where, local, mode)

    @classmethod
    def open_root_for_migration(cls, url: str | Path) -> tuple[zarr.Group, str, Path | None]:
        """(writable root group, url for messages, local directory or None) of an existing AIM dataset of
        any schema version. Only `pipeline.record.migrate` uses it: everything else goes through `open`,
        which refuses other versions."""
        where, local, store = cls._locate(url, "a")
        if store is None or not cls._has_root(store, where):
            raise SchemaError(f"no AIM dataset at {where}: nothing to migrate. Check the path.")
        return cls._open_root(store, where, "a", check_store_format), where, local

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
        keys = sync(_collect(store.list_dir("")))
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

    @staticmethod
    def _create(store: zarr.abc.store.Store) -> None:
        attrs = {
            "format": STORE_FORMAT,
            "schema_version": SCHEMA_VERSION,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "layout": {"time_chunk": TIME_CHUNK, "time_shard": TIME_SHARD, "compressor": COMPRESSOR.to_dict()},
        }
        root = zarr.create_group(store=store, attributes=_json_clean(attrs, "store attrs"), zarr_format=3)
        root.create_group(EPISODES_GROUP)
        root.create_group(INDEX_GROUP)

    # ------------------------------------------------------------------ helpers
    def _require_writable(self) -> None:
        if self.mode != "a":
            raise PermissionError(f"{self.url} is open read-only; open it with mode='a' to write.")

    def _episodes(self) -> zarr.Group:
        return self._root[EPISODES_GROUP]

    def _group_names(self, path: str) -> list[str]:
        """Member names under `path`: not its metadata document, nor the `zarr.<uuid>.partial` file
        zarr writes and renames while another process rewrites that document (concurrent writers)."""
        keys = sync(_collect(self._root.store.list_dir(path)))
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

    def write_episode(self, episode: EpisodeData, overwrite: bool = False) -> bool:
        """Write one episode; False (and nothing written) if it is already complete.

        The episode is validated against the schema before anything is written. The writer holds the
        episode's claim (`data_schemas.integrity`) throughout: a second writer of the same episode gets
        `ClaimedError` and writes nothing. `overwrite=True` deletes a complete episode first (readers
        briefly see it missing) and writes it anew; so is an incomplete group nobody holds (a crashed
        writer's leftover). `complete: true` is written with the manifest of every array.
        """
        self._require_writable()
        validate_episode(episode)
        unknown = sorted(n for n in episode.arrays if n not in ARRAYS_BY_NAME or is_value_name(n))
        if unknown:
            raise SchemaError(f"episode {episode.episode_id}: arrays {unknown} are not episode arrays of schema "
                              f"v{SCHEMA_VERSION}; value maps are written with write_value().")
        try:
            attrs = _json_clean({**episode.attrs.model_dump(mode="json"), "complete": False},
                                f"episode {episode.episode_id} attrs")
        except PydanticSerializationError as exc:
            raise SchemaError(f"episode {episode.episode_id} attrs must be JSON-serialisable "
                              f"(plain str/int/float/bool/list/dict): {exc}") from exc
        with claim(self._root.store, _episode_unit(episode.episode_id)) as held:
            existing = self._episode_group(episode.episode_id)
            if existing is not None:
                if existing.attrs.get("complete") is True and not overwrite:
                    return False
                del self._episodes()[episode.episode_id]  # ours to replace: we hold the claim
            group = self._episodes().create_group(episode.episode_id, attributes=attrs)
            for name, data in episode.arrays.items():
                write_array(group, name, name, np.asarray(data), episode.attrs.num_steps)
                held.renew()
            self._seal(group, {n: np.shape(a) for n, a in episode.arrays.items()}, held,
                       {"complete": True})
        return True

    def _seal(self, group: zarr.Group, shapes: dict[str, tuple[int, ...]], held: Claim, attrs: dict) -> None:
        """Write the manifest of the arrays `shapes` together with `attrs` (the commit) as one attrs write,
        after checking the claim is still ours."""
        manifest = build_manifest(self._root.store, group.path, shapes)
        held.check()
        group.update_attributes({MANIFEST_ATTR: manifest, **attrs})

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
        if value is None or version not in value:
            return False
        group = value[version]
        manifest = group.attrs.get(MANIFEST_ATTR)
        try:
            return manifest is None or not manifest_problems(self._root.store, group.path, manifest)
        except FileNotFoundError:
            return False

    def check_episode(self, episode_id: str, deep: bool = False) -> list[str]:
        """Every problem of a stored complete episode: attrs, array shapes/dtypes, value maps, and stored
        objects against the manifest (`deep`: every object's checksum, and every chunk of an episode
        without a manifest decoded)."""
        try:
            attrs = self.read_attrs(episode_id)
        except SchemaError as exc:
            return [str(exc)]
        group = self._complete_group(episode_id)
        return self._integrity_problems(group, deep) + self._value_problems(group, attrs, deep) + episode_errors(
            attrs, {s.name: group[s.name] for s in EPISODE_ARRAYS if s.name in group})

    def _value_problems(self, group: zarr.Group, attrs: EpisodeAttrs, deep: bool) -> list[str]:
        """Problems of the live value version (none when not annotated)."""
        value = self._value_group(group)
        if value is None or value.attrs.get(LIVE_ATTR) is None:
            return []
        live = self._live_value(group)
        if live is None:
            return [f"value attrs name live version {value.attrs.get(LIVE_ATTR)!r}, which is missing"]
        arrays = {value_name(n): a for n, a in live[0].arrays()}
        return [f"value maps {live[0].basename}: {p}" for p in self._integrity_problems(live[0], deep)] + \
            _value_errors(attrs, arrays)

    def _integrity_problems(self, group: zarr.Group, deep: bool) -> list[str]:
        """Stored objects of `group` against its manifest; without one, `deep` decodes every array."""
        manifest = group.attrs.get(MANIFEST_ATTR)
        if manifest is not None:
            return manifest_problems(self._root.store, group.path, manifest, deep)
        if not deep:
            return []
        problems = []
        for name, arr in group.arrays():
            try:
                arr[...]
            except DECODE_ERRORS as exc:
                problems.append(f"array {name!r} cannot be decoded ({type(exc).__name__}: {exc})")
        return problems

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

    def write_value(self, episode_id: str, arrays: dict[str, np.ndarray], params: dict) -> None:
        """Make `arrays` (value/map, value/rgb, value/phase, optional value/*) the episode's value maps.

        Holds the episode's value claim while writing (a concurrent annotator gets `ClaimedError`); the
        new version is sealed with its manifest before one attrs write makes it live.
        """
        self._require_writable()
        group = self._complete_group(episode_id)
        attrs = parse_episode_attrs(group.attrs.asdict(), f"{self.url} episode {episode_id}")
        errors = _value_errors(attrs, arrays)
        if errors:
            raise SchemaError(f"value maps for {episode_id} do not match schema v{SCHEMA_VERSION}:\n  "
                              + "\n  ".join(errors))
        params = _json_clean(params, "annotation params")
        with claim(self._root.store, _value_unit(episode_id)) as held:
            value = self._value_group(group) or group.create_group(VALUE_GROUP)
            previous = value.attrs.get(LIVE_ATTR)
            version = next_version(self._group_names(value.path))
            staging = value.create_group(version, attributes={"params": params})
            for name, data in arrays.items():
                write_array(staging, value_member(name), name, np.asarray(data), attrs.num_steps)
                held.renew()
            self._seal(staging, {value_member(n): np.shape(a) for n, a in arrays.items()}, held, {})
            value.update_attributes(live_attrs(version, params, arrays))
            for name in self._group_names(value.path):
                if name not in (version, previous):
                    del value[name]

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

    def update_index(self) -> list[dict]:
        """Rebuild the index table from the episode groups and store it; returns its rows."""
        self._require_writable()
        with store_lock(self.local_root):
            rows, pending = self._scan()
            if INDEX_GROUP not in self._root:
                self._root.create_group(INDEX_GROUP)
            self._root[INDEX_GROUP].update_attributes({
                "columns": list(INDEX_COLUMNS), "rows": [[r[c] for c in INDEX_COLUMNS] for r in rows],
                "pending": pending, "updated": datetime.now(timezone.utc).isoformat(timespec="seconds")})
        return rows

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

    # ------------------------------------------------------------------ repair
    def damage(self, episode_id: str) -> tuple[list[str], list[str]]:
        """(problems of the episode's own arrays, problems of its live value maps), read in full (deep)."""
        try:
            attrs = self.read_attrs(episode_id)
        except SchemaError as exc:
            return [str(exc)], []
        group = self._complete_group(episode_id)
        own = self._integrity_problems(group, deep=True) + episode_errors(
            attrs, {s.name: group[s.name] for s in EPISODE_ARRAYS if s.name in group})
        return own, self._value_problems(group, attrs, deep=True)

    def quarantine(self, episode_id: str, value_only: bool = False) -> str:
        """Move a complete episode (or only its value maps) under `quarantine/`; returns the new group path.

        Nothing is deleted before it is copied: the group is copied, then withdrawn (`complete: false`, or
        the value maps' `live` cleared) and only then removed, all under the unit's claim, so a crash
        leaves either the original, or a copy plus an incomplete leftover the next writer replaces. A
        rerun of the producer (`aim-rollout` / `aim-annotate`) then regenerates what was moved.
        """
        self._require_writable()
        group = self._complete_group(episode_id)
        store = self._root.store
        unit = _value_unit(episode_id) if value_only else _episode_unit(episode_id)
        with claim(store, unit):
            source = self._value_group(group) if value_only else group
            if source is None:
                raise KeyError(f"episode {episode_id!r} has no value maps to move")
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
            target = f"{QUARANTINE_GROUP}/{episode_id}{'.value' if value_only else ''}-{stamp}"
            with store_lock(self.local_root):
                self._root.require_group(QUARANTINE_GROUP)
            keys = sync(_collect(store.list_prefix(f"{source.path}/")))
            for key in keys:
                buf = sync(store.get(key, prototype=default_buffer_prototype()))
                if buf is not None:
                    sync(store.set(target + key[len(source.path):], buf))
            if value_only:
                source.update_attributes({LIVE_ATTR: None})
            else:
                group.update_attributes({"complete": False})
            sync(store.delete_dir(source.path))
        self._verified = {v for v in self._verified if v[0] != episode_id}
        return target

    # ------------------------------------------------------------------ size
    def nbytes_stored(self) -> int:
        """Bytes the whole store occupies (sum of object sizes)."""
        store = self._root.store
        keys = sync(_collect(store.list_prefix("")))
        return sum(sync(store.getsize(k)) for k in keys)


def write_array(group: zarr.Group, path: str, schema_name: str, data: np.ndarray, num_steps: int) -> None:
    """Create `group/path` with the chunking/compression `layout` gives schema array `schema_name`, filled with `data`."""
    layout = array_layout(schema_name, tuple(data.shape), num_steps)
    arr = group.create_array(path, shape=data.shape, dtype=data.dtype, **layout.create_kwargs())
    if data.size:
        arr[...] = data


def _value_errors(attrs: EpisodeAttrs, arrays: dict[str, Any]) -> list[str]:
    """Problems of a set of value arrays for an episode with `attrs`."""
    errors = [f"missing array {s.name!r}" for s in VALUE_ARRAYS if s.name not in arrays]
    dims = episode_dims(attrs, {})
    for name, arr in arrays.items():
        if value_member(name) is None:
            errors.append(f"{name!r}: value arrays are named 'value/<name>' (one level, letters/digits/_.-)")
            continue
        spec = ARRAYS_BY_NAME.get(name)
        if spec is None:
            continue
        if tuple(arr.shape) != spec.resolve(dims):
            errors.append(f"{name}: shape {tuple(arr.shape)}, expected {spec.resolve(dims)}")
        if np.dtype(arr.dtype) != np.dtype(spec.dtype):
            errors.append(f"{name}: dtype {arr.dtype}, expected {spec.dtype}")
    return errors
