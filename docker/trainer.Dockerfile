# GPU trainer: CUDA PyTorch + the project. It serves the training/evaluation deployments
# (aim-serve --flows ...) against the shared Prefect server; runs land on this GPU host.
# Build from the repository root:  docker build -f docker/trainer.Dockerfile -t aim-trainer .
FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04

ENV DEBIAN_FRONTEND=noninteractive PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
        ca-certificates python3 python3-venv python3-dev gcc g++ libgl1 libglib2.0-0 \
        libvulkan1 mesa-vulkan-drivers ffmpeg \
    && rm -rf /var/lib/apt/lists/*
# closed-loop evaluation renders with SAPIEN on the GPU through the NVIDIA Vulkan ICD
COPY docker/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json
ENV NVIDIA_DRIVER_CAPABILITIES=all

WORKDIR /opt/aim
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# the default PyPI wheel of torch 2.13.0 is the CUDA build
RUN pip install -q "torch==2.13.0"
COPY pyproject.toml ./
COPY data_schemas ./data_schemas
COPY pipeline ./pipeline
COPY aim_core ./aim_core
COPY flows ./flows
RUN pip install -q -e . && python -c "import torch, diffusers, prefect, flows.registry"

ENV AIM_DATASET=/data/aim-dataset.zarr
# processes run as an unprivileged user that owns the dataset volume (named volumes copy this ownership)
RUN useradd --create-home --uid 1000 aim && mkdir -p /data && chown aim:aim /data
USER aim
VOLUME /data
CMD ["aim-serve", "--flows", "train-stage1", "evaluate"]
