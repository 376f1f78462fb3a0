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

Reading (completion, live value version, manifests, the index) is `data_schemas.store.StoreReader`,
the same code training reads through.

Index. `index` group attrs hold a table (one row per complete episode) rebuilt by
`update_index()` from the episode groups, which stay the source of truth. `read_index()`
checks it against the completion flag of every group in `episodes/` and falls back to a scan
when it is missing or stale. The `annotated` column is as of the last rebuild.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import numpy as np
import zarr
from pydantic_core import PydanticSerializationError
from zarr.core.buffer import default_buffer_prototype
from zarr.core.sync import sync
from zarr.storage import LocalStore

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
    next_version,
    value_member,
    value_name,
)
from data_schemas.integrity import (
    DECODE_ERRORS,
    MANIFEST_ATTR,
    QUARANTINE_GROUP,
    Claim,
    build_manifest,
    claim,
    manifest_problems,
)
from data_schemas.store import INDEX_COLUMNS, StoreReader, collect_keys
from pipeline.record.layout import COMPRESSOR, array_layout
from data_schemas.locking import store_lock

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


class DatasetStore(StoreReader):
    """One AIM dataset: many episodes in one Zarr v3 store, read by the rules of `StoreReader` (the reader
    training shares) and written here. Open with `DatasetStore.open`."""

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
        if mode == "r" or (store is not None and sync(store.exists("zarr.json"))):
            return super().open(url, mode)
        # Missing or not yet whole: decide under the lock, which a process creating the store holds until the
        # root is written (unlocked, a listing can show its zarr.json while `exists` just said there was none).
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

    # ------------------------------------------------------------------ writing
    def _require_writable(self) -> None:
        if self.mode != "a":
            raise PermissionError(f"{self.url} is open read-only; open it with mode='a' to write.")

    # ------------------------------------------------------------------ episodes
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

    # ------------------------------------------------------------------ index
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
            keys = sync(collect_keys(store.list_prefix(f"{source.path}/")))
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
        keys = sync(collect_keys(store.list_prefix("")))
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
