"""Success tables: per-task rates, the paper's Easy/Hard/Average summary, files on disk."""
import csv

import numpy as np
import pytest

from aim_core.eval.report import EpisodeResult, markdown_table, summary_rates, write_reports
from aim_core.eval.video import EpisodeVideo, compose_frame


def _results():
    rows = []
    for seed, ok in enumerate([True, True, False, True]):
        rows.append(EpisodeResult("aim", "place_shoe", "easy", seed, ok, 10, 0.1))
    for seed, ok in enumerate([True, False]):
        rows.append(EpisodeResult("aim", "place_shoe", "hard", seed, ok, 10, 0.1))
    for seed in range(2):
        rows.append(EpisodeResult("aim", "click_bell", "easy", seed, False, 10, 0.1))
        rows.append(EpisodeResult("hold", "place_shoe", "easy", seed, False, 10, 0.1))
    return rows


def test_summary_averages_per_task_rates():
    summary = summary_rates(_results())
    assert summary["aim"]["easy"] == pytest.approx((0.75 + 0.0) / 2)
    assert summary["aim"]["hard"] == pytest.approx(0.5)
    assert summary["aim"]["average"] == pytest.approx((0.375 + 0.5) / 2)
    assert summary["hold"] == {"easy": 0.0, "average": 0.0}


def test_reports_written(tmp_path):
    paths = write_reports(_results(), tmp_path)
    rows = list(csv.DictReader(open(paths.csv)))
    shoe_easy = [r for r in rows if (r["policy"], r["task"], r["setting"]) == ("aim", "place_shoe", "easy")]
    assert shoe_easy[0]["successes"] == "3" and shoe_easy[0]["episodes"] == "4"
    md = paths.markdown.read_text()
    assert "| place_shoe | 75.0% (3/4) | 50.0% (1/2) |" in md
    assert "| Average |" in md
    assert paths.chart.stat().st_size > 1000
    assert markdown_table(_results()) == md


def test_empty_results_rejected(tmp_path):
    with pytest.raises(ValueError, match="no evaluation episodes"):
        write_reports([], tmp_path)


def test_video_shows_value_maps_below_views(tmp_path):
    images = np.full((3, 24, 32, 3), 100, np.uint8)
    maps = np.zeros((3, 12, 16, 3), np.uint8)
    maps[0, 6, 8] = (255, 0, 0)
    frame = compose_frame(images, maps)
    assert frame.shape == (48, 96, 3)
    assert (frame[:24] == 100).all()
    assert frame[24 + 12, 16, 0] > 100 and frame[24 + 12, 16, 1] < 100  # value drawn where the map is lit
    assert (frame[24:, 40:] == 100).all()  # black value pixels leave the view untouched
    video = EpisodeVideo(fps=5)
    for _ in range(3):
        video.add(images[:, :23], maps)  # odd height is padded for yuv420p
    path = video.save(tmp_path / "ep.mp4")
    assert path.stat().st_size > 0
