"""Expert rollout benchmark: success rate per task and setting, episodes/hour/core, time split.

    .venv/bin/python benchmarks/rollout.py --seeds 5 --tasks place_shoe stack_blocks_two

Prints one row per (task, setting) as soon as it is done (with the failed seeds and their failure
reasons; success is each task's RoboTwin-criteria `evaluate()["success"]` at the end of the expert
run), then a Markdown table for benchmarks/RESULTS.md ("Rollout").
`--state-only` runs the same expert on the same seeds without recording (no cameras after the reset,
no contacts): success and failures are the same (recording only reads the state), about 10x
faster, so 50-100 seeds per task and setting fit in minutes; it prints success, failed seeds and s/episode.
Writing to Zarr is measured by the store benchmark; `write_s` is left as a column for it.
"""
from __future__ import annotations

import argparse
import time

from rich.progress import Progress

from pipeline.record.rollout import rollout_episode
from pipeline.sim.config import SimConfig
from pipeline.sim.task_env import TaskEnv
from pipeline.tasks import list_tasks


def row_markdown(r) -> str:
    return (f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:.0%} | {r[4]:.1f} | {r[5]:.0f} | {r[6]:.1%} | {r[7]:.1%} | "
            f"{r[8]:.1%} | {r[9]:.1f} | (store bench) |")


def expert_sweep(tasks, settings, seeds: range, config: SimConfig) -> None:
    """Success of the unrecorded expert per task and setting, with each failed seed's reason."""
    env = TaskEnv(config)
    print("| task | setting | N | success | failed seeds (reason) | s/episode |")
    print("|---|---|---|---|---|---|")
    with Progress(transient=True) as bar:
        job = bar.add_task("expert runs", total=len(tasks) * len(settings) * len(seeds))
        for task in tasks:
            for setting in settings:
                failed, start = [], time.perf_counter()
                for seed in seeds:
                    env.reset(task, setting, seed)
                    run = env.run_expert()
                    if not run.success:
                        failed.append(f"{seed}: {run.failure[:80]}")
                    bar.advance(job)
                seconds = (time.perf_counter() - start) / len(seeds)
                ok = len(seeds) - len(failed)
                bar.console.print(f"| {task} | {setting} | {len(seeds)} | {ok}/{len(seeds)} ({ok / len(seeds):.0%}) | "
                                  f"{'; '.join(failed) or '-'} | {seconds:.1f} |", soft_wrap=True)
    env.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", nargs="+", default=list_tasks())
    parser.add_argument("--settings", nargs="+", default=["easy", "hard"])
    parser.add_argument("--seeds", type=int, default=50, help="episodes per task and setting")
    parser.add_argument("--height", type=int, default=240)
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--record-every", type=int, default=15)
    parser.add_argument("--seed-start", type=int, default=0)
    parser.add_argument("--state-only", action="store_true", help="expert success only, nothing recorded")
    args = parser.parse_args()
    config = SimConfig(image_size=(args.height, args.width), record_every=args.record_every)
    if args.state_only:
        return expert_sweep(args.tasks, args.settings, range(args.seed_start, args.seed_start + args.seeds), config)
    rows = []
    with Progress() as bar:
        job = bar.add_task("rollouts", total=len(args.tasks) * len(args.settings) * args.seeds)
        for task in args.tasks:
            for setting in args.settings:
                ok, steps, split = 0, 0, {"render_s": 0.0, "physics_s": 0.0, "planning_s": 0.0, "total_s": 0.0}
                failed = []
                start = time.perf_counter()
                for seed in range(args.seed_start, args.seed_start + args.seeds):
                    episode = rollout_episode(task, setting, seed, config)
                    ok += episode.attrs.success
                    if not episode.attrs.success:
                        failed.append((seed, episode.attrs.model_extra.get("failure")))
                    steps += episode.attrs.num_steps
                    for key in split:
                        split[key] += episode.attrs.model_extra["timing"][key]
                    bar.advance(job)
                wall = time.perf_counter() - start
                rows.append((task, setting, args.seeds, ok / args.seeds, 3600 * args.seeds / wall, steps / args.seeds,
                             *(split[k] / split["total_s"] for k in ("render_s", "physics_s", "planning_s")),
                             split["total_s"] / args.seeds))
                bar.console.print(row_markdown(rows[-1]), f"failed: {failed}")
    print(f"\n{args.height}x{args.width}, record_every={args.record_every}")
    print("| task | setting | N | success | episodes/h/core | steps/ep | render | physics | planning | s/episode | write_s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(row_markdown(r))


if __name__ == "__main__":
    main()
