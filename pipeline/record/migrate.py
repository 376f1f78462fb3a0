"""`aim-dataset migrate PATH`: convert an AIM dataset of an older schema version in place.

v1 -> v2 (the only migration): v1 recorders stored as `action[t]` the drive target already in force
when frame t was captured, which lags the command by one control step. v2 stores the command issued
after frame t, i.e. the target in force at the last physics step before frame t+1: exactly what v1
stored at frame t+1. So new action[t] = old action[t+1] for t < T-1, exact. The last row keeps old
action[T-1]: the expert ends every episode holding its final target for its settle time (0.1 s =
25 physics steps, at least one control period for record_every <= 25, the default being 15), so the
target at the last frame is the target at the episode end. Nothing else changes: other arrays,
value maps, latents and the index stay byte-identical; the store's cached action statistics (`stats`
attrs) are dropped, since they describe the old actions (statistics in a separate cache store are
keyed by a digest that covers the schema version, so they are not reused either).

Crash safety and idempotence: per episode, the v1 actions are first copied to `BACKUP_ARRAY`, and
only once that copy is whole the attr `BACKUP_ATTR` marks it trusted; the new actions are always
computed from that copy (rewriting them twice gives the same bytes), then one attrs write sets the
episode's `schema_version` to 2 and drops the mark, then the copy is deleted. The root
`schema_version` is bumped last, so until the whole store is converted every reader and writer
still refuses it, and a rerun resumes where a crash stopped. A v2 store is left untouched.
Incomplete episode groups (a crashed writer's leftovers) are left as they are: readers ignore them and
the next writer of that episode rewrites them.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import zarr

from data_schemas.integrity import MANIFEST_ATTR, build_manifest
from data_schemas.spec import ACTION_STATS_ATTR, EPISODES_GROUP, MIGRATABLE_VERSIONS, SCHEMA_VERSION, STATS_GROUP
from data_schemas.validate import SchemaError
from data_schemas.locking import store_lock
from pipeline.record.store import DatasetStore, write_array

BACKUP_ARRAY = "action-v1"
"""Copy of an episode's v1 actions while it is being converted."""
BACKUP_ATTR = "migrating_action_v1"
"""Episode attr: True once `BACKUP_ARRAY` holds the whole v1 action array."""


@dataclass
class MigrationReport:
    url: str
    from_version: int
    to_version: int = SCHEMA_VERSION
    migrated: list[str] = field(default_factory=list)
    """Episodes converted by this run (empty for a store that was already current)."""
    incomplete: list[str] = field(default_factory=list)
    """Incomplete episode groups left untouched."""
    stats_dropped: int = 0
    """Cached action-statistics entries removed."""


def v2_actions(v1_actions: np.ndarray) -> np.ndarray:
    """The v2 action rows of an episode recorded with v1 actions (see the module docstring)."""
    return np.concatenate([v1_actions[1:], v1_actions[-1:]], axis=0)


def migrate_store(url: str | Path, on_episode: Callable[[str], None] | None = None) -> MigrationReport:
    """Convert the dataset at `url` to SCHEMA_VERSION in place; a no-op on a current store.

    `on_episode(id)` is called after each converted episode. A missing store, a store that is not an
    AIM dataset, or a version with no migration -> SchemaError, nothing changed.
    """
    root, where, local = DatasetStore.open_root_for_migration(url)
    with store_lock(local):  # two migrations at once would each back up the other's half-shifted actions
        version = root.attrs.get("schema_version")
        report = MigrationReport(url=where, from_version=version)
        if version == SCHEMA_VERSION:
            return report
        if version not in MIGRATABLE_VERSIONS:
            raise SchemaError(f"{where} has schema version {version!r}: no migration to version {SCHEMA_VERSION} "
                              f"exists (it converts {list(MIGRATABLE_VERSIONS)}); use the AIM release that wrote it.")
        episodes = root[EPISODES_GROUP]
        for name in sorted(episodes.group_keys()):
            group = episodes[name]
            if group.attrs.get("complete") is not True:
                report.incomplete.append(name)
            elif _migrate_episode(group, f"{where} episode {name}"):
                report.migrated.append(name)
                if on_episode is not None:
                    on_episode(name)
        report.stats_dropped = _drop_action_stats(root)
        root.update_attributes({"schema_version": SCHEMA_VERSION})
    return report


def _migrate_episode(group: zarr.Group, where: str) -> bool:
    """Convert one complete episode group; False if it was already current (a rerun after a crash)."""
    version = group.attrs.get("schema_version")
    if version == SCHEMA_VERSION:
        if BACKUP_ARRAY in group:  # crashed after the episode's attrs write, before the cleanup
            del group[BACKUP_ARRAY]
        return False
    if version not in MIGRATABLE_VERSIONS:
        raise SchemaError(f"{where}: episode schema version {version!r} in a v1 store; nothing was converted "
                          "for it. The store is damaged: re-record this episode.")
    if group.attrs.get(BACKUP_ATTR) is not True:
        if BACKUP_ARRAY in group:  # a copy interrupted half-way: the actions themselves are still v1
            del group[BACKUP_ARRAY]
        old = group["action"][...]
        write_array(group, BACKUP_ARRAY, "action", old, int(group.attrs["num_steps"]))
        group.update_attributes({BACKUP_ATTR: True})
    group["action"][...] = v2_actions(group[BACKUP_ARRAY][...])
    _finish_episode(group)
    del group[BACKUP_ARRAY]
    return True


def _finish_episode(group: zarr.Group) -> None:
    """One attrs write: the episode is v2, its backup no longer needed and, when it has an integrity
    manifest, the rewritten action array sealed anew (attr order kept)."""
    attrs = group.attrs.asdict()
    attrs.pop(BACKUP_ATTR)
    attrs["schema_version"] = SCHEMA_VERSION
    if MANIFEST_ATTR in attrs:
        resealed = build_manifest(group.store, group.path, {"action": group["action"].shape})
        attrs[MANIFEST_ATTR]["arrays"]["action"] = resealed["arrays"]["action"]
    group.attrs.put(attrs)


def _drop_action_stats(root: zarr.Group) -> int:
    """Empty the cached action statistics of the store; returns how many entries there were."""
    try:
        stats = root[STATS_GROUP]
    except KeyError:
        return 0
    entries = stats.attrs.get(ACTION_STATS_ATTR) or {}
    if entries:
        stats.update_attributes({ACTION_STATS_ATTR: {}})
    return len(entries)
