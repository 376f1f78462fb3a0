"""annotate_store: (re-)annotate every stored episode of a task, in place, idempotently.

Maps whose stored digest equals the parameters' digest are left alone (a no-op rerun); others are
recomputed from the stored arrays and swapped in atomically by `DatasetStore.write_value`, so a
crash or a bad episode never leaves a half-written map set behind.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from data_schemas import SchemaError
from data_schemas.integrity import ClaimedError
from pipeline.annotate.annotate import NEEDED_ARRAYS, AnnotationResult, annotate_episode
from pipeline.annotate.params import AnnotationParams
from pipeline.record.store import DatasetStore


def annotate_stored_episode(store: DatasetStore, episode_id: str, params: AnnotationParams,
                            overwrite: bool = False) -> AnnotationResult:
    """Annotate one stored episode unless its live maps already carry `params.digest()`.

    A skipped episode returns `skipped=True` with the stored attrs and quality figures.
    """
    current = store.value_params(episode_id)
    if current is not None and current.get("digest") == params.digest() and not overwrite:
        return AnnotationResult(episode_id, {}, current, dict(current.get("stats", {})), skipped=True)
    names = list(NEEDED_ARRAYS) + (["segmentation"] if "segmentation" in store.arrays(episode_id) else [])
    episode = store.read_episode(episode_id, names)
    result = annotate_episode(episode, params)
    store.write_value(episode_id, result.arrays, result.attrs)
    return result


def annotate_store(store: DatasetStore, task: str, params: AnnotationParams | None = None, overwrite: bool = False,
                   setting: str | None = None, progress: Callable[[AnnotationResult], None] | None = None,
                   limit: int | None = None) -> list[AnnotationResult]:
    """Annotate every complete episode of `task` (optionally one setting, at most `limit`) in `store`.

    Raises LookupError when the store holds no episode of the task, PermissionError on a
    read-only store. `progress` is called after each episode with its result. An episode whose maps
    another process is writing is skipped: its result has `skipped=True` and `stats["busy"]`.
    """
    params = params or AnnotationParams()
    if store.mode != "a":
        raise PermissionError(f"{store.url} is open read-only; open it with mode='a' to write value maps")
    ids = store.episode_ids(task=task, setting=setting)[:limit]
    if not ids:
        where = f"task {task!r}" + (f", setting {setting!r}" if setting else "")
        raise LookupError(f"{store.url} has no complete episode of {where}")
    results = []
    for episode_id in ids:
        started = time.perf_counter()
        try:
            result = annotate_stored_episode(store, episode_id, params, overwrite)
        except ClaimedError as exc:  # another annotator writes this episode's maps now: its maps will be live
            result = AnnotationResult(episode_id, {}, {}, {"busy": str(exc)}, skipped=True)
        except (SchemaError, ValueError) as exc:
            raise type(exc)(f"{episode_id}: {exc} (episodes before it are annotated; it and later ones are "
                            "unchanged)") from exc
        result.stats["wall_s"] = time.perf_counter() - started
        results.append(result)
        if progress is not None:
            progress(result)
    store.update_index()
    return results
