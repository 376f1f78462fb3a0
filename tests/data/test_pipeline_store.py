"""Contract check: aim_core.data reads a store written by the recorder's own DatasetStore.

aim_core never imports pipeline; this test does, to prove both sides agree on the layout
(complete flag, live value-map versions) and that a re-annotation with other maps invalidates cached
latents, one with the same maps does not.
"""
import numpy as np
import pytest
import torch

from aim_core.data import LatentWindowDataset, PixelWindowDataset, build_latent_cache
from aim_core.models.config import ChunkLayout, aim_tiny_config
from aim_core.training.encoders import run_encoders
from data_schemas import EPISODE_ARRAYS, EpisodeAttrs, EpisodeData
from pipeline.record.store import DatasetStore


def _episode(episode_id: str, num_steps: int, hw=(16, 16)) -> tuple[EpisodeData, dict]:
    from_fixture = {"T": num_steps, "V": 3, "H": hw[0], "W": hw[1], "D": 16, "K": 1, "N": 0, "P": 4}
    arrays = {s.name: np.zeros(s.resolve(from_fixture), s.dtype) for s in EPISODE_ARRAYS if s.required}
    arrays["rgb"][..., 0] = np.arange(num_steps)[:, None, None, None]
    arrays["action"][:] = np.arange(num_steps, dtype=np.float32)[:, None]
    attrs = EpisodeAttrs(episode_id=episode_id, task="place_shoe", setting="easy", seed=0,
                         instruction="place the shoe", control_rate_hz=16.7, physics_rate_hz=250.0,
                         num_steps=num_steps, image_size=hw, object_names=["shoe"], success=True)
    value = {"value/map": np.zeros((num_steps, 3, *hw), np.float16),
             "value/rgb": np.full((num_steps, 3, *hw, 3), 50, np.uint8),
             "value/phase": np.ones(num_steps, np.int8)}
    return EpisodeData(attrs=attrs, arrays=arrays), value


def test_windows_and_cache_from_a_recorder_store(tmp_path):
    store = DatasetStore.open(tmp_path / "ds.zarr", mode="a")
    for episode_id, steps in (("a", 9), ("b", 13)):
        episode, value = _episode(episode_id, steps)
        store.write_episode(episode)
        store.write_value(episode_id, value, params={"sigma": 2.0})
    layout = ChunkLayout(history_frames=2, future_frames=1, actions_per_frame=4)
    pixel = PixelWindowDataset(store.url, layout, temporal_compression=4)
    assert len(pixel) == 2 + 3 and (pixel[0]["value_frames"][0, 20, 4] == 50).all()  # anchors 0..1, 0..2

    encoders = run_encoders(tmp_path / "run", None, aim_tiny_config(), ["place the shoe"])
    assert build_latent_cache(store.url, encoders.vae, encoders.text, progress=False).built == ["a", "b"]
    latent = LatentWindowDataset(store.url, layout)
    assert len(latent) == 5 and latent[0]["value_latents"].shape == (4, 1, 2, 2)
    before = latent[2]["value_latents"]       # window 2 is episode b's first

    _, same_value = _episode("a", 9)          # re-annotated with other params but identical maps (new version):
    store.write_value("a", same_value, params={"sigma": 5.0})    # the latents still encode them, nothing re-encoded
    assert store.live_value_version("a") == "v0002" and len(LatentWindowDataset(store.url, layout)) == 5
    unchanged = build_latent_cache(store.url, encoders.vae, encoders.text, progress=False)
    assert unchanged.built == [] and unchanged.reused == ["a", "b"]

    _, new_value = _episode("b", 13)
    new_value["value/rgb"][:] = 200
    store.write_value("b", new_value, params={"sigma": 3.0})
    with pytest.raises(FileNotFoundError, match="re-annotated"):   # b's value latents are stale now
        LatentWindowDataset(store.url, layout)
    reloaded = run_encoders(tmp_path / "run", None, aim_tiny_config(), ["place the shoe"])  # same saved encoders
    again = build_latent_cache(store.url, reloaded.vae, reloaded.text, progress=False)
    assert again.built == ["b"] and again.reused == ["a"]
    assert not torch.equal(LatentWindowDataset(store.url, layout)[2]["value_latents"], before)
