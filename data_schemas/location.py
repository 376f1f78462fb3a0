"""Where the project's default local dataset lives (one definition for every console script).

`AIM_DATASET` overrides it, so a person or a container can point all tools at another store
(local path or fsspec URL) without repeating `--dataset` on every command.
"""
from __future__ import annotations

import os

DEFAULT_DATASET_PATH = "data/aim-dataset.zarr"
DATASET_ENV = "AIM_DATASET"


def default_dataset() -> str:
    """The dataset used when a command is given none: $AIM_DATASET, else DEFAULT_DATASET_PATH."""
    return os.environ.get(DATASET_ENV) or DEFAULT_DATASET_PATH
