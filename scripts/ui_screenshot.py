#!/usr/bin/env python
"""Browser check of the Prefect UI: headless Chromium screenshots of a flow run's pages.

Why: artifacts are only useful if a person sees them; this opens the real UI (served by the
Prefect server it is pointed at; it starts nothing itself) on the latest run of a flow and saves
PNGs of the run page (task graph), its Logs and Parameters tabs, every artifact of the
run on a page of its own (reports taller), and with --deployment the deployment's run form (where
the parameter descriptions show). Screenshots go to --out (keep them out of git).

    python scripts/ui_screenshot.py --api-url http://127.0.0.1:4200/api --flow train-stage1 --out /tmp/aim-ui
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars")

RUN_TABS = ("Logs", "Parameters")
"""Tabs of the run page captured besides its default view (graph and logs). `?tab=Artifacts` falls back to
the Logs tab in Prefect 3.8's UI: every artifact gets a page of its own instead."""
REPORT_HEIGHT = 2600
"""Window height for markdown artifacts (reports with pictures run long)."""


def find_chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    raise SystemExit("no Chromium found: apt-get install chromium (scripts/install_system.sh does)")


def latest_flow_run(api: str, flow_name: str) -> dict:
    body = {"flows": {"name": {"any_": [flow_name]}}, "sort": "START_TIME_DESC", "limit": 1}
    runs = httpx.post(f"{api}/flow_runs/filter", json=body, timeout=30).raise_for_status().json()
    if not runs:
        raise SystemExit(f"no run of flow {flow_name!r} at {api}: start one first")
    return runs[0]


def run_artifacts(api: str, flow_run_id: str) -> list[dict]:
    """The keyed artifacts of a run and of its task runs, newest version of each key."""
    body = {"artifacts": {"flow_run_id": {"any_": [flow_run_id]}}, "sort": "CREATED_DESC", "limit": 200}
    found = httpx.post(f"{api}/artifacts/filter", json=body, timeout=30).raise_for_status().json()
    latest: dict[str, dict] = {}
    for artifact in found:
        if artifact.get("key"):
            latest.setdefault(artifact["key"], artifact)
    return list(latest.values())


def deployment_id(api: str, name: str) -> str:
    flow, _, deployment = name.partition("/")
    return httpx.get(f"{api}/deployments/name/{flow}/{deployment or flow}", timeout=30).raise_for_status().json()["id"]


def screenshot(chromium: str, url: str, path: Path, size: tuple[int, int], wait_ms: int) -> Path:
    with tempfile.TemporaryDirectory(prefix="aim-chromium-") as profile:
        cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}",
               f"--virtual-time-budget={wait_ms}", f"--screenshot={path}", url]
        subprocess.run(cmd, check=True, timeout=180, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not path.exists() or path.stat().st_size == 0:
        raise RuntimeError(f"Chromium wrote no screenshot of {url}")
    return path


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api-url", default="http://127.0.0.1:4200/api")
    parser.add_argument("--flow", default="generate-dataset", help="flow whose latest run is shown")
    parser.add_argument("--flow-run-id", default=None, help="this run instead of the latest")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "aim-ui-screenshots",
                        help="folder for the PNGs (default outside the repository: keep them out of git)")
    parser.add_argument("--size", type=int, nargs=2, default=(1600, 1100), metavar=("W", "H"))
    parser.add_argument("--wait-ms", type=int, default=20000, help="page time for the UI to load its data")
    parser.add_argument("--deployment", default=None,
                        help="also capture this deployment's run form (FLOW/DEPLOYMENT; parameter descriptions)")
    args = parser.parse_args(argv)

    api = args.api_url.rstrip("/")
    ui = api.removesuffix("/api")
    chromium = find_chromium()
    run_id = args.flow_run_id or latest_flow_run(api, args.flow)["id"]
    args.out.mkdir(parents=True, exist_ok=True)
    size = tuple(args.size)
    pages = {"flow-run": (f"{ui}/runs/flow-run/{run_id}", size)}
    for tab in RUN_TABS:
        pages[f"flow-run-{tab.lower()}"] = (f"{ui}/runs/flow-run/{run_id}?tab={tab}", size)
    for artifact in run_artifacts(api, run_id):
        tall = (size[0], max(size[1], REPORT_HEIGHT)) if artifact["type"] == "markdown" else size
        pages[f"artifact-{artifact['key']}"] = (f"{ui}/artifacts/artifact/{artifact['id']}", tall)
    if args.deployment:
        pages["deployment-run-form"] = (f"{ui}/deployments/deployment/{deployment_id(api, args.deployment)}/run",
                                        (size[0], max(size[1], REPORT_HEIGHT)))
    shots = [screenshot(chromium, url, args.out / f"{name}.png", shape, args.wait_ms)
             for name, (url, shape) in pages.items()]
    for shot in shots:
        print(shot)
    return shots


if __name__ == "__main__":
    main(sys.argv[1:])
