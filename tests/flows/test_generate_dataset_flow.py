"""generate-dataset end to end on the real simulator, annotator and Zarr store, under a real Prefect API."""
from __future__ import annotations

import time

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
from prefect.exceptions import ParameterTypeError

from flows.generate_dataset import generate_dataset
from pipeline.record.store import DatasetStore
from pipeline.record.summary import validate_store


def _ids(tasks, seeds, setting="easy") -> list[str]:
    return sorted(f"{t}-{setting}-{s:06d}" for t in tasks for s in seeds)


def _artifacts(flow_run_id) -> dict:
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))
    return {a.key: a for a in found}


def _assert_complete_and_valid(store_path, ids):
    store = DatasetStore.open(store_path)
    index = store.read_index()
    assert [r["episode_id"] for r in index] == ids
    assert all(r["annotated"] for r in index)
    assert validate_store(store) == {}


def test_flow_end_to_end_with_artifacts_and_idempotent_rerun(prefect_api, store_path, tiny):
    params = {**tiny, "output": str(store_path), "episodes_per_task": 2, "workers": 2}
    state = generate_dataset(**params, return_state=True)
    summary = state.result()
    ids = _ids(tiny["tasks"], (0, 1))
    assert summary["written"] == ids and summary["annotated"] == ids and summary["failed"] == []
    _assert_complete_and_valid(store_path, ids)

    artifacts = _artifacts(state.state_details.flow_run_id)
    assert artifacts["generate-dataset-progress"].data == pytest.approx(100.0)
    progress = artifacts["generate-dataset-progress"].description
    assert f"finished at {len(ids)}/{len(ids)} episodes" in progress and f"{len(ids)} committed, 0 failed" in progress
    assert summary["parameters"]["workers"] == 2 and summary["parameters"]["dask_address"] == ""
    assert summary["parameters"]["annotate"] is True  # a default, recorded with the given ones
    parameters = artifacts["generate-dataset-parameters"].data
    parameters = parameters if isinstance(parameters, list) else __import__("json").loads(parameters)
    assert {"parameter": "dask_address", "value": '""',
            "note": "empty = a temporary local Dask cluster on this machine"} in parameters
    rows = artifacts["dataset-summary"].data
    rows = rows if isinstance(rows, list) else __import__("json").loads(rows)
    assert [(r["task"], r["setting"], r["episodes"], r["new"]) for r in rows] == [
        (t, "easy", 2, 2) for t in tiny["tasks"]]
    assert all(0.0 <= r["expert_success_%"] <= 100.0 and r["rollout_s"] > 0 for r in rows)
    report = artifacts["dataset-report"].data
    assert report.count("data:image/jpeg;base64,") == len(tiny["tasks"])  # one per task and setting
    assert all(f"### {t} / easy" in report for t in tiny["tasks"])

    again = generate_dataset(**params)
    assert again["planned"] == [] and again["written"] == []
    _assert_complete_and_valid(store_path, ids)


def test_bad_parameters_are_rejected_before_anything_is_written(prefect_api, store_path, tiny):
    with pytest.raises(ParameterTypeError, match="episodes_per_task"):
        generate_dataset(**{**tiny, "output": str(store_path), "episodes_per_task": 0})
    with pytest.raises(ParameterTypeError, match="tasks"):
        generate_dataset(**{**tiny, "output": str(store_path), "tasks": ["no_such_task"]})
    assert not store_path.exists()


def test_output_that_is_not_a_dataset_fails_and_stays_untouched(prefect_api, tmp_path, tiny):
    other = tmp_path / "notes.txt"
    other.write_text("keep me")
    with pytest.raises(ValueError, match="not a Zarr store"):
        generate_dataset(**{**tiny, "output": str(other), "episodes_per_task": 1})
    assert other.read_text() == "keep me"


def _wait_for_complete_episode(store_path, process, timeout_s=600) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, "the flow finished before it could be interrupted"
        if store_path.exists() and any(DatasetStore.open(store_path).episode_states().values()):
            return
        time.sleep(0.5)
    raise TimeoutError("no episode was committed in time")


def test_rerun_after_a_crash_produces_exactly_the_missing_episodes(flow_processes, store_path, tiny):
    # three episodes on two workers: when the first is committed, the third has not started, so the kill
    # always leaves work undone (with two, both could finish in the moment between commit and kill)
    params = {**tiny, "tasks": tiny["tasks"][:1], "episodes_per_task": 3, "output": str(store_path)}
    process = flow_processes.start(**params)
    _wait_for_complete_episode(store_path, process)
    flow_processes.kill(process)  # the whole job (flow + Dask workers) dies mid-run

    store = DatasetStore.open(store_path)
    complete = {eid for eid, done in store.episode_states().items() if done}
    annotated = {eid for eid in complete if store.value_params(eid) is not None}
    ids = _ids(params["tasks"], (0, 1, 2))
    assert 1 <= len(complete) < len(ids)

    summary = generate_dataset(**params)
    assert summary["planned"] == sorted(set(ids) - annotated)
    assert summary["written"] == sorted(set(ids) - complete)  # nothing written twice
    _assert_complete_and_valid(store_path, ids)


def test_concurrent_runs_with_disjoint_units_leave_one_valid_store(flow_processes, store_path, on_cluster):
    first, second = on_cluster["tasks"]
    runs = [flow_processes.start(**{**on_cluster, "tasks": [task], "episodes_per_task": 1, "output": str(store_path)})
            for task in (first, second)]
    summaries = [flow_processes.summary(run) for run in runs]
    assert [s["written"] for s in summaries] == [_ids([first], (0,)), _ids([second], (0,))]
    _assert_complete_and_valid(store_path, _ids(on_cluster["tasks"], (0,)))
