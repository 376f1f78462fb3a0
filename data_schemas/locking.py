"""Advisory inter-process lock on a local dataset directory.

Why: creating a store and rebuilding its index are read-modify-write operations on shared
metadata; two processes doing them at once on one machine (parallel rollout workers) must take
turns. The lock is `flock` on the store's root directory itself, so no extra file appears inside
the Zarr hierarchy. Remote (fsspec) stores get no lock: their index writes are single-object
PUTs of a value derived entirely from the episode groups, so the last writer still leaves a
valid index.
"""
from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import ContextManager


@contextmanager
def directory_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive `flock` on directory `path` (blocks until free)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def store_lock(local_root: Path | None) -> ContextManager[None]:
    """The lock for a store: a directory lock for local stores, nothing for remote ones."""
    return directory_lock(local_root) if local_root is not None else nullcontext()
