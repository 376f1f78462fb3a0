"""Prefect on PostgreSQL: a real local PostgreSQL cluster, a Prefect server using it, and
generate-dataset run end to end against that server (its runs land in Postgres tables)."""
from __future__ import annotations

import asyncio
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from flows.prefect_server import start_local_server


def _postgres_bin() -> Path | None:
    found = shutil.which("initdb")
    if found:  # Debian links only some tools into PATH: use the directory of the real binary
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    """A throw-away PostgreSQL cluster on 127.0.0.1 with a database `prefect`; its asyncpg URL."""
    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found: apt-get install postgresql "
                    "(scripts/install_system.sh installs it)")
    data = Path(tempfile.mkdtemp(prefix="aim-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: run it as the postgres system user
        user = pwd.getpwnam("postgres")
        os.chown(data, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()

    def pg(tool: str, *args: str) -> None:
        subprocess.run([*as_user, str(bin_dir / tool), *args], check=True, capture_output=True, timeout=120)

    pg("initdb", "-D", str(data / "db"), "-U", "prefect", "--auth=trust", "-E", "UTF8")
    pg("pg_ctl", "-D", str(data / "db"), "-l", str(data / "postgres.log"), "-w", "-t", "120",
       "-o", f"-p {port} -k {data} -c listen_addresses=127.0.0.1", "start")
    try:
        pg("createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "prefect", "prefect")
        yield f"postgresql+asyncpg://prefect@127.0.0.1:{port}/prefect"
    finally:
        pg("pg_ctl", "-D", str(data / "db"), "-m", "fast", "-w", "stop")
        shutil.rmtree(data, ignore_errors=True)


async def _completed_runs(url: str, flow_name: str) -> list[str]:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        rows = await conn.fetch("SELECT fr.state_type FROM flow_run fr JOIN flow f ON f.id = fr.flow_id "
                                "WHERE f.name = $1", flow_name)
    finally:
        await conn.close()
    return [r["state_type"] for r in rows]


def test_generate_dataset_on_a_prefect_server_backed_by_postgres(postgres_url, tmp_path, on_cluster):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.generate_dataset import generate_dataset
    from pipeline.record.store import DatasetStore

    api_url = f"http://127.0.0.1:{_free_port()}/api"
    env = {"PREFECT_API_DATABASE_CONNECTION_URL": postgres_url, "PREFECT_HOME": str(tmp_path / "home")}
    with start_local_server(api_url, env=env, log_path=tmp_path / "server.log", timeout_s=300) as server:
        with temporary_settings({PREFECT_API_URL: server.api_url}):
            summary = generate_dataset(**{**on_cluster, "tasks": on_cluster["tasks"][:1], "episodes_per_task": 1,
                                          "output": str(tmp_path / "pg.zarr")})
    assert summary["written"] == [f"{on_cluster['tasks'][0]}-easy-000000"]
    assert [r["annotated"] for r in DatasetStore.open(tmp_path / "pg.zarr").read_index()] == [True]
    assert asyncio.run(_completed_runs(postgres_url, "generate-dataset")) == ["COMPLETED"]
