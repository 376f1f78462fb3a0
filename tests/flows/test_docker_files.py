"""docker/ stays consistent with the code: every file an image copies, every command and entry
point the images and the compose file run, and every flow they serve exist here."""
from __future__ import annotations

import glob
import importlib.util
import json
import re
import shlex
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from flows.registry import FLOWS

REPO = Path(__file__).resolve().parents[2]
DOCKER = REPO / "docker"
BIN = Path(sys.executable).parent
SCRIPTS = set(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"])
COMPOSE = yaml.safe_load((DOCKER / "compose.yaml").read_text())
DOCKERFILES = sorted(DOCKER.glob("*.Dockerfile"))


def _instructions(path: Path) -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", path.read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def _check_command(argv: list[str]) -> None:
    """The program exists in this installation, and aim-serve only names registered flows."""
    program = argv[0]
    if program in ("python", "python3"):
        return
    assert program in SCRIPTS or (BIN / program).exists(), f"{program!r}: no console script or installed command"
    if program == "aim-serve" and "--flows" in argv:
        names = argv[argv.index("--flows") + 1:]
        assert names and set(names) <= set(FLOWS), f"aim-serve --flows {names}: registered flows are {list(FLOWS)}"


def test_there_is_a_rollout_worker_and_a_trainer_image():
    assert {p.name for p in DOCKERFILES} == {"rollout-worker.Dockerfile", "trainer.Dockerfile"}


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_sources_commands_and_imports_exist(dockerfile):
    instructions = _instructions(dockerfile)
    for op, arg in instructions:
        if op == "COPY":
            *sources, _dest = shlex.split(arg)
            for source in sources:
                assert glob.glob(str(REPO / source)), f"{dockerfile.name}: COPY {source} matches nothing"
        if op == "CMD":
            _check_command(json.loads(arg))
        for module in re.findall(r"python -c \"import ([^\"]+)\"", arg):
            for name in (m.strip() for m in module.split(",")):
                assert importlib.util.find_spec(name) is not None, f"{dockerfile.name} imports missing {name}"


def test_rollout_workers_get_the_dask_worker_settings():
    """`dask worker` in the image must read flows/dask-workers.yaml (Dask reads /etc/dask)."""
    copies = [shlex.split(arg) for op, arg in _instructions(DOCKER / "rollout-worker.Dockerfile") if op == "COPY"]
    assert any(src == "flows/dask-workers.yaml" and dest.startswith("/etc/dask/") and dest.endswith(".yaml")
               for src, dest in (c for c in copies if len(c) == 2))


def test_compose_builds_existing_images_and_runs_existing_commands():
    services = COMPOSE["services"]
    assert {"postgres", "prefect-server", "dask-scheduler", "rollout-worker", "serve", "trainer"} <= set(services)
    for name, service in services.items():
        build = service.get("build")
        if build:
            assert (DOCKER / build["context"] / build["dockerfile"]).exists(), name
        if "command" in service:
            _check_command(service["command"])


def test_compose_wiring_points_at_its_own_services():
    services = COMPOSE["services"]
    server = services["prefect-server"]["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"]
    assert server.startswith("postgresql+asyncpg://") and urlparse(server).hostname == "postgres"
    scheduler_port = services["dask-scheduler"]["command"][services["dask-scheduler"]["command"].index("--port") + 1]
    for name in ("serve", "rollout-worker", "trainer"):
        env = services[name]["environment"]
        assert urlparse(env["PREFECT_API_URL"]).hostname == "prefect-server", name
        dask = urlparse(env["AIM_DASK_ADDRESS"])
        assert (dask.hostname, str(dask.port)) == ("dask-scheduler", scheduler_port), name
        assert any(v.endswith(":/data") for v in services[name]["volumes"]), f"{name} lacks the dataset volume"
        assert env["AIM_DATASET"].startswith("/data/"), name
    worker = services["rollout-worker"]["command"]
    assert worker[:3] == ["dask", "worker", f"tcp://dask-scheduler:{scheduler_port}"]


def test_docker_readme_documents_every_service():
    readme = (DOCKER / "README.md").read_text()
    for name in COMPOSE["services"]:
        assert name in readme, f"docker/README.md does not mention service {name!r}"


def test_nothing_is_exposed_beyond_localhost_or_runs_as_root_by_default():
    """Unauthenticated services publish on 127.0.0.1 unless AIM_BIND_ADDRESS says otherwise, credentials come
    from the uncommitted docker/.env, and every image switches to an unprivileged user."""
    for name, service in COMPOSE["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("${AIM_BIND_ADDRESS:-127.0.0.1}:"), f"{name} publishes {port} on all interfaces"
    text = (DOCKER / "compose.yaml").read_text()
    assert "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?" in text and ":prefect@" not in text
    assert "/docker/.env" in (REPO / ".gitignore").read_text().splitlines()
    assert "POSTGRES_PASSWORD=\n" in (DOCKER / "env.example").read_text()
    for dockerfile in DOCKERFILES:
        users = [arg for op, arg in _instructions(dockerfile) if op == "USER"]
        assert users and users[-1] not in ("root", "0"), f"{dockerfile.name} runs as root"
