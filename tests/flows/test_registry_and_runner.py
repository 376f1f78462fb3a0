"""The deployment registry, the Dask runner's sizing, and which failures the rollout retries."""
from __future__ import annotations

import os

import pytest
from prefect import Flow
from prefect.states import Completed, Failed

from data_schemas.validate import SchemaError
from flows import registry
from flows.generate_dataset import _simulator_crash, rollout
from flows.task_runner import THREAD_ENV_VARS, WORKER_DASK_CONFIG, dask_task_runner, worker_env


def test_registry_serves_existing_flows_named_after_themselves(monkeypatch):
    monkeypatch.setitem(registry.FLOWS, "not-written-yet", "flows.not_written_yet:flow")
    flows = registry.available_flows()
    assert "generate-dataset" in [f.name for f in flows] and all(isinstance(f, Flow) for f in flows)
    assert registry.load_flow("not-written-yet") is None  # listed before its module exists: skipped
    deployments = registry.deployments(["generate-dataset"])
    assert [(d.flow_name, d.name) for d in deployments] == [("generate-dataset", "generate-dataset")]
    # loaded by import in served runs, so a remote Dask scheduler can unpickle their tasks
    assert deployments[0].entrypoint == "flows.generate_dataset.generate_dataset"


def test_registry_refuses_unknown_names_and_wrong_targets(monkeypatch, tmp_path):
    with pytest.raises(KeyError, match="registered flows: generate-dataset"):
        registry.load_flow("generate")
    monkeypatch.setitem(registry.FLOWS, "broken", "flows.task_runner:worker_env")
    with pytest.raises(TypeError, match="must be a Prefect flow named 'broken'"):
        registry.load_flow("broken")
    (tmp_path / "aim_probe_flow.py").write_text("import aim_dependency_that_is_not_installed\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(registry.FLOWS, "bad-import", "aim_probe_flow:flow")
    with pytest.raises(ModuleNotFoundError, match="aim_dependency_that_is_not_installed"):
        registry.load_flow("bad-import")  # a flow that exists but cannot import is an error, not skipped


def test_workers_share_the_cores_between_their_thread_pools():
    assert worker_env(2, cores=2) == {name: "1" for name in THREAD_ENV_VARS}
    assert worker_env(1, cores=8)["LP_NUM_THREADS"] == "8"
    assert worker_env(16, cores=2)["LP_NUM_THREADS"] == "1"
    with pytest.raises(ValueError, match="local cluster only"):
        dask_task_runner("tcp://127.0.0.1:8786", workers=2)
    local = dask_task_runner(workers=3)
    assert local.cluster_kwargs["n_workers"] == 3 and local.cluster_kwargs["threads_per_worker"] == 1
    assert dask_task_runner("tcp://10.0.0.1:8786").address == "tcp://10.0.0.1:8786"


def test_local_workers_start_with_fast_malloc_settings_and_their_core_share(dask_address):
    """A Dask nanny's default MALLOC_TRIM_THRESHOLD_=65536 made rollouts ~6x slower (page faults):
    the workers the flows start must carry the settings of flows/dask-workers.yaml instead."""
    import yaml
    from distributed import Client

    wanted = yaml.safe_load(WORKER_DASK_CONFIG.read_text())["distributed"]["nanny"]["pre-spawn-environ"]
    names = [*wanted, *THREAD_ENV_VARS]
    with Client(dask_address) as client:
        seen = client.run(lambda: {name: os.environ.get(name) for name in names})
    assert len(seen) == 2
    for env in seen.values():
        assert env == {**{k: str(v) for k, v in wanted.items()}, **worker_env(2)}


def test_rollout_retries_crashes_but_not_bad_input():
    assert rollout.retries == 2
    assert _simulator_crash(rollout, None, Failed(data=RuntimeError("PhysX crashed")))
    assert not _simulator_crash(rollout, None, Failed(data=KeyError("unknown task 'x'")))
    assert not _simulator_crash(rollout, None, Failed(data=SchemaError("bad episode")))
    assert not _simulator_crash(rollout, None, Completed(data=1))


@pytest.mark.parametrize("name", ["generate-dataset", "train-stage1"])
def test_contract_deployments_run_without_parameters(name):
    """`prefect deployment run generate-dataset/generate-dataset` (and train-stage1) must work as
    typed, with no --param: every parameter of those flows has a default."""
    flow = registry.load_flow(name)
    assert flow is not None, f"{name} is not installed"
    assert flow.parameters.required == [], f"{name} requires {flow.parameters.required}"
