"""aim-serve for real: it starts a local Prefect server, serves the deployments, runs one
triggered with `prefect deployment run ... --watch`, rejects bad parameters, shows the run in
the UI (headless Chromium) and stops everything it started on SIGTERM."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest

from flows.prefect_server import api_healthy
from pipeline.record.store import DatasetStore

DEPLOYMENT = "generate-dataset/generate-dataset"
BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Served:
    api_url: str
    process: subprocess.Popen
    env: dict
    log: Path


def _wait_for_deployment(api_url: str, process: subprocess.Popen, log: Path, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, f"aim-serve exited:\n{log.read_text()[-3000:]}"
        try:
            if httpx.get(f"{api_url}/deployments/name/{DEPLOYMENT}", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise TimeoutError(f"{DEPLOYMENT} not served after {timeout_s} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    home = tmp_path_factory.mktemp("prefect-home")
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    api_url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_API_URL": api_url, "PREFECT_HOME": str(home)}
    log = home / "aim-serve.log"
    with open(log, "w") as out:
        process = subprocess.Popen([str(BIN / "aim-serve")], env=env, stdout=out, stderr=subprocess.STDOUT,
                                   cwd=home, start_new_session=True)
    try:
        _wait_for_deployment(api_url, process, log)
        yield Served(api_url, process, env, log)
    finally:
        if process.poll() is None:  # a failed test left it running: stop it and what it started
            for child in psutil.Process(process.pid).children(recursive=True):
                child.kill()
            process.kill()
            process.wait()


def _deployment_run(served: Served, *params: str, timeout_s: float = 900) -> subprocess.CompletedProcess:
    args = [str(BIN / "prefect"), "deployment", "run", DEPLOYMENT]
    for param in params:
        args += ["--param", param]
    return subprocess.run(args + ["--watch"], env=served.env, capture_output=True, text=True, timeout=timeout_s)


def test_deployment_run_watch_generates_the_dataset(served, tmp_path, on_cluster):
    out = tmp_path / "served.zarr"
    task = on_cluster["tasks"][0]
    done = _deployment_run(served, f"output={out}", f'tasks=["{task}"]', "episodes_per_task=1",
                           'settings=["easy"]', "resolution=[48, 64]", f"record_every={on_cluster['record_every']}",
                           f"dask_address={on_cluster['dask_address']}")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Completed" in done.stdout
    # the run's log lines stream to --watch (aim-serve's server turns Prefect's log streaming on)
    watched = " ".join(done.stdout.split())  # rich wraps lines at the terminal width
    assert "effective parameters: " in watched and "finished at 1/1 episodes" in watched, done.stdout[-3000:]
    index = DatasetStore.open(out).read_index()
    assert [(r["episode_id"], r["annotated"]) for r in index] == [(f"{task}-easy-000000", True)]


@pytest.mark.parametrize("param, field", [("episodes_per_task=0", "episodes_per_task"),
                                          ('tasks=["no_such_task"]', "tasks"),
                                          ('settings=["medium"]', "settings")])
def test_bad_parameters_are_rejected_with_prefects_message(served, tmp_path, param, field):
    out = tmp_path / "never.zarr"
    done = _deployment_run(served, f"output={out}", param, timeout_s=120)
    assert done.returncode != 0
    assert f"Validation failed for field '{field}" in done.stdout + done.stderr
    assert not out.exists()


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium not installed (scripts/install_system.sh)")
def test_ui_shows_the_run_and_its_artifacts(served, tmp_path):
    shots = tmp_path / "shots"
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "ui_screenshot.py"), "--api-url", served.api_url,
                           "--out", str(shots)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    pngs = {p.name: p.stat().st_size for p in shots.glob("*.png")}
    assert set(pngs) == {"flow-run.png", "flow-run-logs.png", "flow-run-parameters.png",
                         *(f"artifact-{key}.png" for key in ("dataset-summary", "dataset-report",
                                                              "generate-dataset-progress", "generate-dataset-parameters"))}
    assert all(size > 20_000 for size in pngs.values()), pngs  # a rendered page, not a blank one


def test_sigterm_stops_serve_and_the_server_it_started(served):
    server_pids = [c.pid for c in psutil.Process(served.process.pid).children(recursive=True)]
    assert server_pids and api_healthy(served.api_url)
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=90) == 0, served.log.read_text()[-3000:]
    assert not api_healthy(served.api_url)
    assert not [pid for pid in server_pids if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
