"""What a person following a run sees: progress with an ETA that ends at the true final state, the
effective parameters of every run, a description for every deployment parameter, and reports
whose pictures are labelled (evaluation chart, frame strips, reference rows)."""
from __future__ import annotations

import logging

import numpy as np
import pytest
from prefect import flow

from flows.progress import StepProgress, format_duration, record_parameters
from flows.registry import FLOWS, deployments


def _artifact(key: str):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
                                      sort=ArtifactSort.CREATED_DESC, limit=1)
    return found[0]


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_durations_read_as_a_person_writes_them():
    assert [format_duration(s) for s in (None, 12, 185, 7440)] == ["?", "12 s", "3 min 05 s", "2 h 04 min"]


def test_progress_has_an_eta_and_ends_at_the_true_final_state(prefect_api, caplog):
    flow(name="progress-probe")(_budget_run)(caplog)


def _budget_run(caplog):
    clock = FakeClock()
    caplog.set_level(logging.INFO)
    progress = StepProgress("test-progress-budget", "training runs/x", 1000, clock=clock, budget_s=300,
                            log_every_s=0, artifact_every_s=0)
    assert "0/1000 steps" in progress.description and "ETA 5 min 00 s" in progress.description  # the budget
    clock.now = 10.0
    progress.update(100, "loss 0.5")
    assert "100/1000 steps (10%)" in progress.description and "ETA 1 min 30 s" in progress.description
    assert "loss 0.5" in progress.description
    clock.now = 250.0
    progress.update(860)
    assert "ETA 41 s" in progress.description  # the rate says 41 s, the budget 50 s
    text = progress.finish("stopped by the time budget (max_minutes=5) before step 1000")
    assert text.startswith("training runs/x: finished at 860/1000 steps (86%) after 4 min 10 s: stopped by")
    stored = _artifact("test-progress-budget")
    assert stored.data == pytest.approx(86.0) and stored.description == text
    progress.update(900)  # nothing moves after the end
    assert _artifact("test-progress-budget").description == text
    assert any("ETA 1 min 30 s" in r.getMessage() for r in caplog.records)
    assert any("finished at 860/1000" in r.getMessage() for r in caplog.records)


def test_progress_is_throttled_and_counts_only_this_runs_rate(prefect_api):
    flow(name="progress-probe")(_resumed_run)()


def _resumed_run():
    clock = FakeClock()
    progress = StepProgress("test-progress-resume", "training", 100, done=40, clock=clock,
                            log_every_s=60, artifact_every_s=60)
    clock.now = 10.0
    progress.update(50)  # 10 steps in 10 s since the resume: 50 left, 50 s
    assert "ETA 50 s" in progress.description
    assert _artifact("test-progress-resume").data == pytest.approx(40.0)  # throttled: not sent yet
    progress.update(100)  # the last update always goes out
    assert _artifact("test-progress-resume").data == pytest.approx(100.0)
    progress.extend(100)  # a further cycle of the same size (the small VAE's unreadable value maps)
    clock.now = 110.0
    progress.update(150)  # 110 steps in 110 s since the resume: 50 left, 50 s
    assert "150/200 steps (75%)" in progress.description and "ETA 50 s" in progress.description


def test_effective_parameters_become_the_runs_parameters(prefect_api):
    @flow(name="params-probe")
    def probe(workers: int = 0, dask_address: str = "") -> dict:
        return record_parameters("params-probe", dict(locals()), notes={"workers": "0 = one per CPU core"})

    state = probe(return_state=True)
    assert state.result() == {"workers": 0, "dask_address": ""}
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(state.state_details.flow_run_id)
    assert run.parameters == {"workers": 0, "dask_address": ""}  # the run page shows them, not {}
    rows = _artifact("params-probe-parameters").data
    rows = rows if isinstance(rows, list) else __import__("json").loads(rows)
    assert {"parameter": "workers", "value": "0", "note": "0 = one per CPU core"} in rows


def test_every_deployment_parameter_is_described():
    described = {}
    for deployment in deployments():
        schema = deployment._parameter_openapi_schema.model_dump()  # what the UI's run form shows
        missing = [k for k, v in schema["properties"].items() if not v.get("description")]
        assert not missing, f"{deployment.name}: parameters without a description: {missing}"
        described[deployment.name] = schema["properties"]
    assert set(described) == set(FLOWS)
    generate = described["generate-dataset"]
    assert "Empty: a temporary local" in generate["dask_address"]["description"]
    assert "0: one per CPU core" in generate["workers"]["description"]
    train = described["train-stage1"]
    assert train["max_minutes"]["default"] == 5.0 and "null: train until `steps`" in train["max_minutes"]["description"]
    assert train["camera_hw"]["default"] == [48, 64] and train["model"]["default"] == "aim-tiny"
    assert train["max_episodes"]["default"] == 24 and "null: all" in train["max_episodes"]["description"]


def _results():
    from aim_core.eval.report import EpisodeResult

    out = []
    for task, aim_ok in (("place_shoe", [True, False]), ("click_bell", [False, False])):
        for seed, ok in enumerate(aim_ok):
            out += [EpisodeResult("aim", task, "easy", seed, ok, 10, 0.1),
                    EpisodeResult("expert", task, "easy", seed, True, 10, 0.1),
                    EpisodeResult("hold", task, "easy", seed, False, 10, 0.1)]
    return out


def test_bar_chart_legend_hides_no_bar_and_zero_bars_show(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    from aim_core.eval import report

    figures = []
    monkeypatch.setattr(plt, "close", lambda fig=None: figures.append(fig))
    report.write_bar_chart(_results(), tmp_path / "chart.png")
    fig = figures[-1]
    ax = fig.axes[0]
    fig.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    for bar in ax.patches:
        assert not legend.overlaps(bar.get_window_extent()), "the legend covers a bar"
    labels = [t.get_text() for t in ax.texts]
    assert labels.count("0") == 4  # hold on both tasks and on average, aim on click_bell: each labelled
    stubs = [line for line in ax.lines if list(line.get_ydata()) == [0.6, 0.6]]
    assert len(stubs) == len(ax.patches)  # every bar, 0 % ones included, has a visible mark on the axis
    plt.close(fig)


def test_evaluation_markdown_explains_reference_rows_and_shows_frames(tmp_path):
    from aim_core.eval.report import markdown_table, video_sections
    from aim_core.eval.video import EpisodeVideo

    md = markdown_table(_results())
    assert "**expert**: the scripted expert's own recorded actions" in md
    assert "**hold**: keeps the robot's start posture" in md and "a floor" in md
    videos = []
    for policy in ("aim", "hold"):
        video = EpisodeVideo(fps=5)
        for step in range(12):
            video.add(np.full((3, 24, 32, 3), 20 * step, np.uint8))
        videos.append(video.save(tmp_path / "videos" / f"{policy}-place_shoe-easy-100000.mp4"))
    section = video_sections(videos, frames=4, height=48)
    assert section.count("data:image/jpeg;base64,") == 2
    assert "**hold** (keeps the robot's start posture" in section and "`aim-place_shoe-easy-100000.mp4`" in section


def test_frame_strip_picks_first_and_last_frames_with_labels(tmp_path):
    from aim_core.eval.report import frame_strip
    from aim_core.eval.video import EpisodeVideo

    video = EpisodeVideo(fps=5)
    for step in range(10):
        video.add(np.full((1, 32, 32, 3), 25 * step, np.uint8))
    strip = frame_strip(video.save(tmp_path / "v.mp4"), frames=3, height=64)
    assert strip.shape == (68, 3 * 68, 3)  # square frames: three in a row
    assert strip[40, 30].mean() < 20 and strip[40, 2 * 68 + 30].mean() > 200  # frame 1 dark, frame 10 bright
    wide = EpisodeVideo(fps=5)
    for step in range(10):
        wide.add(np.full((3, 32, 48, 3), 25 * step, np.uint8))  # three views side by side
    strip = frame_strip(wide.save(tmp_path / "w.mp4"), frames=3, height=64)
    assert strip.shape == (3 * 68, 3 * 96 + 4, 3)  # one frame per row, legible when scaled to a page


def _synthetic_dataset(path):
    from pipeline.record.store import DatasetStore
    from pipeline.record.synthetic import synthetic_episode, synthetic_value_maps

    store = DatasetStore.open(path, mode="a")
    for seed in (0, 2, 4):
        episode = synthetic_episode(task="place_shoe", seed=seed, num_steps=21, image_size=(32, 48))
        store.write_episode(episode)
        store.write_value(episode.episode_id, synthetic_value_maps(episode, level=0.25 + 0.1 * seed),
                          params={"kind": "synthetic"})
    store.update_index()
    return path


def _run_logs(flow_run_id, until: str, timeout_s: float = 30.0) -> list[str]:
    """The run's log messages as the API has them (what `prefect flow-run logs` prints), once one
    contains `until` (logs reach the API in batches, a few seconds late)."""
    import time

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    deadline = time.monotonic() + timeout_s
    while True:
        with get_client(sync_client=True) as client:
            logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])),
                                    limit=200)
        messages = [entry.message for entry in logs]
        if any(until in m for m in messages) or time.monotonic() > deadline:
            return messages
        time.sleep(1.0)


@pytest.mark.slow
def test_train_stage1_defaults_report_cache_and_training_to_their_end(prefect_api, tmp_path, monkeypatch):
    """Defaults except where the data and the test's time need others: 48x64 views, aim-tiny; the
    training progress ends at the step the time budget stopped it, not at the last logged step."""
    from flows.train_stage1 import train_stage1

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    dataset = _synthetic_dataset(tmp_path / "ds.zarr")
    state = train_stage1(dataset=str(dataset), out_dir=str(tmp_path / "run"), steps=50, batch_size=1,
                         val_every=0, gpus=0, max_minutes=0.001, max_episodes=2, vae_steps=2, return_state=True)
    checkpoint = state.result()
    stopped = int(checkpoint.rsplit("step-", 1)[1])  # the budget ends it after a few steps (machine-dependent)
    assert 1 <= stopped < 50
    cache = _artifact("train-stage1-latent-cache")
    assert cache.data == pytest.approx(100.0)
    assert "finished at 2/2 episodes" in cache.description and "2 encoded, 0 reused" in cache.description
    vae = _artifact("train-stage1-vae-progress")  # the run's small VAE, step by step
    assert vae.data == pytest.approx(100.0) and "finished at 2/2 steps" in vae.description
    vae_table = _artifact("train-stage1-vae").data  # the synthetic maps hold no contact region: no verdict
    assert "| value maps readable |" in vae_table and vae_table.rstrip().endswith("| nan / nan | - |")
    training = _artifact("train-stage1-progress")
    assert training.description.startswith(
        f"training {tmp_path / 'run'}: finished at {stopped}/50 steps ({100 * stopped / 50:.0f}%)")
    assert "stopped by the time budget (max_minutes=0.001) before step 50" in training.description
    assert training.data == pytest.approx(100 * stopped / 50)
    report = _artifact("train-stage1-report").data
    assert f"ended at step **{stopped} of 50**" in report and "Going further" in report

    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        params = client.read_flow_run(state.state_details.flow_run_id).parameters
    assert params["camera_hw"] == [48, 64] and params["model"] == "aim-tiny" and params["resume"] is True
    assert params["max_minutes"] == 0.001 and params["tasks"] is None  # defaults recorded with the given ones
    assert params["max_episodes"] == 2
    logs = _run_logs(state.state_details.flow_run_id, until=f"finished at {stopped}/50 steps")
    assert any(m.startswith("effective parameters: ") for m in logs)
    assert any("latent cache" in m and "ETA" in m for m in logs)
    assert any(f"finished at {stopped}/50 steps" in m for m in logs)
    assert not any("decodes the value maps without their contact region" in m for m in logs)


def test_evaluate_reports_progress_chart_frames_traces_and_reference_rows(prefect_api, tmp_path):
    """Reference rows only (no checkpoint needed), one cheap task, one episode each, small cameras."""
    from flows.evaluate import evaluate

    state = evaluate(tasks=["click_bell"], out_dir=str(tmp_path / "eval"), settings=["easy"], episodes=1,
                     videos=1, image_size=(48, 64), record_every=60, return_state=True)
    result = state.result()
    assert result["parameters"]["reference_policies"] is True and result["parameters"]["checkpoint"] is None
    progress = _artifact("evaluate-progress")
    assert progress.data == pytest.approx(100.0) and "finished at 2/2 episodes" in progress.description
    report = _artifact("evaluate-report").data
    assert report.count("data:image/png;base64,") == 3  # the success chart, a trace plot per policy
    assert report.count("data:image/jpeg;base64,") == 2  # a frame strip per policy: expert, hold
    assert "![expert trace]" in report and "![hold trace]" in report and len(result["traces"]) == 2
    assert "Reference rows:" in report and "**hold**: keeps the robot's start posture" in report
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        params = client.read_flow_run(state.state_details.flow_run_id).parameters
    assert params["episodes"] == 1 and params["instruction_type"] == "unseen" and params["seed_start"] >= 0
    logs = _run_logs(state.state_details.flow_run_id, until="finished at 2/2 episodes")
    assert any("evaluation episodes" in m and "1/2 episodes" in m for m in logs)


def test_train_stage2_progress_ends_at_its_last_iteration(prefect_api, tmp_path):
    from flows.train_stage2 import train_stage2
    from tests.training.test_grpo import make_bundle

    out = tmp_path / "run"
    state = train_stage2(checkpoint=str(make_bundle(tmp_path)), tasks=["click_bell"], out_dir=str(out), iterations=1,
                         group_size=2, sampling_steps=2, max_steps=8, checkpoint_every=1, return_state=True)
    state.result()
    progress = _artifact("train-stage2-progress")
    assert progress.data == pytest.approx(100.0)
    assert progress.description.startswith(f"GRPO -> {out}: finished at 1/1 iterations (100%)")
    assert "completed: every iteration trained" in progress.description
    assert "ended at iteration **1 of 1**" in _artifact("train-stage2-report").data
    rows = _artifact("train-stage2-parameters").data
    rows = rows if isinstance(rows, list) else __import__("json").loads(rows)
    assert {r["parameter"] for r in rows} >= {"workers", "max_minutes", "noise_level", "sde_steps"}
