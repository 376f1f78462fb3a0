"""benchmarks/device_pack.py: a store packed with blank pixels still opens, verifies and trains from its latent
cache, and a read of a blanked array fails loudly instead of returning zeros."""
import sys
import tarfile

import pytest

sys.path.insert(0, "benchmarks")
from device_pack import PIXEL_ARRAYS, add_store, pack_inputs  # noqa: E402

from aim_core.data import LatentWindowDataset  # noqa: E402
from aim_core.data.episodes import complete_episodes, open_dataset  # noqa: E402
from aim_core.training.data_source import prepare_training_data, window_layout  # noqa: E402
from data_schemas.integrity import IntegrityError  # noqa: E402


def test_packed_store_trains_from_its_cache_and_refuses_blank_pixels(tiny_dataset, latent_cache, tiny_config, tmp_path):
    with tarfile.open(tmp_path / "pack.tar.xz", "w:xz") as tar:
        files, blanked = add_store(tar, tiny_dataset, "data/ds.zarr", PIXEL_ARRAYS)
    assert files > 0 and blanked > 0
    with tarfile.open(tmp_path / "pack.tar.xz") as tar:
        tar.extractall(tmp_path / "there", filter="data")
    packed = tmp_path / "there/data/ds.zarr"
    original = complete_episodes(open_dataset(str(tiny_dataset)))
    copies = complete_episodes(open_dataset(str(packed)))  # sizes as sealed: the manifest check passes
    assert [e.episode_id for e in copies] == [e.episode_id for e in original]
    for episode, copy in zip(original, copies):
        assert (copy.read("action") == episode.read("action")).all()
        assert copy.value_fingerprint("value/rgb") == episode.value_fingerprint("value/rgb")  # cache stays valid
        with pytest.raises(IntegrityError, match="rgb"):
            copy.read("rgb")
    config = tiny_config()
    prepare_training_data(config, progress=False)  # the run's encoders; the shared cache is current
    layout = window_layout(config)
    here = LatentWindowDataset(str(tiny_dataset), layout, cache=str(latent_cache))
    there = LatentWindowDataset(str(packed), layout, cache=str(latent_cache))
    assert len(there) == len(here) > 0
    for i in (0, len(here) - 1):
        assert all((there[i][k] == here[i][k]).all() for k in here[i])


def test_a_missing_input_names_the_run_that_makes_it(tmp_path):
    with pytest.raises(SystemExit, match="train_config.json is missing: run learning.py --profile stack "
                                         "--expert-noise 0.05 first"):
        pack_inputs(tmp_path / "run", tmp_path / "data", "stack", tmp_path / "inputs.tar.xz", expert_noise_rad=0.05)
    assert not (tmp_path / "inputs.tar.xz").exists()
