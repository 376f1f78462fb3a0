"""Where a flow's heavy tasks run: a local Dask cluster sized to the machine, or an existing one.

Why a function of its own: rendering on lavapipe spawns one thread per core in every process,
so N worker processes on an N-core machine must each be told to use N/workers threads, or
they oversubscribe the CPU and two workers run slower than one; and their nannies must start
them with the malloc settings of `dask-workers.yaml` (loaded below as a Dask default), or every
rollout runs ~6x slower. Every flow that scales out (generate-dataset now, evaluate later) gets
its runner here.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

import dask.config
import yaml
from prefect_dask import DaskTaskRunner

LOCAL_HOST = "127.0.0.1"
"""Interface a local cluster binds to; a cluster meant for other machines is started apart (docker/)."""
THREAD_ENV_VARS = ("LP_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
"""Thread pools in a rollout worker: lavapipe (Mesa), OpenMP/BLAS (numpy, open3d, torch)."""
WORKER_DASK_CONFIG = Path(__file__).with_name("dask-workers.yaml")
"""Dask settings every rollout worker needs (why: see the file); docker/ installs the same file."""

dask.config.update_defaults(yaml.safe_load(WORKER_DASK_CONFIG.read_text()))


def machine_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def worker_env(workers: int, cores: int | None = None) -> dict[str, str]:
    """Environment of each local worker process: an equal share of the cores for every thread pool."""
    share = max(1, (cores or machine_cores()) // max(1, workers))
    return {name: str(share) for name in THREAD_ENV_VARS}


def dask_task_runner(dask_address: str = "", workers: int = 0) -> DaskTaskRunner:
    """A runner on the scheduler at `dask_address`, or (empty) on a temporary local cluster.

    The local cluster has `workers` single-threaded worker processes (0: one per core).
    """
    if dask_address:
        if workers:
            raise ValueError("workers applies to the local cluster only; "
                             "size a remote cluster where it is started (dask worker processes)")
        return DaskTaskRunner(address=dask_address)
    return DaskTaskRunner(cluster_class="distributed.LocalCluster", cluster_kwargs=local_cluster_kwargs(workers))


def local_cluster_kwargs(workers: int = 0, cores: int | None = None) -> dict:
    """`distributed.LocalCluster` arguments: `workers` single-threaded processes (0: one per core)
    whose thread pools share `cores` (default: the machine's). Scheduler, workers and dashboard listen on
    the loopback interface only: the dashboard is unauthenticated and the cluster runs arbitrary code."""
    n = workers or machine_cores()
    return {"n_workers": n, "threads_per_worker": 1, "processes": True,
            "host": LOCAL_HOST, "dashboard_address": f"{LOCAL_HOST}:0", "env": worker_env(n, cores), "silence_logs": logging.ERROR}


def runner_workers(runner: DaskTaskRunner) -> int:
    """Number of workers the started runner's cluster has now (at least 1)."""
    return max(1, len(runner.client.scheduler_info().get("workers", {})))
