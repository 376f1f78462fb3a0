"""A Prefect API server for this machine: reuse the one that answers, or start a local one.

Why: `aim-serve` must work on a fresh machine with nothing running (embedded SQLite server on
127.0.0.1) and also attach to a shared server (e.g. on PostgreSQL, docker/compose.yaml) when
PREFECT_API_URL points at one. A server we start runs in its own process group so that
stopping it stops all of it, whatever signal the parent received.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import httpx

DEFAULT_API_URL = "http://127.0.0.1:4200/api"
LOCAL_HOSTS = ("127.0.0.1", "localhost")
LIVE_LOGS = {"PREFECT_SERVER_LOGS_STREAM_OUT_ENABLED": "true", "PREFECT_SERVER_LOGS_STREAM_PUBLISHING_ENABLED": "true"}
"""Server settings that let `prefect deployment run ... --watch` (and other log subscribers) receive a
run's log lines as they are written; Prefect 3.8 leaves both off, and --watch then prints only events.
A server started here turns them on unless the environment says otherwise."""


def api_healthy(api_url: str, timeout_s: float = 2.0) -> bool:
    try:
        return httpx.get(f"{api_url.rstrip('/')}/health", timeout=timeout_s).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass
class PrefectServer:
    """A server at `api_url`; `process` is set only when this object started it (and so stops it)."""

    api_url: str
    process: subprocess.Popen | None = None
    log_path: Path | None = None

    @property
    def started_here(self) -> bool:
        return self.process is not None

    @property
    def ui_url(self) -> str:
        return self.api_url.rstrip("/").removesuffix("/api")

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop the server process group this object started (SIGTERM, then SIGKILL); else nothing."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self) -> "PrefectServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _log_tail(path: Path | None, lines: int = 30) -> str:
    if path is None or not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def start_local_server(api_url: str = DEFAULT_API_URL, env: dict[str, str] | None = None,
                       log_path: Path | None = None, timeout_s: float = 180.0) -> PrefectServer:
    """Start `prefect server start` for `api_url` (a local address) and wait until it is healthy.

    `env` adds settings for the server, e.g. PREFECT_API_DATABASE_CONNECTION_URL for PostgreSQL;
    without it the server uses its embedded SQLite database under PREFECT_HOME.
    """
    parsed = urlparse(api_url)
    if parsed.hostname not in LOCAL_HOSTS or parsed.port is None:
        raise ValueError(f"can only start a Prefect server on this machine with an explicit port, "
                         f"e.g. {DEFAULT_API_URL}; got PREFECT_API_URL={api_url}")
    log_path = log_path or Path(os.environ.get("PREFECT_HOME", Path.home() / ".prefect")) / "aim-server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", parsed.hostname,
             "--port", str(parsed.port)],
            env={**LIVE_LOGS, **os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", **(env or {})},
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    server = PrefectServer(api_url, process, log_path)
    deadline = time.monotonic() + timeout_s
    try:
        while not api_healthy(api_url):
            if process.poll() is not None:
                raise RuntimeError(f"prefect server exited with code {process.returncode}; its log "
                                   f"({log_path}) ends with:\n{_log_tail(log_path)}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"prefect server at {api_url} not healthy after {timeout_s:.0f} s; "
                                   f"log {log_path}:\n{_log_tail(log_path)}")
            time.sleep(0.5)
    except BaseException:  # interrupted or failed while starting: leave nothing behind
        server.stop()
        raise
    return server


def ensure_server(api_url: str = DEFAULT_API_URL, **start_kwargs) -> PrefectServer:
    """The server answering at `api_url`, or a local one started for it."""
    if api_healthy(api_url):
        return PrefectServer(api_url)
    if urlparse(api_url).hostname not in LOCAL_HOSTS:
        raise RuntimeError(f"no Prefect server answers at {api_url}; start it there, "
                           "or unset PREFECT_API_URL to use a local one")
    return start_local_server(api_url, **start_kwargs)
