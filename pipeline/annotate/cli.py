"""`aim-annotate`: value maps for every episode of a task in a dataset (thin layer over the library).

Rolls out a few episodes first when the dataset has none of the task, shows progress, ends with a
summary table and optionally writes previews. Exit codes: 0 success, 2 refused input (nothing
in the store is touched).
"""
from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from data_schemas import SETTINGS, SchemaError
from data_schemas.integrity import ClaimLostError
from data_schemas.location import DATASET_ENV, default_dataset
from pipeline.annotate.annotate import AnnotationResult
from pipeline.annotate.dataset import annotate_store
from pipeline.annotate.params import AnnotationParams
from pipeline.record.store import DatasetStore

console = Console()


class CliError(Exception):
    """A refused request; the message tells the user what to change."""


def _check_task(task: str) -> None:
    from pipeline.tasks import list_tasks  # loads the simulator stack

    if task not in list_tasks():
        raise CliError(f"unknown task {task!r}; available tasks: {', '.join(list_tasks())}")


def _check_writable(folder: Path) -> None:
    """Refuse a preview folder that cannot be created or written, before any work is done."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise CliError(f"cannot write previews into {folder}: {exc.strerror or exc}. "
                       "Choose a writable --out-previews folder.") from exc


def _roll_out(store: DatasetStore, task: str, setting: str, episodes: int, progress: Progress,
              sim_config=None) -> None:
    try:
        from pipeline.generate import DatasetSpec, generate_locally
    except ImportError as exc:
        raise CliError(f"{store.url} has no episode of {task!r} and the simulator cannot be loaded to roll "
                       f"some out ({exc}); point --dataset at a dataset that has them.") from exc
    console.print(f"{store.url} has no episode of [bold]{task}[/bold] ({setting}): rolling out {episodes} "
                  "with the scripted expert first")
    bar = progress.add_task(f"rollout {task}/{setting}", total=episodes)
    sizes = {} if sim_config is None else {"resolution": sim_config.image_size, "record_every": sim_config.record_every}
    spec = DatasetSpec(tasks=[task], settings=[setting], episodes_per_task=episodes, annotate=False, **sizes)
    generate_locally(spec, store.url, on_result=lambda _: progress.advance(bar))


def _figure(stats: dict, phase: str, key: str) -> str:
    value = (stats.get(phase) or {}).get(key)
    return "-" if value is None else f"{value:.2f}"


def _summary(results: list[AnnotationResult], views: dict[str, int]) -> Table:
    table = Table(title="value-map annotation", caption="mass: share of value on the target (pick) / support "
                  "(place) pixels; top10: the real contact point lies in the top 10% of the map")
    table.add_column("episode", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for col in ("maps", "pick mass", "pick top10", "place mass", "place top10"):
        table.add_column(col, justify="right")
    table.add_column("s", justify="right", min_width=5)
    for r in results:
        phases = r.stats.get("phases", {})
        maps = (phases.get("pick", 0) + phases.get("place", 0)) * views[r.episode_id]
        status = "busy (another annotator)" if "busy" in r.stats else "kept" if r.skipped else "new"
        table.add_row(r.episode_id, status, str(maps),
                      *(_figure(r.stats, phase, key) for phase in ("pick", "place")
                        for key in ("mass_on_actor", "contact_in_top")),
                      "-" if r.skipped else f"{r.stats['wall_s']:.2f}")
    table.add_section()
    written = [r for r in results if not r.skipped]
    means = []
    for phase in ("pick", "place"):
        for key in ("mass_on_actor", "contact_in_top"):
            values = [v for r in results if (v := (r.stats.get(phase) or {}).get(key)) is not None]
            means.append(f"{sum(values) / len(values):.2f}" if values else "-")
    table.add_row(f"mean of {len(results)}", f"{len(written)} new", "", *means,
                  f"{sum(r.stats['wall_s'] for r in written) / len(written):.2f}" if written else "-")
    return table


def run(task: str, dataset: str, episodes: int, setting: str | None, previews: Path | None,
        overwrite: bool, params: AnnotationParams | None = None, sim_config=None,
        create: bool = False) -> list[AnnotationResult]:
    """What `aim-annotate` does, callable from Python; raises CliError / SchemaError on refused input.

    `sim_config` (a `pipeline.sim.config.SimConfig`, default its defaults) is used
    only when episodes have to be rolled out first. A missing dataset is refused unless `create`
    (a mistyped path must not silently become a new store filled with fresh rollouts).
    """
    _check_task(task)
    if previews is not None:
        _check_writable(previews)
    if not create:
        DatasetStore.open(dataset, mode="r")  # SchemaError naming the path when nothing is there
    store = DatasetStore.open(dataset, mode="a")
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as progress:
        if not store.episode_ids(task=task, setting=setting):
            _roll_out(store, task, setting or SETTINGS[0], episodes, progress, sim_config)
        bar = progress.add_task(f"annotate {task}", total=len(store.episode_ids(task=task, setting=setting)))
        results = annotate_store(store, task, params, overwrite=overwrite, setting=setting,
                                 progress=lambda _: progress.advance(bar))
        if previews is not None:
            from pipeline.annotate.previews import write_previews

            shown = progress.add_task("previews", total=len(results))
            for r in results:
                write_previews(store, r.episode_id, previews)
                progress.advance(shown)
    views = {r.episode_id: len(store.read_attrs(r.episode_id).camera_names) for r in results}
    console.print(_summary(results, views))
    if previews is not None:
        console.print(f"previews (MP4 + key-frame PNG per episode) in {previews}")
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="aim-annotate", description="Write action-based spatial value maps for "
                                     "every episode of a task in an AIM dataset.")
    parser.add_argument("--task", required=True, help="task name (see pipeline.tasks.list_tasks())")
    parser.add_argument("--dataset", default=None,
                        help=f"dataset path or fsspec URL (default: ${DATASET_ENV} or {default_dataset()})")
    parser.add_argument("--episodes", type=int, default=2,
                        help="episodes to roll out first when the dataset has none of the task (default 2)")
    parser.add_argument("--setting", choices=SETTINGS, default=None, help="only this setting (default: all)")
    parser.add_argument("--out-previews", type=Path, default=None, help="folder for MP4 and PNG previews")
    parser.add_argument("--overwrite", action="store_true", help="recompute maps even when they are current")
    parser.add_argument("--create", action="store_true",
                        help="create the dataset when it does not exist (and roll out episodes into it)")
    args = parser.parse_args(argv)
    if args.episodes < 1:
        parser.error("--episodes must be >= 1")
    try:
        run(args.task, args.dataset or default_dataset(), args.episodes, args.setting, args.out_previews,
            args.overwrite, create=args.create)
    except (CliError, SchemaError, LookupError, OSError, ClaimLostError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        return 2
    return 0
