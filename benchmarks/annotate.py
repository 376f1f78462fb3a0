"""Benchmark + quality report of value-map annotation on real rollouts.

For each task: roll out episodes with the scripted expert (kept in a scratch dataset, so reruns
reuse them), annotate each with `annotate_episode`, and report
- value maps per second (T x V maps / annotation wall time, store I/O excluded),
- annotation time as a share of the episode's rollout time (goal <= 5%),
- quality: share of value mass on the target's pixels during pick and on the support during
  place, and how often the real contact point falls in the top 10% of the map (goal >= 0.9).

    .venv/bin/python benchmarks/annotate.py --tasks place_shoe --seeds 2 --settings easy,hard [--write-results]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from rich.console import Console
from rich.progress import track
from rich.table import Table

from data_schemas import CAMERA_NAMES
from pipeline.annotate.annotate import NEEDED_ARRAYS, annotate_episode
from pipeline.annotate.params import AnnotationParams
from pipeline.generate import DatasetSpec, all_units, generate_locally
from pipeline.record.store import DatasetStore
from pipeline.tasks import list_tasks
from results import write_section

SECTION = "Annotate"
PHASE_FIGURES = ("pick_mass", "pick_top10", "place_mass", "place_top10")
FIGURES = PHASE_FIGURES + ("top_band", "stages", "stage_pick_mass", "stage_place_top10")


def measure(store: DatasetStore, episode_id: str, params: AnnotationParams) -> dict:
    episode = store.read_episode(episode_id, list(NEEDED_ARRAYS) + ["segmentation"])
    start = time.perf_counter()
    result = annotate_episode(episode, params)
    seconds = time.perf_counter() - start
    t, v = episode.arrays["depth"].shape[:2]
    stats = result.stats
    row = {"episode": episode_id, "steps": t, "maps_per_s": t * v / seconds, "annotate_s": seconds,
           "rollout_s": float(getattr(episode.attrs, "timing", {}).get("total_s", float("nan"))),
           "success": episode.attrs.success}
    for phase in ("pick", "place"):
        figures = stats.get(phase) or {}
        row[f"{phase}_mass"] = figures.get("mass_on_actor")
        row[f"{phase}_top10"] = figures.get("contact_in_top")
        row.setdefault("bands", []).append(figures.get("top_band_share"))
        for camera, by_view in (figures.get("by_view") or {}).items():
            row[f"{camera}:{phase}_mass"] = by_view["mass_on_actor"]
            row[f"{camera}:{phase}_top10"] = by_view["contact_in_top"]
    row["top_band"] = mean(row.pop("bands"))
    stages = stats.get("stages", [])  # pick-and-places of other objects before the target's (earlier_stages)
    row["stages"] = len(stages)
    row["stage_pick_mass"] = mean([stage["pick"]["mass_on_actor"] for stage in stages])
    row["stage_place_top10"] = mean([stage["place"]["contact_in_top"] for stage in stages])
    return row


def mean(values) -> float | None:
    values = [v for v in values if v is not None and not np.isnan(v)]
    return float(np.mean(values)) if values else None


def fmt(value, pattern="{:.2f}") -> str:
    return "-" if value is None else pattern.format(value)


def report(rows: list[dict], resolution: tuple[int, int]) -> str:
    lines = [f"## {SECTION}", "",
             f"Machine: 2-core CPU VM, lavapipe (Mesa 25), shared with other jobs. Script: "
             f"`benchmarks/annotate.py` ({time.strftime('%Y-%m-%d')}), cameras {resolution[0]}x{resolution[1]} x3, "
             f"default AnnotationParams. Per task and setting: mean over its episodes. Quality goal >= 0.9, "
             "annotation cost goal <= 5% of rollout time. 'top band share': fraction of the lit map (> 5%) "
             "that is within 10% of the peak, i.e. the chance level of a 'contact in top10' hit. 'earlier stages': "
             "pick-and-places of other objects before the target's (AnnotationParams.earlier_stages), per episode, "
             "with their pick maps' mass on the object picked and their footprint centres' hits.", "",
             "| task | episodes | steps | maps/s | annotate s/ep | rollout s/ep | share | pick mass on target | "
             "pick contact in top10 | place mass on support | place contact in top10 | top band share | "
             "earlier stages | their pick mass | their footprint in top10 |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for task in sorted({r["task"] for r in rows}):
        sel = [r for r in rows if r["task"] == task]
        share = mean([100 * r["annotate_s"] / r["rollout_s"] for r in sel])
        lines.append(f"| {task} | {len(sel)} | {mean([r['steps'] for r in sel]):.0f} | "
                     f"{mean([r['maps_per_s'] for r in sel]):.0f} | {mean([r['annotate_s'] for r in sel]):.2f} | "
                     f"{fmt(mean([r['rollout_s'] for r in sel]), '{:.1f}')} | {fmt(share, '{:.1f}%')} | "
                     + " | ".join(fmt(mean([r[f] for r in sel])) for f in FIGURES) + " |")
    overall = [fmt(mean([r[f] for r in rows])) for f in FIGURES]
    lines.append(f"| **all** | {len(rows)} | | {mean([r['maps_per_s'] for r in rows]):.0f} | | | "
                 f"{fmt(100 * mean([r['annotate_s'] / r['rollout_s'] for r in rows]), '{:.1f}%')} | "
                 + " | ".join(overall) + " |")
    lines += ["", "Per camera (all tasks; a figure is over the maps where that camera sees the region):", "",
              "| camera | " + " | ".join(f.replace("_", " ") for f in PHASE_FIGURES) + " |",
              "|---" * (len(PHASE_FIGURES) + 1) + "|"]
    for camera in CAMERA_NAMES:
        lines.append(f"| {camera} | " + " | ".join(fmt(mean([r.get(f"{camera}:{f}") for r in rows]))
                                                 for f in PHASE_FIGURES) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default=",".join(list_tasks()), help="comma-separated task names")
    parser.add_argument("--seeds", type=int, default=1, help="episodes per task and setting")
    parser.add_argument("--settings", default="easy", help="comma-separated settings (easy,hard)")
    parser.add_argument("--resolution", default="240x320", help="camera HxW")
    parser.add_argument("--dataset", default="/tmp/aim_bench_annotate.zarr", help="scratch dataset for rollouts")
    parser.add_argument("--write-results", action="store_true", help=f"update the '{SECTION}' section of RESULTS.md")
    args = parser.parse_args()
    resolution = tuple(int(x) for x in args.resolution.split("x"))
    store = DatasetStore.open(args.dataset, mode="a")
    params = AnnotationParams()
    rows = []
    for task in args.tasks.split(","):
        for setting in args.settings.split(","):
            spec = DatasetSpec(tasks=[task], settings=[setting], episodes_per_task=args.seeds, resolution=resolution,
                               annotate=False)
            generate_locally(spec, args.dataset)
            for unit in track(all_units(spec), description=f"annotate {task}/{setting}"):
                rows.append({"task": f"{task} ({setting})", **measure(store, unit.episode_id, params)})
    table = Table(title="annotation benchmark")
    for col in ("episode", "steps", "maps/s", "annotate s", "rollout s", *FIGURES):
        table.add_column(col)
    for r in rows:
        table.add_row(r["episode"], str(r["steps"]), f"{r['maps_per_s']:.0f}", f"{r['annotate_s']:.2f}",
                      f"{r['rollout_s']:.1f}", *(fmt(r[f]) for f in FIGURES))
    Console().print(table)
    text = report(rows, resolution)
    print(text)
    if args.write_results:
        write_section(SECTION, text.split("\n", 1)[1])


if __name__ == "__main__":
    main()
