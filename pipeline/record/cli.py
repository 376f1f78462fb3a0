"""Console scripts `aim-rollout` and `aim-dataset`: thin argparse layers over the library.

Exit codes: 0 success, 1 `validate` found problems (or `repair` could not move a damaged episode
another process holds), 2 bad arguments or a refused store.
"""
from __future__ import annotations

import argparse
import shutil
from collections.abc import Sequence

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from data_schemas.integrity import ClaimLostError
from data_schemas.spec import image_size_problem
from data_schemas.validate import SchemaError
from pipeline.record.migrate import migrate_store
from pipeline.record.store import DatasetStore
from pipeline.record.summary import repair_store, summarize, validate_store

console = Console()


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console)


def _resolution(text: str) -> tuple[int, int]:
    try:
        h, w = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"resolution must look like 240x320 (HxW), not {text!r}") from None
    problem = image_size_problem(h, w)
    if problem is not None:
        raise argparse.ArgumentTypeError(f"resolution {text!r}: {problem}")
    return h, w


def _one_line(exc: BaseException) -> str:
    """The message for a refused store or a failed write: a read-only or full disk names the path and the
    cause; what was written before stays (an interrupted episode stays incomplete and is rewritten next run)."""
    if isinstance(exc, OSError) and exc.strerror:
        return (f"{exc.filename or 'the dataset'}: {exc.strerror}. Nothing complete was lost; free space or choose "
                "a writable --out, then rerun")
    return str(exc)


def _human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024:
            return f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


# ---------------------------------------------------------------------------- aim-dataset
def _info(store: DatasetStore) -> int:
    table = Table(title=f"AIM dataset {store.url}")
    for col in ("task", "setting", "episodes", "success rate", "steps", "annotated"):
        table.add_column(col, justify="left" if col in ("task", "setting") else "right")
    rows = summarize(store)
    for r in rows:
        table.add_row(r.task, r.setting, str(r.episodes), f"{r.success_rate:.0%}", str(r.steps),
                      f"{r.annotated}/{r.episodes}")
    total = sum(r.episodes for r in rows)
    successes = sum(r.successes for r in rows)
    table.add_section()
    table.add_row("total", "", str(total), f"{successes / total:.0%}" if total else "-",
                  str(sum(r.steps for r in rows)), f"{sum(r.annotated for r in rows)}/{total}")
    console.print(table)
    incomplete = [e for e, complete in store.episode_states().items() if not complete]
    console.print(f"size on disk: {_human_bytes(store.nbytes_stored())}; incomplete episode groups "
                  f"(being written or left by a crash): {len(incomplete)}")
    return 0


def _validate(store: DatasetStore, deep: bool) -> int:
    states = store.episode_states()
    with _progress() as progress:
        bar = progress.add_task("validating (reading every chunk)" if deep else "validating",
                                total=sum(states.values()))
        problems = validate_store(store, on_episode=lambda _: progress.advance(bar), deep=deep)
    for eid, found in problems.items():
        console.print(f"[red]{eid}[/red]:\n  " + "\n  ".join(found))
    skipped = len(states) - sum(states.values())
    verdict = "[red]INVALID[/red]" if problems else "[green]valid[/green]"
    console.print(f"{verdict}: {sum(states.values())} complete episodes checked{' in full' if deep else ''}, "
                  f"{len(problems)} with problems, {skipped} incomplete groups ignored")
    if problems:
        console.print(f"move the damaged ones aside with `aim-dataset repair {store.url}`, then rerun the producer")
    return 1 if problems else 0


def _repair(store: DatasetStore) -> int:
    states = store.episode_states()
    with _progress() as progress:
        bar = progress.add_task("reading every chunk", total=sum(states.values()))
        report = repair_store(store, on_episode=lambda _: progress.advance(bar))
    for eid, (target, found) in report.moved.items():
        console.print(f"[yellow]{eid}[/yellow] -> {target}:\n  " + "\n  ".join(found))
    for eid, holder in report.busy.items():
        console.print(f"[red]{eid}[/red] damaged but not moved: {holder}")
    console.print(f"{len(report.moved)} damaged episodes/value maps moved under quarantine/ (nothing deleted); "
                  "rerun aim-rollout / aim-annotate to regenerate them" if report.moved else "nothing damaged")
    return 1 if report.busy else 0


def _migrate(path: str) -> int:
    with _progress() as progress:
        bar = progress.add_task("migrating episodes", total=None)
        report = migrate_store(path, on_episode=lambda _: progress.advance(bar))
    if report.from_version == report.to_version:
        console.print(f"{report.url} is already at schema version {report.to_version}: nothing to do")
        return 0
    console.print(f"{report.url}: schema version {report.from_version} -> {report.to_version}; "
                  f"{len(report.migrated)} episodes converted, {len(report.incomplete)} incomplete groups left "
                  f"as they are, {report.stats_dropped} cached action-statistics entries dropped")
    return 0


def _add_export_view_parsers(sub) -> None:
    export = sub.add_parser("export", help="write the complete episodes as a LeRobotDataset (v3.0: parquet + mp4 + meta/)")
    export.add_argument("path", help="dataset path or fsspec URL")
    export.add_argument("out", help="new folder for the export (must not exist, or be empty)")
    export.add_argument("--format", default="lerobot", help="export format: lerobot (the only one)")
    export.add_argument("--task", help="only this task")
    export.add_argument("--setting", help="only this setting (easy/hard)")
    export.add_argument("--vcodec", default="h264", help="video codec: h264 (default) or libsvtav1")
    export.add_argument("--crf", type=int, default=18, help="video quality, lower is better and larger (default 18)")
    view = sub.add_parser("view", help="log one episode to Rerun: cameras with value-map overlays, joints, actions, "
                          "contacts in 3-D, the instruction")
    view.add_argument("path", help="dataset path or fsspec URL")
    view.add_argument("--episode", help="episode id (default: the first complete one)")
    where = view.add_mutually_exclusive_group()
    where.add_argument("--save", metavar="FILE.rrd", help="write a Rerun recording (default: ./<episode>.rrd)")
    where.add_argument("--serve", action="store_true", help="serve the Rerun web viewer on 127.0.0.1 until Ctrl-C")
    view.add_argument("--web-port", type=int, default=9090, help="web viewer port with --serve (default 9090)")
    view.add_argument("--grpc-port", type=int, default=9876, help="data port with --serve (default 9876)")


def _export(args: argparse.Namespace) -> int:
    from pipeline.export.lerobot import ExportError, check_export_args, export_lerobot

    try:
        check_export_args(args.out, args.format, args.vcodec, args.crf)
        store = DatasetStore.open(args.path, mode="r")
        with _progress() as progress:
            bar = progress.add_task("exporting episodes", total=len(store.episode_ids(args.task, args.setting)))
            report = export_lerobot(store, args.out, task=args.task, setting=args.setting, vcodec=args.vcodec,
                                    crf=args.crf, on_episode=lambda _: progress.advance(bar))
    except (ExportError, SchemaError, ClaimLostError, OSError) as exc:
        console.print(f"[red]error:[/red] {_one_line(exc)}", soft_wrap=True)
        return 2
    console.print(f"LeRobotDataset v3.0 at {report.out}: {report.episodes} episodes, {report.frames} frames, "
                  f"{report.tasks} tasks, {len(report.video_keys)} video features, {_human_bytes(report.bytes)} in "
                  f"{report.seconds:.1f} s")
    if report.note:
        console.print(f"[yellow]note:[/yellow] {report.note}")
    return 0


def _view(args: argparse.Namespace) -> int:
    from pipeline.export.rerun_view import ViewError, log_episode, serve_recording

    try:
        store = DatasetStore.open(args.path, mode="r")
        ids = store.episode_ids()
        episode = args.episode or (ids[0] if ids else None)
        if episode is None:
            raise ViewError(f"{store.url} has no complete episode to view")
        save = args.save or (None if args.serve else f"{episode}.rrd")
        result = log_episode(store, episode, save_path=save)
    except (ViewError, SchemaError, ClaimLostError, OSError) as exc:
        console.print(f"[red]error:[/red] {_one_line(exc)}", soft_wrap=True)
        return 2
    if not args.serve:
        console.print(f"{result.episode_id}: {result.steps} steps logged to {result.path}; open it with "
                      f"`rerun {result.path}` (or `python -m rerun {result.path}`)")
        return 0
    try:
        return serve_recording(result.path, web_port=args.web_port, grpc_port=args.grpc_port,
                               on_ready=lambda url: console.print(f"Rerun web viewer: {url} (Ctrl-C to stop)",
                                                                  soft_wrap=True))
    finally:
        if args.save is None:  # the temporary recording log_episode made
            shutil.rmtree(result.path.parent, ignore_errors=True)


def dataset_main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="aim-dataset", description="Inspect, check, repair, migrate, export and view an AIM Zarr dataset.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="episodes per task/setting, success rate, steps, annotation, size").add_argument(
        "path", help="dataset path or fsspec URL")
    validate = sub.add_parser("validate", help="check every complete episode against the schema and its manifest")
    validate.add_argument("path", help="dataset path or fsspec URL")
    validate.add_argument("--deep", action="store_true", help="read every chunk and check its checksum")
    sub.add_parser("repair", help="move damaged episodes (or value maps) under quarantine/ so a rerun regenerates "
                   "them; nothing is deleted").add_argument("path", help="dataset path or fsspec URL")
    sub.add_parser("migrate", help="convert a store of an older schema version in place (idempotent)").add_argument(
        "path", help="dataset path or fsspec URL")
    _add_export_view_parsers(sub)
    args = parser.parse_args(argv)
    try:
        if args.command in ("export", "view"):
            return _export(args) if args.command == "export" else _view(args)
        if args.command == "migrate":
            return _migrate(args.path)
        if args.command == "repair":
            DatasetStore.open(args.path, mode="r")  # refuses a missing store instead of creating one
            return _repair(DatasetStore.open(args.path, mode="a"))
        store = DatasetStore.open(args.path, mode="r")
        return _info(store) if args.command == "info" else _validate(store, args.deep)
    except (SchemaError, ClaimLostError, OSError) as exc:
        console.print(f"[red]error:[/red] {_one_line(exc)}")
        return 2


# ---------------------------------------------------------------------------- aim-rollout
def _summary_table(results: list, present: int) -> Table:
    """One row per episode rolled out now (`pipeline.generate.CommitResult`), and the count already present."""
    table = Table(title="rollout summary")
    for col in ("episode", "status", "success", "steps", "time s"):
        table.add_column(col, justify="left" if col in ("episode", "status") else "right", no_wrap=True)
    for r in results:
        status = "written" if r.written else "skipped (another process is writing it)" if r.busy \
            else "skipped (present)"
        table.add_row(r.episode_id, status, "yes" if r.success else "no", str(r.num_steps), f"{r.rollout_s:.1f}")
    written = [r for r in results if r.written]
    table.add_section()
    table.add_row("total", f"{len(written)} written, {present} already present",
                  f"{sum(r.success for r in results)}/{len(results)}", str(sum(r.num_steps for r in results)),
                  f"{sum(r.rollout_s for r in written) / len(written):.1f}/ep" if written else "-")
    return table


def rollout_main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="aim-rollout", description="Record expert episodes into an AIM dataset.")
    parser.add_argument("--task", required=True, help="task name (see pipeline.tasks.list_tasks())")
    parser.add_argument("--setting", required=True, choices=["easy", "hard"])
    parser.add_argument("--episodes", type=int, required=True, help="number of consecutive seeds")
    parser.add_argument("--seed", type=int, default=0, help="first seed")
    parser.add_argument("--out", required=True, help="dataset path or fsspec URL (created if missing)")
    parser.add_argument("--resolution", type=_resolution, default=None, help="camera HxW, e.g. 240x320")
    parser.add_argument("--overwrite", action="store_true", help="re-record episodes that are already present")
    parser.add_argument("--workers", type=int, default=1,
                        help="processes recording episodes side by side (default 1; one per core is about that many "
                             "times faster)")
    parser.add_argument("--expert-noise", type=float, default=0.0, metavar="RAD",
                        help="std (rad per joint) of DART-style noise in the expert's free-space moves: the "
                             "demonstrations show recoveries, their actions stay the expert's commands (default 0)")
    args = parser.parse_args(argv)
    if args.episodes < 1 or args.seed < 0 or args.workers < 1:
        parser.error("--episodes and --workers must be >= 1 and --seed >= 0")

    from pipeline.generate import DatasetSpec, generate_locally  # the simulator stack loads only when recording
    from pipeline.generate.plan import MAX_EXPERT_NOISE_RAD, StaleEpisodesError
    from pipeline.tasks import list_tasks

    if args.task not in list_tasks():
        parser.error(f"unknown task {args.task!r}; available tasks: {', '.join(list_tasks())}")
    if not 0.0 <= args.expert_noise <= MAX_EXPERT_NOISE_RAD:
        parser.error(f"--expert-noise must lie in [0, {MAX_EXPERT_NOISE_RAD:g}] rad, got {args.expert_noise}")
    spec = DatasetSpec(tasks=[args.task], settings=[args.setting], episodes_per_task=args.episodes, seed=args.seed,
                       annotate=False, expert_noise_rad=args.expert_noise,
                       **({} if args.resolution is None else {"resolution": args.resolution}))
    try:
        with _progress() as progress:
            episodes = progress.add_task(f"{args.task}/{args.setting}", total=args.episodes)
            steps = progress.add_task("steps", total=None)
            results = generate_locally(spec, args.out, overwrite=args.overwrite, workers=args.workers,
                                       on_step=lambda step: progress.update(steps, completed=step),
                                       on_result=lambda _: (progress.advance(episodes), progress.reset(steps)))
    except (SchemaError, ClaimLostError, StaleEpisodesError, OSError) as exc:
        console.print(f"[red]error:[/red] {_one_line(exc)}")
        return 2
    console.print(_summary_table(results, args.episodes - len(results)))
    return 0
