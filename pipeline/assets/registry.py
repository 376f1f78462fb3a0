"""Registry of procedural object kinds: `make_asset(kind, rng, **kw)` is the only entry point.

Kinds register a factory `factory(rng, **kw) -> ObjectAsset` with `@register_kind("name")`; the
factory draws every random choice from `rng`, so the same seed always yields the same asset.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import numpy as np

from pipeline.assets.object_asset import ObjectAsset

AssetFactory = Callable[..., ObjectAsset]
_FACTORIES: dict[str, AssetFactory] = {}


def register_kind(kind: str) -> Callable[[AssetFactory], AssetFactory]:
    """Decorator registering `factory` under `kind` (names must be unique)."""

    def decorate(factory: AssetFactory) -> AssetFactory:
        if kind in _FACTORIES:
            raise ValueError(f"asset kind {kind!r} is already registered")
        _FACTORIES[kind] = factory
        return factory

    return decorate


def list_asset_kinds() -> list[str]:
    """Names of every registered kind, sorted."""
    return sorted(_FACTORIES)


def make_asset(kind: str, rng: np.random.Generator, **kw) -> ObjectAsset:
    """Build a new `kind` object, drawing its random size/colour from `rng`.

    Keyword arguments fix individual parameters (e.g. `size=0.045`, `color=...`, `name=...`).
    Raises KeyError naming the known kinds when `kind` is not registered.
    """
    try:
        factory = _FACTORIES[kind]
    except KeyError:
        raise KeyError(f"unknown asset kind {kind!r}; known kinds: {', '.join(list_asset_kinds())}") from None
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
    signature = inspect.signature(factory)
    unknown = sorted(set(kw) - set(signature.parameters))
    if unknown:
        accepted = [name for name in signature.parameters if name != "rng"]
        raise TypeError(f"asset kind {kind!r} takes no parameter(s) {unknown}; accepted: {accepted}")
    return factory(rng, **kw)
