"""Integrity rules of a stored dataset: the completion manifest and the per-unit write claim.

Why here: a 30K-episode store is written by many workers over days and read for weeks, so two
things must hold whatever happens to processes and disks, and writers (`pipeline.record.store`)
and readers (`aim_core.data.episodes`, `aim-dataset validate`) must apply the same rules:

1. Exactly one writer at a time per unit (an episode, or an episode's value maps). A writer takes
   a *claim*: the object `claims/<unit>/<generation>` created with a conditional write (exclusive
   create on local disk, `If-None-Match` on object stores through fsspec's `mode="create"`), so of
   two writers only one creates a generation. A claim carries a lease; an expired claim, or one
   whose owner process is gone on this host, is taken over by creating the next generation. The
   owner checks before its final commit that no newer generation exists (fencing), so a writer that
   lost its claim never marks anything complete.
2. `complete: true` comes with a *manifest*: for every array, its shape and, for every stored object
   (shard or chunk file and the array's own metadata), its size and CRC-32. A reader compares the
   stored objects and their sizes with it (one listing, no data read), which catches deleted and
   truncated chunks that zarr would otherwise read back as zeros; `deep` checks also compare the
   CRC-32 of every object, which catches overwritten and bit-flipped ones. Arrays written since the
   manifest also carry zarr's crc32c codec, so a normal read of a damaged chunk fails too; the
   readers turn that failure into an `IntegrityError` naming the episode and array.

Episodes written before manifests existed have none: readers accept them unchecked and
`aim-dataset validate --deep` decodes all their chunks instead.
"""
from __future__ import annotations

import asyncio
import json
import os
import socket
import time
import uuid
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from zarr.abc.store import Store
from zarr.core.buffer import default_buffer_prototype
from zarr.core.sync import sync
from zarr.storage import FsspecStore, LocalStore

from data_schemas.spec import MANIFEST_ATTR
from data_schemas.validate import SchemaError

CLAIMS_PREFIX = "claims"
"""Top-level key prefix of write claims (plain objects, not part of the Zarr hierarchy)."""
QUARANTINE_GROUP = "quarantine"
"""Top-level group where `aim-dataset repair` moves damaged episodes and value maps (never deleted)."""
DEFAULT_LEASE_S = 120.0
"""A claim not renewed for this long is considered abandoned (writers renew it between arrays)."""
DECODE_ERRORS = (ValueError, RuntimeError, IndexError, TypeError, OSError)
"""What zarr and its codecs raise on damaged bytes (checksum mismatch, bad shard index, codec errors)."""
REPAIR_HINT = "run `aim-dataset validate --deep PATH`, then `aim-dataset repair PATH` and rerun the producer"


class IntegrityError(SchemaError):
    """Stored data is missing or damaged; the message names the episode and array, and what to run."""


class ClaimedError(RuntimeError):
    """Another live process holds the claim on this unit; the message names it."""


class ClaimLostError(RuntimeError):
    """This process's claim was taken over (its lease expired) before it committed: nothing was committed."""


# ---------------------------------------------------------------------------- store helpers
async def _list(store: Store, prefix: str) -> list[str]:
    return [key async for key in store.list_prefix(prefix)]


def _read(store: Store, key: str) -> bytes | None:
    buf = sync(store.get(key, prototype=default_buffer_prototype()))
    return None if buf is None else buf.to_bytes()


async def _sizes(store: Store, keys: list[str]) -> list[int | None]:
    async def size(key: str) -> int | None:
        try:
            return await store.getsize(key)
        except FileNotFoundError:
            return None
    return list(await asyncio.gather(*(size(k) for k in keys)))


async def _contents(store: Store, keys: list[str]) -> list[bytes | None]:
    async def get(key: str) -> bytes | None:
        buf = await store.get(key, prototype=default_buffer_prototype())
        return None if buf is None else buf.to_bytes()
    return list(await asyncio.gather(*(get(k) for k in keys)))


def create_exclusive(store: Store, key: str, data: bytes) -> bool:
    """Write `key` only if it does not exist, atomically; True if this call created it.

    Local stores use an exclusive file create; fsspec stores use `pipe_file(mode="create")`, which
    object stores implement as a conditional PUT. Other stores cannot do it safely: refused.
    """
    if isinstance(store, LocalStore):
        path = store.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(path, "xb") as fh:
                fh.write(data)
        except FileExistsError:
            return False
        return True
    if isinstance(store, FsspecStore):
        try:
            sync(store.fs._pipe_file(f"{store.path}/{key}", data, mode="create"))
        except FileExistsError:
            return False
        return True
    raise SchemaError(f"{type(store).__name__} cannot do conditional writes, so concurrent writers cannot be kept "
                      "apart; use a local path or an fsspec URL.")


# ---------------------------------------------------------------------------- manifest
def array_prefixes(group_path: str, names: Iterable[str]) -> dict[str, str]:
    """Schema/member name -> key prefix of that array's objects inside the group at `group_path`."""
    return {name: f"{group_path}/{name}/" for name in names}


def build_manifest(store: Store, group_path: str, shapes: Mapping[str, tuple[int, ...]]) -> dict[str, Any]:
    """The manifest of the arrays `shapes` (name -> shape) just written under `group_path`."""
    prefixes = array_prefixes(group_path, shapes)
    keys = sorted(sync(_list(store, f"{group_path}/")))
    arrays: dict[str, Any] = {}
    for name, prefix in prefixes.items():
        own = [k for k in keys if k.startswith(prefix)]
        data = sync(_contents(store, own))
        arrays[name] = {"shape": list(shapes[name]),
                        "objects": {k[len(prefix):]: [len(b), zlib.crc32(b)] for k, b in zip(own, data)
                                    if b is not None}}
    return {"arrays": arrays}


def manifest_problems(store: Store, group_path: str, manifest: Mapping[str, Any], deep: bool = False) -> list[str]:
    """Every difference between the stored objects of the manifest's arrays and the manifest.

    Cheap (default): one listing and a size per object: missing, truncated/extended and unexpected
    objects. `deep`: also the CRC-32 of every object's bytes (reads all of them).
    """
    arrays = manifest.get("arrays", {})
    prefixes = array_prefixes(group_path, arrays)
    listed = set(sync(_list(store, f"{group_path}/")))
    problems = []
    for name, entry in arrays.items():
        prefix, sealed = prefixes[name], entry["objects"]
        stored = sorted(k[len(prefix):] for k in listed if k.startswith(prefix))
        missing = sorted(set(sealed) - set(stored))
        problems += [f"array {name!r}: object {rel!r} is missing (deleted)" for rel in missing]
        problems += [f"array {name!r}: object {rel!r} was not written by the sealing writer"
                     for rel in stored if rel not in sealed]
        present = [rel for rel in stored if rel in sealed]
        keys = [prefix + rel for rel in present]
        if deep:
            for rel, data in zip(present, sync(_contents(store, keys))):
                size, crc = sealed[rel]
                if data is None:
                    problems.append(f"array {name!r}: object {rel!r} is missing (deleted)")
                elif len(data) != size:
                    problems.append(f"array {name!r}: object {rel!r} has {len(data)} bytes, sealed with {size} "
                                    "(truncated or overwritten)")
                elif zlib.crc32(data) != crc:
                    problems.append(f"array {name!r}: object {rel!r} differs from its sealed checksum (damaged)")
        else:
            for rel, size in zip(present, sync(_sizes(store, keys))):
                if size != sealed[rel][0]:
                    problems.append(f"array {name!r}: object {rel!r} has {size} bytes, sealed with "
                                    f"{sealed[rel][0]} (truncated or overwritten)")
    return problems


def check_manifest(store: Store, group_path: str, attrs: Mapping[str, Any], where: str) -> None:
    """Raise IntegrityError naming `where` and the damaged arrays if the sealed data is not all there.

    Groups without a manifest (written before manifests existed) pass unchecked.
    """
    manifest = attrs.get(MANIFEST_ATTR)
    if manifest is None:
        return
    problems = manifest_problems(store, group_path, manifest)
    if problems:
        raise IntegrityError(f"{where}: stored data is damaged: {'; '.join(problems[:3])}"
                             f"{f' (+{len(problems) - 3} more)' if len(problems) > 3 else ''}. {REPAIR_HINT}")


def read_error(where: str, name: str, exc: BaseException) -> IntegrityError:
    """The error a reader raises when decoding a stored array fails (checksum, codec, truncation)."""
    return IntegrityError(f"{where}: array {name!r} cannot be decoded ({type(exc).__name__}: {exc}). {REPAIR_HINT}")


# ---------------------------------------------------------------------------- claims
def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_alive(owner: str) -> bool:
    """False only when the owner provably died: it ran on this host and its pid is gone."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class Claim:
    """This process's claim on one unit (release it when done: use as a context manager)."""

    store: Store
    unit: str
    generation: int
    token: str
    lease_s: float
    renewed: float = 0.0

    @property
    def key(self) -> str:
        return claim_key(self.unit, self.generation)

    def _payload(self) -> bytes:
        return json.dumps({"owner": _owner(), "token": self.token, "expires": time.time() + self.lease_s}).encode()

    def renew(self, force: bool = False) -> None:
        """Extend the lease (at most every third of it unless `force`); ClaimLostError if taken over."""
        if not force and time.monotonic() - self.renewed < self.lease_s / 3:
            return
        self.check()
        sync(self.store.set(self.key, default_buffer_prototype().buffer.from_bytes(self._payload())))
        self.renewed = time.monotonic()

    def check(self) -> None:
        """Fencing: raise ClaimLostError unless this is still the newest generation and ours."""
        latest = _generations(self.store, self.unit)
        raw = _read(self.store, self.key)
        if not latest or latest[-1] != self.generation or raw is None or json.loads(raw)["token"] != self.token:
            raise ClaimLostError(f"lost the claim on {self.unit} (its lease of {self.lease_s:.0f} s ran out and "
                                 "another writer took it over); nothing was committed")

    def release(self) -> None:
        sync(self.store.delete(self.key))

    def __enter__(self) -> Claim:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def claim_key(unit: str, generation: int) -> str:
    return f"{CLAIMS_PREFIX}/{unit}/{generation:08d}"


def _generations(store: Store, unit: str) -> list[int]:
    prefix = f"{CLAIMS_PREFIX}/{unit}/"
    names = sync(_list(store, prefix))
    return sorted(int(n) for k in names if (n := k[len(prefix):]).isdigit())


def claim(store: Store, unit: str, lease_s: float = DEFAULT_LEASE_S) -> Claim:
    """Take the claim on `unit` (e.g. "episodes/<id>") or raise ClaimedError naming its live holder.

    A held claim whose lease ran out, or whose owner process is gone on this host, is taken over.
    """
    token = uuid.uuid4().hex
    for _ in range(5):
        generations = _generations(store, unit)
        if generations:
            raw = _read(store, claim_key(unit, generations[-1]))
            if raw is not None:
                held = json.loads(raw)
                left = held["expires"] - time.time()
                if left > 0 and _owner_alive(held["owner"]):
                    raise ClaimedError(f"{unit} is being written by {held['owner']} (claim expires in {left:.0f} s "
                                       "unless renewed); skipped")
        mine = Claim(store, unit, (generations[-1] if generations else 0) + 1, token, lease_s)
        if create_exclusive(store, mine.key, mine._payload()):
            mine.renewed = time.monotonic()
            for old in generations:
                sync(store.delete(claim_key(unit, old)))
            return mine
    raise ClaimedError(f"{unit}: other writers keep taking its claim; skipped")
