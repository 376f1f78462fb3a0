"""Where an episode's live value maps are: one rule shared by the writer and every reader.

Why: value maps are re-annotated in place while training may be reading. Each annotation goes
into a fresh version group `episodes/<id>/value/v<NNNN>/`; the `value` group's attrs
{live, params, arrays} name the current one, and a single metadata write switches it. Writers
(`pipeline.record.store`) and readers (`aim_core.data.episodes`) must agree on that rule, so it
is part of the dataset contract and lives here, free of zarr and of both packages.
"""
from __future__ import annotations

import re
from collections.abc import Container, Iterable, Mapping
from typing import Any

VALUE_GROUP = "value"
"""Episode sub-group holding the value-map versions; schema names are `value/<name>`."""
LIVE_ATTR = "live"
"""Attr of the `value` group naming the current version group."""
_VALUE_PREFIX = f"{VALUE_GROUP}/"
_VERSION_NAME = re.compile(r"^v(\d{4,})$")
_MEMBER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def value_member(name: str) -> str | None:
    """The array name inside a version group for schema name `value/<member>`, else None.

    None also for names that are not one plain level (`value/a/b`, `value/`), so a caller can
    tell "not a value array" from a valid one with a single check.
    """
    if not name.startswith(_VALUE_PREFIX):
        return None
    member = name[len(_VALUE_PREFIX):]
    return member if _MEMBER_NAME.match(member) else None


def is_value_name(name: str) -> bool:
    """Whether `name` lies under `value/` (well formed or not): such arrays go through write_value."""
    return name.startswith(_VALUE_PREFIX)


def value_name(member: str) -> str:
    """Schema name `value/<member>` of an array stored in a version group."""
    return _VALUE_PREFIX + member


def live_version(value_attrs: Mapping[str, Any], versions: Container[str]) -> str | None:
    """Name of the live version group, None when not annotated or when `live` names a missing group.

    `versions` is anything answering `in` with the `value` group's member names (a zarr group).
    """
    live = value_attrs.get(LIVE_ATTR)
    return live if isinstance(live, str) and live in versions else None


def next_version(names: Iterable[str]) -> str:
    """A version name newer than every version among `names` (other members are ignored)."""
    numbers = [int(m.group(1)) for n in names if (m := _VERSION_NAME.match(n))]
    return f"v{max(numbers, default=0) + 1:04d}"


def live_attrs(version: str, params: Mapping[str, Any], arrays: Iterable[str]) -> dict[str, Any]:
    """The `value` group attrs that make `version` (holding schema names `arrays`) the live one."""
    return {LIVE_ATTR: version, "params": dict(params), "arrays": sorted(arrays)}
