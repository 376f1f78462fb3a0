"""Spawned workers (latent cache, evaluation, Stage II rollouts) end with the process that started them."""
from __future__ import annotations

import os
import subprocess
import sys
import time

from aim_core.processes import spawn_pool

# A parent that starts a pool, writes its worker's pid to a file, hands the worker an item that would take
# a minute and is then killed the way a scheduler or the OOM killer kills it: no shutdown runs.
PARENT = """
import os, signal, sys, time
from aim_core.processes import spawn_pool
pool = spawn_pool(1)
with open(sys.argv[1], "w") as out:
    out.write(str(pool.submit(os.getpid).result()))
pool.submit(time.sleep, 60)
time.sleep(0.5)
os.kill(os.getpid(), signal.SIGKILL)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not reaped yet) counts as gone
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_worker_exits_when_its_parent_is_killed(tmp_path):
    pid_file, log = tmp_path / "worker.pid", tmp_path / "parent.log"
    with log.open("w") as stderr:  # not a pipe: an orphan holding it open would block the wait for its end
        parent = subprocess.run([sys.executable, "-c", PARENT, str(pid_file)], stdout=subprocess.DEVNULL,
                                stderr=stderr, timeout=60)
    assert parent.returncode == -9, log.read_text()
    worker = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.2)
    alive = _alive(worker)
    if alive:
        os.kill(worker, 9)
    assert not alive, "the worker outlived its killed parent (still busy with its 60 s item)"


def test_pool_runs_the_initializer_then_the_items(tmp_path):
    with spawn_pool(2, os.chdir, (str(tmp_path),)) as pool:
        assert [pool.submit(os.getcwd).result() for _ in range(4)] == [str(tmp_path)] * 4
        assert pool.submit(os.getpid).result() != os.getpid()
