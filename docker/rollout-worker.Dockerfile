# CPU rollout worker: SAPIEN renders on Mesa lavapipe (Vulkan on the CPU). On a GPU host run it
# with the NVIDIA container toolkit (NVIDIA_DRIVER_CAPABILITIES includes "graphics"): the NVIDIA
# Vulkan ICD below is then found first and lavapipe stays as the fallback.
# The same image runs the Prefect server, the Dask scheduler and aim-serve (docker/compose.yaml).
# Build from the repository root:  docker build -f docker/rollout-worker.Dockerfile -t aim-rollout .
FROM debian:bookworm-slim

ENV DEBIAN_FRONTEND=noninteractive PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
        ca-certificates python3 python3-venv python3-dev gcc g++ libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*
# Vulkan loader + Mesa >= 24 lavapipe (bookworm-backports) + ffmpeg: the project's own installer
COPY scripts/install_system.sh /opt/aim/scripts/install_system.sh
RUN AIM_TEST_TOOLS=0 bash /opt/aim/scripts/install_system.sh && rm -rf /var/lib/apt/lists/*
COPY docker/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json
ENV NVIDIA_DRIVER_CAPABILITIES=all

WORKDIR /opt/aim
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# CPU torch first and pinned (an unpinned resolve pulls several GB of CUDA wheels)
RUN pip install -q "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml ./
COPY data_schemas ./data_schemas
COPY pipeline ./pipeline
COPY aim_core ./aim_core
COPY flows ./flows
RUN pip install -q -e . && python -c "import sapien, mplib, zarr, prefect, distributed, flows.registry"
# `dask worker` reads /etc/dask: the nanny must not start workers with glibc's slow malloc settings
COPY flows/dask-workers.yaml /etc/dask/aim-workers.yaml

# One worker process per container, single-threaded: scale with `--scale rollout-worker=N`.
# LP_NUM_THREADS bounds lavapipe's render threads; give each container that many CPUs.
ENV LP_NUM_THREADS=2 OMP_NUM_THREADS=2 AIM_DATASET=/data/aim-dataset.zarr
# processes run as an unprivileged user that owns the dataset volume (named volumes copy this ownership)
RUN useradd --create-home --uid 1000 aim && mkdir -p /data && chown aim:aim /data
USER aim
VOLUME /data
CMD ["dask", "worker", "tcp://dask-scheduler:8786", "--nworkers", "1", "--nthreads", "1", "--name", "rollout"]
