"""Shared fixtures of the orchestration tests: a session-wide Prefect API, the tiny generation
config, and helpers that run the real flow in its own process (to crash it or run two at once)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.tasks import list_tasks

TASKS = sorted(list_tasks())[:2]
TINY = {"settings": ["easy"], "resolution": [48, 64], "record_every": 60, "workers": 1}
"""Low resolution, one recorded step per 60 physics steps (~50 steps an episode), one worker."""
SERVER_STARTUP_S = 240
"""Generous: the CI machine's two cores are shared by the whole suite."""

RUN_FLOW = ("import json, sys\n"
            "from flows.generate_dataset import generate_dataset\n"
            "print('SUMMARY ' + json.dumps(generate_dataset(**json.loads(sys.argv[1]))), flush=True)\n")


@pytest.fixture(scope="session")
def prefect_api() -> str:
    """One temporary Prefect server (SQLite) for every flow test of the session; its API URL."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=SERVER_STARTUP_S):
        yield PREFECT_API_URL.value()


def flow_process(api_url: str, **params) -> subprocess.Popen:
    """Run generate-dataset with `params` in a new process group (so a crash can take all of it)."""
    env = {**os.environ, "PREFECT_API_URL": api_url}
    return subprocess.Popen([sys.executable, "-c", RUN_FLOW, json.dumps(params)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


def flow_summary(process: subprocess.Popen, timeout_s: float = 600) -> dict:
    out, _ = process.communicate(timeout=timeout_s)
    assert process.returncode == 0, f"flow process failed ({process.returncode}):\n{out[-4000:]}"
    return json.loads(next(line for line in out.splitlines() if line.startswith("SUMMARY "))[len("SUMMARY "):])


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the process and everything it started (Dask nanny and workers): a simulated crash."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def store_path(tmp_path) -> Path:
    return tmp_path / "dataset.zarr"


@pytest.fixture
def tiny() -> dict:
    """Flow parameters of the tiny config (2 tasks); tests override what they need."""
    return {"tasks": TASKS, **TINY}


@pytest.fixture(scope="session")
def dask_address() -> str:
    """A real 2-worker Dask cluster shared by the tests that pass `dask_address`.

    Why: a fresh rollout process pays a one-off render warm-up many times the cost of a tiny
    episode; long-lived workers pay it once, as they do on a real cluster.
    """
    from distributed import LocalCluster

    from flows.task_runner import local_cluster_kwargs

    with LocalCluster(**local_cluster_kwargs(workers=2)) as cluster:
        yield cluster.scheduler_address


@pytest.fixture
def on_cluster(tiny, dask_address) -> dict:
    """The tiny config, run on the shared cluster (the `workers` parameter is for local clusters only)."""
    return {**{k: v for k, v in tiny.items() if k != "workers"}, "dask_address": dask_address}


class FlowProcesses:
    """generate-dataset runs in processes of their own, against the session's Prefect API."""

    def __init__(self, api_url: str):
        self.api_url = api_url
        self.started: list[subprocess.Popen] = []

    def start(self, **params) -> subprocess.Popen:
        process = flow_process(self.api_url, **params)
        self.started.append(process)
        return process

    summary = staticmethod(flow_summary)
    kill = staticmethod(kill_group)


@pytest.fixture
def flow_processes(prefect_api):
    runs = FlowProcesses(prefect_api)
    yield runs
    for process in runs.started:
        if process.poll() is None:
            kill_group(process)


@pytest.fixture
def port() -> int:
    return free_port()
