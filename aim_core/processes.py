"""Worker processes that end with the process that started them.

The latent cache, closed-loop evaluation and Stage II rollouts run CPU work in spawned
`ProcessPoolExecutor` workers. When their parent is killed by a signal (SIGTERM from a job
scheduler or `kill`, SIGKILL, the OOM killer) its `shutdown()` never runs, and the workers live on
as orphans: one busy with a long item (a ~35 s episode encode, a simulated episode) finishes it,
and each keeps a core and its memory (seen on the 2-core VM: two cache workers left running beside
the next job). Here every worker watches its parent and exits as soon as it is gone.
"""
from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

PARENT_POLL_S = 0.5
"""How often a worker checks that its parent is alive (a check is one `getppid` call)."""


def spawn_pool(workers: int, initializer: Callable[..., None] | None = None,
               initargs: Sequence[Any] = ()) -> ProcessPoolExecutor:
    """A pool of `workers` spawned processes (no forked simulator or torch state) that run
    `initializer(*initargs)` first, as `ProcessPoolExecutor`'s do, and exit when this process dies."""
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker,
                               initargs=(os.getpid(), initializer, tuple(initargs)))


def _start_worker(parent_pid: int, initializer: Callable[..., None] | None, initargs: tuple) -> None:
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), name="exit-with-parent", daemon=True).start()
    if initializer is not None:
        initializer(*initargs)


def _exit_with_parent(parent_pid: int) -> None:
    """Exit the worker once it has been re-parented, i.e. its parent has died (whatever it was doing: an
    orphan's results have nowhere to go)."""
    while os.getppid() == parent_pid:
        time.sleep(PARENT_POLL_S)
    os._exit(1)
