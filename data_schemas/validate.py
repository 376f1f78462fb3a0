"""Validation of episodes and stores against the schema in `spec`.

Used by the writer before anything is committed, by readers when a store is opened, and by
`aim-dataset validate` from the command line.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import ValidationError

from data_schemas.spec import (
    ARRAYS_BY_NAME,
    EPISODE_ARRAYS,
    MANIFEST_ATTR,
    MIGRATABLE_VERSIONS,
    MIGRATE_COMMAND,
    SCHEMA_VERSION,
    STORE_FORMAT,
    EpisodeAttrs,
    episode_dims,
)
from data_schemas.value_layout import is_value_name


class SchemaError(ValueError):
    """A dataset, store or episode does not follow the AIM schema; the message says what to do."""


@dataclass
class EpisodeData:
    """One episode in memory: validated attrs plus arrays keyed by schema name."""

    attrs: EpisodeAttrs
    arrays: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def episode_id(self) -> str:
        return self.attrs.episode_id


def check_store_format(attrs: Mapping[str, Any], where: str) -> None:
    """Refuse stores that are not AIM datasets (whatever their schema version)."""
    fmt = attrs.get("format")
    if fmt != STORE_FORMAT:
        raise SchemaError(
            f"{where} is not an AIM dataset (root attribute format={fmt!r}, expected {STORE_FORMAT!r}). "
            "Point --dataset at a store created by aim-rollout / generate-dataset, or at a new path.")


def version_advice(version: Any, where: str) -> str:
    """What to do with data of schema `version` (one line): the migrate command when one exists."""
    if version in MIGRATABLE_VERSIONS:
        return f"convert it in place with `{MIGRATE_COMMAND} {where}`."
    return "use the AIM release that wrote it."


def check_store_attrs(attrs: Mapping[str, Any], where: str) -> None:
    """Refuse stores that are not AIM datasets or carry another schema version."""
    check_store_format(attrs, where)
    version = attrs.get("schema_version")
    if version != SCHEMA_VERSION:
        raise SchemaError(f"{where} has schema version {version!r}, this AIM reads version {SCHEMA_VERSION}: "
                          + version_advice(version, where))


def parse_episode_attrs(raw: Mapping[str, Any], where: str) -> EpisodeAttrs:
    """Episode metadata from a group's attrs (the storage manifest is not metadata and is left out)."""
    try:
        attrs = EpisodeAttrs.model_validate({k: v for k, v in raw.items() if k != MANIFEST_ATTR})
    except ValidationError as exc:
        raise SchemaError(f"{where}: malformed episode attributes:\n{exc}") from exc
    if attrs.schema_version != SCHEMA_VERSION:
        raise SchemaError(f"{where}: episode schema version {attrs.schema_version}, expected {SCHEMA_VERSION}: "
                          + version_advice(attrs.schema_version, "PATH"))
    return attrs


def episode_errors(attrs: EpisodeAttrs, arrays: Mapping[str, Any]) -> list[str]:
    """Every mismatch between `arrays` (numpy or zarr arrays) and the schema, as readable lines."""
    errors: list[str] = []
    dims = episode_dims(attrs, dict(arrays))
    for spec in EPISODE_ARRAYS:
        if spec.name not in arrays:
            if spec.required:
                errors.append(f"missing array {spec.name!r}")
            continue
        arr = arrays[spec.name]
        try:
            expected = spec.resolve(dims)
        except KeyError as exc:
            errors.append(f"{spec.name}: cannot resolve dimension {exc}")
            continue
        if tuple(arr.shape) != expected:
            errors.append(f"{spec.name}: shape {tuple(arr.shape)}, expected {expected}")
        if np.dtype(arr.dtype) != np.dtype(spec.dtype):
            errors.append(f"{spec.name}: dtype {arr.dtype}, expected {spec.dtype}")
    for name, arr in arrays.items():
        spec = ARRAYS_BY_NAME.get(name)
        if spec is None or not is_value_name(name):
            continue
        expected = spec.resolve(dims)
        if tuple(arr.shape) != expected:
            errors.append(f"{name}: shape {tuple(arr.shape)}, expected {expected}")
    return errors


def validate_episode(episode: EpisodeData) -> None:
    errors = episode_errors(episode.attrs, episode.arrays)
    if errors:
        raise SchemaError(f"episode {episode.episode_id} does not match schema v{SCHEMA_VERSION}:\n  "
                          + "\n  ".join(errors))
