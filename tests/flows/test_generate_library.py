"""The library steps behind generate-dataset, on a real Zarr store with schema-complete synthetic episodes."""
from __future__ import annotations

import base64

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from data_schemas.validate import EpisodeData
from pipeline.annotate.annotate import AnnotationResult
from pipeline.annotate.params import AnnotationParams
from pipeline.generate import DatasetSpec, EpisodeUnit, all_units, commit_episode, dataset_report, missing_units
from pipeline.generate.plan import StaleEpisodesError, normalize_output
from pipeline.generate.report import SAMPLE_HEIGHT, overlay_step
from pipeline.record.store import DatasetStore
from pipeline.record.synthetic import synthetic_episode, synthetic_value_maps
from pipeline.tasks import list_tasks

TASK = list_tasks()[0]


def _annotation(episode, params=AnnotationParams()) -> AnnotationResult:
    return AnnotationResult(episode.episode_id, synthetic_value_maps(episode), {"digest": params.digest()})


def test_all_units_expands_all_tasks_settings_and_seeds():
    units = all_units(DatasetSpec(tasks=["all"], episodes_per_task=2, settings=["easy", "hard"], seed=5))
    assert len(units) == len(list_tasks()) * 2 * 2
    assert {u.seed for u in units} == {5, 6}
    assert len({u.episode_id for u in units}) == len(units)
    assert EpisodeUnit(TASK, "hard", 6).episode_id == f"{TASK}-hard-000006"


def test_bad_specs_are_rejected_with_the_reason():
    with pytest.raises(KeyError, match="available tasks"):
        all_units(DatasetSpec(tasks=["no_such_task"]))
    with pytest.raises(ValueError, match="alone"):
        all_units(DatasetSpec(tasks=["all", TASK]))
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        DatasetSpec(episodes_per_task=0)
    with pytest.raises(ValidationError, match="duplicate"):
        DatasetSpec(settings=["easy", "easy"])
    with pytest.raises(ValidationError):
        DatasetSpec(settings=["medium"])
    with pytest.raises(ValidationError, match="less than or equal to 0.2"):
        DatasetSpec(expert_noise_rad=0.5)
    with pytest.raises(ValueError, match="output is empty"):
        normalize_output("  ")


def test_normalize_output_keeps_urls_and_absolutises_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert normalize_output("s3://bucket/aim.zarr") == "s3://bucket/aim.zarr"
    assert normalize_output("data/x.zarr") == str(tmp_path / "data" / "x.zarr")


def test_missing_units_follow_the_store(tmp_path):
    out = str(tmp_path / "ds.zarr")
    spec = DatasetSpec(tasks=[TASK], episodes_per_task=3, settings=["easy"], seed=0, annotate=True,
                       resolution=(24, 32))  # synthetic episodes' size
    assert [u.seed for u in missing_units(spec, out)] == [0, 1, 2]

    ep0, ep1 = synthetic_episode(TASK, "easy", 0), synthetic_episode(TASK, "easy", 1)
    first = commit_episode(out, ep0, _annotation(ep0))
    assert first.written and first.annotated
    commit_episode(out, ep1)  # committed, not annotated: still missing while annotation is asked for
    assert [u.seed for u in missing_units(spec, out)] == [1, 2]
    assert [u.seed for u in missing_units(spec.model_copy(update={"annotate": False}), out)] == [2]

    other = AnnotationParams(splat_sigma_m=0.02)  # maps made with other parameters are stale
    assert [u.seed for u in missing_units(spec, out, other)] == [0, 1, 2]

    again = commit_episode(out, ep0, _annotation(ep0))
    assert not again.written and again.annotated  # never written twice
    with pytest.raises(ValueError, match="annotation of"):
        commit_episode(out, ep1, _annotation(ep0))


def test_missing_units_refuse_episodes_recorded_differently(tmp_path):
    """A store resumed after the expert changed (click_bell: revision 2 ends at the hover) or with another
    image size, control period or expert noise would mix two kinds of demonstration: refused, naming the
    episode and the difference, and the store keeps what it had."""
    out = str(tmp_path / "ds.zarr")
    spec = DatasetSpec(tasks=["click_bell"], episodes_per_task=2, settings=["easy"], resolution=(24, 32),
                       annotate=False)
    old = synthetic_episode("click_bell", "easy", 0, expert_revision=1)
    commit_episode(out, old)
    with pytest.raises(StaleEpisodesError, match=r"1 episode\(s\) .*click_bell-easy-000000: expert revision 1, "
                                                 r"this code's is 2\); write to a new store, or re-record"):
        missing_units(spec, out)
    assert DatasetStore.open(out).episode_ids() == ["click_bell-easy-000000"]

    current = replace_attrs(old, expert_revision=2)
    commit_episode(out, current, overwrite=True)
    assert [u.seed for u in missing_units(spec, out)] == [1]
    with pytest.raises(StaleEpisodesError, match="image size 24x32, the job asks 48x64"):
        missing_units(spec.model_copy(update={"resolution": (48, 64)}), out)
    with pytest.raises(StaleEpisodesError, match="record_every 15, the job asks 5"):
        missing_units(spec.model_copy(update={"record_every": 5}), out)
    with pytest.raises(StaleEpisodesError, match="expert noise 0.0 rad, the job asks 0.03"):
        missing_units(spec.model_copy(update={"expert_noise_rad": 0.03}), out)
    noisy = replace_attrs(current, recording={"expert_noise_rad": 0.03})
    commit_episode(out, noisy, overwrite=True)
    assert [u.seed for u in missing_units(spec.model_copy(update={"expert_noise_rad": 0.03}), out)] == [1]
    with pytest.raises(StaleEpisodesError, match="expert noise 0.03 rad, the job asks 0.0"):
        missing_units(spec, out)


def replace_attrs(episode, **changes):
    return EpisodeData(attrs=episode.attrs.model_copy(update=changes), arrays=episode.arrays)


def test_missing_units_refuses_a_store_that_is_not_a_dataset(tmp_path):
    (tmp_path / "notes.txt").write_text("not a dataset")
    with pytest.raises(ValueError, match="not a Zarr store"):
        missing_units(DatasetSpec(tasks=[TASK]), tmp_path / "notes.txt")


def test_overlay_blends_only_where_there_is_value():
    rgb = np.full((4, 4, 3), 100, np.uint8)
    value = np.zeros((4, 4), np.float16)
    value[1, 1] = 0.8
    colour = np.full((4, 4, 3), 250, np.uint8)
    out = overlay_step(rgb, colour, value)
    assert (out[0, 0] == 100).all() and (out[1, 1] > 100).all()


def test_dataset_report_tables_and_overlays(tmp_path):
    out = str(tmp_path / "ds.zarr")
    results = []
    for seed, setting in ((0, "easy"), (1, "easy"), (2, "hard")):
        episode = synthetic_episode(TASK, setting, seed)
        results.append(commit_episode(out, episode, _annotation(episode)))
    DatasetStore.open(out, "a").update_index()
    report = dataset_report(out, results, wall_s=36.0, failed=[f"{TASK}-hard-000009"])
    assert [(r["task"], r["setting"], r["episodes"], r["new"]) for r in report.rows] == [
        (TASK, "easy", 2, 2), (TASK, "hard", 1, 1)]
    assert report.rows[0]["expert_success_%"] == 50.0  # synthetic: even seeds succeed
    assert report.episodes_per_hour == pytest.approx(300.0)
    assert f"{TASK}-hard-000009" in report.markdown and "1 failed" in report.markdown
    uris = [part.split(")")[0] for part in report.markdown.split("(data:image/jpeg;base64,")[1:]]
    assert len(uris) == 2  # one labelled sample per (task, setting)
    assert f"### {TASK} / easy" in report.markdown and f"### {TASK} / hard" in report.markdown
    image = cv2.imdecode(np.frombuffer(base64.b64decode(uris[0]), np.uint8), cv2.IMREAD_COLOR)
    assert image.shape[0] >= 2 * SAMPLE_HEIGHT  # a raw row and an overlay row (plus titles)
    assert image.shape[1] >= 3 * round(32 * SAMPLE_HEIGHT / 24)  # three cameras (plus the colour bar)
    (tmp_path / "sample.jpg").write_bytes(base64.b64decode(uris[0]))


def test_produce_reads_a_complete_episode_back_without_its_maps(tmp_path):
    from pipeline.generate import produce_episode
    from pipeline.sim.config import SimConfig

    out = str(tmp_path / "ds.zarr")
    episode = synthetic_episode(TASK, "easy", 0)
    commit_episode(out, episode, _annotation(episode))
    again = produce_episode(EpisodeUnit(TASK, "easy", 0), SimConfig(), out)  # no simulator involved
    assert sorted(again.arrays) == sorted(episode.arrays)
    assert not commit_episode(out, again, _annotation(again)).written
