"""Success-rate tables of a closed-loop evaluation, in the paper's layout.

Per task and setting the success rate of each policy (AIM, the scripted expert, the trivial
policy), an Easy / Hard / Average summary, written as CSV (long format, one row per policy,
task and setting), markdown and a grouped bar chart PNG.
"""
from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SETTING_ORDER = ("easy", "hard")
REFERENCE_ROWS = {
    "expert": "the scripted expert's own recorded actions on the same seed, replayed open loop; a ceiling",
    "hold": "keeps the robot's start posture for the whole episode; a floor (what doing nothing scores)",
}
"""What each reference row of an evaluation is, stated under every table that shows it."""


@dataclass(frozen=True)
class EpisodeResult:
    """Outcome of one evaluation episode."""

    policy: str
    task: str
    setting: str
    seed: int
    success: bool
    steps: int
    wall_s: float
    first_arm: str | None = None
    """"left" or "right": the arm whose joints first moved `FIRST_MOVE_RAD` from the reset posture (None:
    neither did). Compared with the expert's on the same seed, it shows whether a policy that does not
    succeed yet at least chose the arm from the scene (benchmarks/learning.py)."""
    lifted: tuple[str, ...] = ()
    """The task's tracked objects that rose `episode.LIFT_M` above their start height during the episode: how far
    a pick-and-place policy that does not succeed got (its grasps held), beside the expert's on the same seeds."""
    reached: tuple[str, ...] = ()
    """The task's tracked objects a gripper's TCP came within `episode.REACH_M` of during the episode: whether the
    approach to an object that was never lifted got there (a grasp that slipped) or not (a reach that stopped short)."""


@dataclass(frozen=True)
class RateCell:
    successes: int
    episodes: int

    @property
    def rate(self) -> float:
        return self.successes / self.episodes if self.episodes else float("nan")


@dataclass(frozen=True)
class ReportPaths:
    csv: Path
    markdown: Path
    chart: Path


def rate_cells(results: list[EpisodeResult]) -> dict[tuple[str, str, str], RateCell]:
    """(policy, task, setting) -> successes / episodes."""
    counts: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in results:
        cell = counts[(r.policy, r.task, r.setting)]
        cell[0] += int(r.success)
        cell[1] += 1
    return {key: RateCell(*value) for key, value in counts.items()}


def summary_rates(results: list[EpisodeResult]) -> dict[str, dict[str, float]]:
    """policy -> {"easy", "hard", "average"}: mean over tasks of per-task rates (the paper's average)."""
    cells = rate_cells(results)
    out: dict[str, dict[str, float]] = {}
    for policy in _ordered(r.policy for r in results):
        row: dict[str, float] = {}
        for setting in SETTING_ORDER:
            rates = [c.rate for (p, _, s), c in cells.items() if p == policy and s == setting]
            if rates:
                row[setting] = sum(rates) / len(rates)
        if row:
            row["average"] = sum(row.values()) / len(row)
        out[policy] = row
    return out


def _ordered(items) -> list[str]:
    return list(dict.fromkeys(items))


def _pct(value: float | None) -> str:
    return "-" if value is None or value != value else f"{100 * value:.1f}%"


def markdown_table(results: list[EpisodeResult]) -> str:
    """Per-task table (policy x setting columns) followed by the Easy / Hard / Average summary."""
    cells = rate_cells(results)
    policies = _ordered(r.policy for r in results)
    tasks = _ordered(r.task for r in results)
    settings = [s for s in SETTING_ORDER if any(r.setting == s for r in results)]
    header = ["Task"] + [f"{p} {s.capitalize()}" for p in policies for s in settings]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for task in tasks:
        row = [task]
        for p in policies:
            for s in settings:
                cell = cells.get((p, task, s))
                row.append(f"{_pct(cell.rate)} ({cell.successes}/{cell.episodes})" if cell else "-")
        lines.append("| " + " | ".join(row) + " |")
    summary = summary_rates(results)
    lines += ["", "| Setting | " + " | ".join(policies) + " |", "|" + "---|" * (len(policies) + 1)]
    for key in [*settings, "average"]:
        label = "Average" if key == "average" else key.capitalize()
        lines.append(f"| {label} | " + " | ".join(_pct(summary[p].get(key)) for p in policies) + " |")
    notes = [f"- **{p}**: {REFERENCE_ROWS[p]}" for p in policies if p in REFERENCE_ROWS]
    if notes:
        lines += ["", "Reference rows:", *notes]
    return "\n".join(lines) + "\n"


def write_csv(results: list[EpisodeResult], path: Path) -> None:
    cells = rate_cells(results)
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["policy", "task", "setting", "episodes", "successes", "success_rate"])
        for (policy, task, setting), cell in cells.items():
            writer.writerow([policy, task, setting, cell.episodes, cell.successes, f"{cell.rate:.4f}"])


def write_bar_chart(results: list[EpisodeResult], path: Path) -> None:
    """Grouped bars: one group per task (+ Average), one bar per policy and setting, each labelled with its
    rate (a 0% bar shows as a mark on the axis and "0"); the legend sits outside the axes, hiding no bar."""
    cells = rate_cells(results)
    policies = _ordered(r.policy for r in results)
    tasks = _ordered(r.task for r in results)
    settings = [s for s in SETTING_ORDER if any(r.setting == s for r in results)]
    summary = summary_rates(results)
    groups = tasks + ["Average"]
    series = [(p, s) for p in policies for s in settings]
    width = 0.8 / max(1, len(series))
    fig, ax = plt.subplots(figsize=(max(4.5, 0.9 + 0.32 * len(groups) * max(1, len(series))) + 1.6, 3.4), dpi=100)
    colors = plt.get_cmap("tab10")
    label_size = 7 if len(series) * len(groups) <= 24 else 5
    for i, (policy, setting) in enumerate(series):
        present = [(policy, t, setting) in cells for t in tasks] + [setting in summary[policy]]
        heights = [cells[(policy, t, setting)].rate * 100 if (policy, t, setting) in cells else 0.0 for t in tasks]
        heights.append(100 * summary[policy].get(setting, 0.0))
        xs = [g + (i - (len(series) - 1) / 2) * width for g in range(len(groups))]
        color = colors(policies.index(policy) % 10)
        ax.bar(xs, heights, width, color=color, hatch="//" if setting == "hard" else None,
               edgecolor="black", linewidth=0.5, label=f"{policy} ({setting})")
        for x, height, shown in zip(xs, heights, present):
            if not shown:
                continue
            ax.plot([x - width / 2, x + width / 2], [0.6, 0.6], color=color, linewidth=2.5, solid_capstyle="butt")
            ax.text(x, height + 1.5, f"{height:.0f}", ha="center", va="bottom", fontsize=label_size)
    ax.set_xticks(range(len(groups)), groups, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("success rate (%)")
    ax.set_ylim(0, 112)
    ax.set_yticks(range(0, 101, 20))
    ax.axhline(0, color="black", linewidth=0.8)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, frameon=False)
    ax.set_title("Success rate per task (numbers: %)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)


def frame_strip(video: str | Path, frames: int = 5, height: int = 150) -> "np.ndarray":
    """`frames` evenly spaced frames of an episode video (first and last included), each labelled with its
    frame number, in a grid that stays legible when a page shows it ~800 px wide: wide frames (several
    camera views side by side) one per row, narrow ones several per row; RGB uint8, tiles `height` high."""
    import cv2
    import imageio.v3 as iio
    import numpy as np

    clip = iio.imread(video)  # [N, H, W, 3]
    picks = sorted({int(round(i)) for i in np.linspace(0, len(clip) - 1, num=min(frames, len(clip)))})
    tiles = []
    for index in picks:
        frame = np.ascontiguousarray(clip[index])
        scale = height / frame.shape[0]
        tile = cv2.resize(frame, (max(1, round(frame.shape[1] * scale)), height), interpolation=cv2.INTER_AREA)
        label, font = f"frame {index + 1}/{len(clip)}", max(0.4, height / 300)
        (tw, th), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, font, 1)
        cv2.rectangle(tile, (0, 0), (tw + 8, th + 8), (0, 0, 0), thickness=-1)
        cv2.putText(tile, label, (4, th + 4), cv2.FONT_HERSHEY_SIMPLEX, font, (255, 255, 255), 1, cv2.LINE_AA)
        tiles.append(np.pad(tile, ((0, 4), (0, 4), (0, 0)), constant_values=255))
    columns = max(1, min(len(tiles), int(4 * tiles[0].shape[0] // tiles[0].shape[1])))
    rows = [np.concatenate(tiles[i:i + columns], axis=1) for i in range(0, len(tiles), columns)]
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    return np.concatenate(rows, axis=0)


def png_data_uri(path_or_image) -> str:
    """A PNG file (or RGB uint8 image, JPEG-encoded) as a data: URI for a Prefect markdown artifact."""
    import base64

    if isinstance(path_or_image, (str, Path)):
        return "data:image/png;base64," + base64.b64encode(Path(path_or_image).read_bytes()).decode()
    import cv2

    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(path_or_image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        raise RuntimeError("JPEG encoding of a frame strip failed")
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode()


def first_per_policy(paths: list[Path]) -> dict[str, Path]:
    """Per policy row, the first of an evaluation's per-episode files (named `<row>-<task>-<setting>-<seed>.<ext>`;
    a row's name may hold '-', a task's, setting's and seed's do not)."""
    first: dict[str, Path] = {}
    for path in sorted(paths, key=lambda p: p.name):
        first.setdefault(path.stem.rsplit("-", 3)[0], path)
    return first


def trace_sections(traces: list[Path]) -> str:
    """Markdown: per policy, the plot of its first episode trace (`aim_core.eval.trace`)."""
    first = first_per_policy(traces)
    if not first:
        return ""
    lines = ["## Where the episodes went", "",
             "One episode per policy, step by step: the TCPs' heights (measured, and where the commands sent them) "
             "beside the objects', the grippers, each TCP's horizontal distance to each object, and the task's "
             "sub-conditions (the .npz beside each plot holds the numbers).", ""]
    for policy, trace in first.items():
        lines += [f"**{policy}**: `{trace.name}`", "", f"![{policy} trace]({png_data_uri(trace)})", ""]
    return "\n".join(lines)


def video_sections(videos: list[Path], frames: int = 5, height: int = 150) -> str:
    """Markdown: per policy, a frame strip of its first saved episode video (named
    `<policy>-<task>-<setting>-<seed>.mp4` by the evaluation), with what the strip shows."""
    first = first_per_policy(videos)
    if not first:
        return ""
    lines = ["## What the policies did", "",
             f"{frames} evenly spaced frames of one episode per policy (the first saved video; the full videos "
             "are listed below). Each frame: the camera views side by side (head, left wrist, right wrist); "
             "an AIM policy's video has a second row with the value map it predicted drawn over each view.", ""]
    for policy, video in first.items():
        note = f" ({REFERENCE_ROWS[policy]})" if policy in REFERENCE_ROWS else ""
        try:
            strip = frame_strip(video, frames, height)
        except Exception as exc:  # noqa: BLE001 - an unreadable video must not lose the tables
            lines += [f"**{policy}**{note}: `{video.name}` could not be read ({exc})", ""]
            continue
        lines += [f"**{policy}**{note}: `{video.name}`", "", f"![{policy} frames]({png_data_uri(strip)})", ""]
    return "\n".join(lines)


def write_reports(results: list[EpisodeResult], out_dir: str | Path, stem: str = "success") -> ReportPaths:
    """Write `<stem>.csv`, `<stem>.md` and `<stem>.png` into `out_dir`."""
    if not results:
        raise ValueError("no evaluation episodes to report: select at least one task, setting and episode")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = ReportPaths(csv=out / f"{stem}.csv", markdown=out / f"{stem}.md", chart=out / f"{stem}.png")
    write_csv(results, paths.csv)
    paths.markdown.write_text(markdown_table(results))
    write_bar_chart(results, paths.chart)
    return paths
