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
    return "\n".join(lines) + "\n"


def write_csv(results: list[EpisodeResult], path: Path) -> None:
    cells = rate_cells(results)
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["policy", "task", "setting", "episodes", "successes", "success_rate"])
        for (policy, task, setting), cell in cells.items():
            writer.writerow([policy, task, setting, cell.episodes, cell.successes, f"{cell.rate:.4f}"])


def write_bar_chart(results: list[EpisodeResult], path: Path) -> None:
    """Grouped bars: one group per task (+ Average), one bar per policy and setting."""
    cells = rate_cells(results)
    policies = _ordered(r.policy for r in results)
    tasks = _ordered(r.task for r in results)
    settings = [s for s in SETTING_ORDER if any(r.setting == s for r in results)]
    summary = summary_rates(results)
    groups = tasks + ["Average"]
    series = [(p, s) for p in policies for s in settings]
    width = 0.8 / max(1, len(series))
    fig, ax = plt.subplots(figsize=(max(4.0, 1.2 * len(groups) * max(1, len(series)) / 2), 3.2), dpi=100)
    colors = plt.get_cmap("tab10")
    for i, (policy, setting) in enumerate(series):
        heights = [cells[(policy, t, setting)].rate * 100 if (policy, t, setting) in cells else 0.0 for t in tasks]
        heights.append(100 * summary[policy].get(setting, 0.0))
        xs = [g + (i - (len(series) - 1) / 2) * width for g in range(len(groups))]
        ax.bar(xs, heights, width, color=colors(policies.index(policy)), hatch="//" if setting == "hard" else None,
               edgecolor="black", linewidth=0.5, label=f"{policy} ({setting})")
    ax.set_xticks(range(len(groups)), groups, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("success rate (%)")
    ax.set_ylim(0, 105)
    ax.legend(fontsize=7, ncols=2)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


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
