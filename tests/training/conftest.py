"""A small annotated dataset (synthetic episodes of the schema) shared by the training tests."""
import os
from pathlib import Path

import pytest
import torch

from aim_core.training.config import OptimConfig, TrainConfig
from data_schemas import EpisodeAttrs, EpisodeData
from pipeline.record.store import DatasetStore
from pipeline.record.synthetic import synthetic_episode, synthetic_value_maps

# one intra-op thread, here and in spawned trainers: on 2 shared cores two threads are ~10x slower
os.environ["OMP_NUM_THREADS"] = "1"
torch.set_num_threads(1)

EPISODE_STEPS = 21  # 6 latent frames with the VAE's 4x time compression: 3 windows of 2 + 2 frames


def make_dataset(path: Path, seeds=(0, 2, 4), annotate: bool = True, task: str = "place_shoe",
                 value_params: dict | None = None, expert_noise_rad: float = 0.0) -> Path:
    """`expert_noise_rad`: the episodes say the expert recorded them with this noise (their `recording` attr)."""
    store = DatasetStore.open(path, mode="a")
    for seed in seeds:
        episode = synthetic_episode(task=task, seed=seed, num_steps=EPISODE_STEPS, image_size=(32, 48))
        if expert_noise_rad:
            attrs = {**episode.attrs.model_dump(), "recording": {"expert_noise_rad": expert_noise_rad}}
            episode = EpisodeData(attrs=EpisodeAttrs.model_validate(attrs), arrays=episode.arrays)
        store.write_episode(episode)
        if annotate:
            store.write_value(episode.episode_id, synthetic_value_maps(episode, level=0.25 + 0.1 * seed),
                              params=value_params or {"kind": "synthetic"})
    store.update_index()
    return path


@pytest.fixture(name="make_dataset")
def make_dataset_fixture():
    return make_dataset


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory) -> Path:
    return make_dataset(tmp_path_factory.mktemp("data") / "ds.zarr")


def _tiny_config(dataset: Path, out: Path, **overrides) -> TrainConfig:
    base = dict(dataset=str(dataset), out_dir=str(out), model="aim-tiny", steps=6, batch_size=2, seed=3,
                optim=OptimConfig(lr=1e-3, warmup_steps=2), checkpoint_every=3, log_every=1, val_every=0)
    base.update(overrides)
    return TrainConfig(**base)


@pytest.fixture(scope="session")
def latent_cache(tiny_dataset, tmp_path_factory) -> Path:
    """The latent cache of `tiny_dataset`, built once; runs reuse it (their tiny encoders are
    re-created deterministically, so the cache key matches)."""
    from aim_core.training.data_source import prepare_training_data

    root = tmp_path_factory.mktemp("cache")
    config = _tiny_config(tiny_dataset, root / "run", latent_cache=str(root / "latents"))
    prepare_training_data(config, progress=False)
    return root / "latents"


@pytest.fixture
def tiny_config(tiny_dataset, latent_cache, tmp_path):
    """Factory of small run configs on `tiny_dataset`, sharing its latent cache, in a fresh folder."""
    def make(**overrides) -> TrainConfig:
        return _tiny_config(tiny_dataset, tmp_path / "run", **{"latent_cache": str(latent_cache), **overrides})
    return make


@pytest.fixture
def trained_policy(tiny_config, tmp_path):
    """Factory of real trained policies: a 2-step tiny run of one variant, loaded from its bundle."""
    from aim_core.inference.policy import AIMPolicy
    from aim_core.training.trainer import train_stage1

    def make(variant: str) -> AIMPolicy:
        run = tiny_config(steps=2, checkpoint_every=2, out_dir=str(tmp_path / variant),
                          model_overrides={"variant": variant})
        return AIMPolicy.from_pretrained(train_stage1(run).checkpoint)
    return make


@pytest.fixture
def last_window(tiny_dataset, latent_cache):
    """Factory: `tiny_dataset`'s latent windows read with `reading` (LatentWindowDataset keywords), the index of
    the last one, its episode and the recorded step of its current frame (what its extra inputs are read at)."""
    from dataclasses import replace

    from aim_core.data import LatentWindowDataset
    from aim_core.models.config import aim_tiny_config

    def make(**reading):
        layout = replace(aim_tiny_config().layout, actions_per_frame=4)  # the tiny VAE's 4x time compression
        windows = LatentWindowDataset(tiny_dataset, layout, cache=latent_cache, **reading)
        index = len(windows) - 1
        episode, _ = windows.window(index)
        return windows, index, episode, windows.table[index][1] * windows.grid.frames_per_step
    return make
