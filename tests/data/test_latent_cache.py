"""Latent cache: built once, reused, rebuilt on a new VAE or new value maps; latent windows aligned."""
import numpy as np
import pytest
import torch
import zarr
from transformers import UMT5EncoderModel

from aim_core.data import LatentCacheConfig, LatentWindowDataset, build_latent_cache, collate_windows, raw_latent_stats
from aim_core.data.latent_cache import episode_canvases
from aim_core.data.episodes import complete_episodes, open_dataset
from aim_core.models.batch import AIMBatch
from aim_core.models.config import ChunkLayout, aim_tiny_config
from aim_core.models.text import TextEncoder, instruction_key, tiny_umt5_config, train_unigram_tokenizer
from aim_core.models.vae import VideoVAE, tiny_wan_vae_config
from data_schemas import ARM_JOINT_DIMS, EPISODES_GROUP

Z = 4
INSTRUCTIONS = ["pick up the shoe", "stack the blocks"]


@pytest.fixture(scope="module")
def vae():
    return VideoVAE.from_config(tiny_wan_vae_config(z_dim=Z), seed=0)


@pytest.fixture(scope="module")
def text_encoder():
    tok = train_unigram_tokenizer(INSTRUCTIONS, vocab_size=128)
    torch.manual_seed(0)
    return TextEncoder(tok, UMT5EncoderModel(tiny_umt5_config(len(tok), d_model=16)), max_length=32)


@pytest.fixture
def store(make_store, add_episode):
    path = make_store({"ep-a": 13}, hw=(16, 16))
    add_episode(path, "ep-b", 9, hw=(16, 16), instruction=INSTRUCTIONS[1])
    add_episode(path, "ep-c", 9, hw=(16, 16), annotated=False)
    return path


def _reannotate(path, episode_id):
    """A second annotation version, made live the way the store does it (new group, then `live`)."""
    group = zarr.open_group(str(path), mode="r+")[f"{EPISODES_GROUP}/{episode_id}/value"]
    for name in ("map", "rgb", "phase"):
        old = group[f"v0001/{name}"]
        new = group.create_array(f"v0002/{name}", shape=old.shape, dtype=old.dtype, chunks=old.chunks)
        new[...] = 255 - old[...] if name == "rgb" else old[...]
    group.update_attributes({"live": "v0002"})


def test_cache_built_once_reused_and_rebuilt(store, vae, text_encoder):
    report = build_latent_cache(store, vae, text_encoder, progress=False)
    assert report.built == ["ep-a", "ep-b"] and report.reused == [] and list(report.skipped) == ["ep-c"]
    assert report.texts_built == 2 and report.stats is not None
    root = zarr.open_group(str(store), mode="r")
    lat = root[f"{EPISODES_GROUP}/ep-a/latents"]
    assert lat["rgb"].shape == lat["value"].shape == (4, Z, 2, 2) and lat["rgb"].dtype == np.float16
    assert lat.attrs["complete"] is True and lat.attrs["vae_digest"] == vae.digest()
    text = root[f"text/{instruction_key(INSTRUCTIONS[1])}"]
    assert torch.allclose(torch.from_numpy(text[...]), text_encoder.encode([INSTRUCTIONS[1]])[0], atol=1e-5)

    again = build_latent_cache(store, vae, text_encoder, progress=False)
    assert again.built == [] and again.reused == ["ep-a", "ep-b"] and again.texts_built == 0

    _reannotate(store, "ep-b")
    after_annotation = build_latent_cache(store, vae, text_encoder, progress=False)
    assert after_annotation.built == ["ep-b"] and after_annotation.reused == ["ep-a"]

    other = VideoVAE.from_config(tiny_wan_vae_config(z_dim=Z), seed=1)
    rebuilt = build_latent_cache(store, other, text_encoder, progress=False)
    assert rebuilt.built == ["ep-a", "ep-b"]
    lat = zarr.open_group(str(store), mode="r")[f"{EPISODES_GROUP}/ep-a/latents"]
    assert lat.attrs["vae_digest"] == other.digest() != vae.digest()


def test_cached_latents_are_the_causal_encoding_of_the_canvas_video(store, vae, text_encoder):
    build_latent_cache(store, vae, text_encoder, progress=False)
    episode = next(e for e in complete_episodes(open_dataset(store)) if e.episode_id == "ep-a")
    cached = zarr.open_group(str(store), mode="r")[f"{EPISODES_GROUP}/ep-a/latents/value"][...]
    # latent j summarises recorded frames up to 4j: encoding only frames 0..4 gives the first two
    direct = vae.encode(torch.from_numpy(episode_canvases(episode, "value/rgb", slice(0, 5), None))[None])[0]
    assert torch.allclose(direct.transpose(0, 1), torch.from_numpy(cached[:2]).float(), atol=1e-2)


def test_latent_windows_are_aligned_and_collate_to_an_aim_batch(store, vae, text_encoder, tmp_path):
    cache = tmp_path / "cache.zarr"
    build_latent_cache(store, vae, text_encoder, LatentCacheConfig(frame_stride=1), cache=cache, progress=False)
    assert "latents" not in zarr.open_group(str(store), mode="r")[f"{EPISODES_GROUP}/ep-a"]  # dataset untouched
    for episode_id, n in (("ep-a", 4), ("ep-b", 3)):   # code each latent step with its index
        group = zarr.open_group(str(cache), mode="r+")[f"{EPISODES_GROUP}/{episode_id}/latents"]
        group["rgb"][...] = np.broadcast_to(np.arange(n, dtype=np.float16)[:, None, None, None], group["rgb"].shape)
        group["value"][...] = group["rgb"][...] + np.float16(0.5)
    layout = ChunkLayout(history_frames=2, future_frames=1, actions_per_frame=4)
    ds = LatentWindowDataset(store, layout, cache=cache, preload=True)
    assert len(ds) == 3 + 2      # ep-a: 4 latent steps -> anchors 0, 1, 2; ep-b: 3 -> 0, 1; ep-c unannotated
    assert ds.history_groups() == [[0, 3], [1, 2, 4]]  # anchor 0: the first frame alone, no past action
    for i in range(len(ds)):
        episode, w = ds.window(i)
        item, a = ds[i], w.anchor
        h = min(a + 1, 2)
        assert item["obs_latents"].shape == (Z, h, 2, 2) and item["rgb_latents"].shape == (Z, 1, 2, 2)
        assert item["obs_latents"][0, :, 0, 0].tolist() == list(range(a - h + 1, a + 1))
        assert item["rgb_latents"][0, :, 0, 0].tolist() == [a + 1]
        assert item["value_latents"][0, :, 0, 0].tolist() == [a + 1.5]
        past = ds.codec.denormalize(item["past_actions"])[:, 0]
        future = ds.codec.denormalize(item["actions"])[:, 0]
        assert torch.allclose(past, torch.arange(4 * (a - h + 1), 4 * a, dtype=torch.float32), atol=1e-3)
        assert torch.allclose(future, torch.arange(4 * a, 4 * (a + 1), dtype=torch.float32), atol=1e-3)
    config = aim_tiny_config(latent_channels=Z, text_dim=16, layout=layout)
    lengths = {t.shape[0] for t in text_encoder.encode(INSTRUCTIONS)}
    for group, history in zip(ds.history_groups(), (1, 2)):
        batch = AIMBatch.coerce(collate_windows([ds[i] for i in group]))
        assert batch.text_embeds.shape == (len(group), max(lengths), 16)
        assert batch.obs_latents.shape[2] == history and batch.past_actions.shape[1] == 4 * (history - 1)
        batch.validate(config)
    with pytest.raises(ValueError, match="history lengths \\[1, 2\\]"):
        collate_windows([ds[0], ds[1]])
    batch.obs_latents = torch.cat([batch.obs_latents, batch.obs_latents[:, :, :1]], dim=2)  # 3 > F_h frames
    with pytest.raises(ValueError, match="allows 1..2"):
        batch.validate(config)
    with pytest.raises(ValueError, match="actions_per_frame"):
        LatentWindowDataset(store, ChunkLayout(history_frames=2, future_frames=1, actions_per_frame=2), cache=cache)
    # short_history: every window past an episode's first frame is also trained from its current frame alone
    short = LatentWindowDataset(store, layout, cache=cache, preload=True, short_history=True)
    one_frame, two_frames = short.history_groups()
    assert (len(one_frame), len(two_frames)) == (2 + 3, 3)
    assert sorted(short.window(i)[1].anchor for i in one_frame) == [0, 0, 1, 1, 2]
    for i in one_frame:
        item, a = short[i], short.window(i)[1].anchor
        assert item["obs_latents"][0, :, 0, 0].tolist() == [a] and item["past_actions"].shape[0] == 0
        assert item["rgb_latents"][0, :, 0, 0].tolist() == [a + 1]
        future = short.codec.denormalize(item["actions"])[:, 0]
        assert torch.allclose(future, torch.arange(4 * a, 4 * (a + 1), dtype=torch.float32), atol=1e-3)
    AIMBatch.coerce(collate_windows([short[i] for i in one_frame])).validate(config)
    # opening_repeats: only each episode's anchor-0 window is listed again, inside its own history group
    assert ds.history_groups(opening_repeats=3) == [[0, 0, 0, 3, 3, 3], [1, 2, 4]]
    assert [sorted(g) for g in short.history_groups(opening_repeats=2)] == \
        [sorted(one_frame + [i for i in one_frame if short.window(i)[1].anchor == 0]), sorted(two_frames)]
    with pytest.raises(ValueError, match="opening_repeats"):
        ds.history_groups(opening_repeats=0)


def test_missing_cache_is_a_clear_error(store):
    with pytest.raises(FileNotFoundError, match="build_latent_cache"):
        LatentWindowDataset(store, ChunkLayout(history_frames=2, future_frames=1, actions_per_frame=4))


def _per_channel(path, stream: str) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std of each latent channel of one cached stream over every cached episode."""
    episodes = zarr.open_group(str(path), mode="r")[EPISODES_GROUP]
    z = np.concatenate([g[f"latents/{stream}"][...] for _, g in episodes.groups()]).astype(np.float64)
    flat = z.transpose(1, 0, 2, 3).reshape(z.shape[1], -1)
    return flat.mean(1), flat.std(1)


def test_statistics_measured_on_a_sample_normalise_the_cached_latents(make_store, text_encoder):
    path = make_store({f"ep-{i}": 9 + 4 * i for i in range(5)}, hw=(16, 16))
    vae = VideoVAE.from_config(tiny_wan_vae_config(z_dim=Z), seed=0)
    build_latent_cache(path, vae, text_encoder, progress=False)
    assert _per_channel(path, "rgb")[1].max() < 0.5  # the declared 0/1 statistics: raw latents, std ~0.1

    episodes = complete_episodes(open_dataset(path))
    stats = raw_latent_stats(episodes, vae, LatentCacheConfig(), max_episodes=3, progress=False)
    vae.set_latent_stats(stats)
    assert build_latent_cache(path, vae, text_encoder, progress=False).built == [e.episode_id for e in episodes]
    for stream in ("rgb", "value"):
        mean, std = _per_channel(path, stream)
        assert np.abs(mean).max() < 0.15 and np.abs(std - 1).max() < 0.15, (stream, mean, std)


def test_worker_processes_build_the_cache_one_process_builds(store, vae, text_encoder, tmp_path):
    """workers=2 encodes in spawned processes: the same episodes built, the same latents and attrs bit for bit
    (in a separate cache folder, so the store's own cache is the one-process reference)."""
    one = build_latent_cache(store, vae, text_encoder, progress=False)
    two = build_latent_cache(store, vae, text_encoder, progress=False, cache=tmp_path / "cache.zarr", workers=2)
    assert two.built == one.built == ["ep-a", "ep-b"] and list(two.skipped) == ["ep-c"]
    for episode_id in one.built:
        ref = zarr.open_group(str(store), mode="r")[f"{EPISODES_GROUP}/{episode_id}/latents"]
        got = zarr.open_group(str(tmp_path / "cache.zarr"), mode="r")[f"{EPISODES_GROUP}/{episode_id}/latents"]
        assert dict(got.attrs) == dict(ref.attrs)
        for stream in ("rgb", "value"):
            np.testing.assert_array_equal(got[stream][...], ref[stream][...])
    with pytest.raises(ValueError, match="workers must be >= 1"):
        build_latent_cache(store, vae, text_encoder, progress=False, workers=0)


def test_relative_targets_are_offsets_from_the_current_frames_joints(store, vae, text_encoder, tmp_path):
    """With relative targets a window's chunk is, per arm joint, the actions minus the measured joints at its current
    frame (normalised by the offsets' range; grippers absolute); past actions stay absolute. A bundle's codec read
    back reads other episodes the same way."""
    cache = tmp_path / "cache.zarr"
    build_latent_cache(store, vae, text_encoder, LatentCacheConfig(frame_stride=1), cache=cache, progress=False)
    layout = ChunkLayout(history_frames=2, future_frames=1, actions_per_frame=4)
    absolute = LatentWindowDataset(store, layout, cache=cache)
    relative = LatentWindowDataset(store, layout, cache=cache, relative_targets=True)
    assert relative.codec.config.relative_targets and not absolute.codec.config.relative_targets
    arm, gripper = list(ARM_JOINT_DIMS), [7, 15]
    for i in range(len(relative)):
        item, plain, (episode, w) = relative[i], absolute[i], relative.window(i)
        reference = relative.reference(i)
        # the fixture's qpos[t] = action[t]: the chunk's offsets are 0, 1, 2, 3 steps on every arm joint
        torch.testing.assert_close(reference, torch.from_numpy(episode.read("action", slice(4 * w.anchor, 4 * w.anchor + 1))[0]))
        offsets = relative.codec.denormalize_targets(item["actions"], reference) - reference
        torch.testing.assert_close(offsets[:, arm], torch.arange(4.0)[:, None].expand(4, len(arm)), atol=1e-4, rtol=0)
        torch.testing.assert_close(item["actions"][:, gripper], plain["actions"][:, gripper])
        torch.testing.assert_close(item["past_actions"], plain["past_actions"])
        torch.testing.assert_close(relative.codec.targets_as_actions(item["actions"], reference), plain["actions"],
                                   atol=1e-5, rtol=0)
    # every window's offsets are the same (0..3), so they are the same targets whatever the arm's position
    first, last = relative[0]["actions"][:, arm], relative[len(relative) - 1]["actions"][:, arm]
    torch.testing.assert_close(first, last)
    assert not torch.allclose(absolute[0]["actions"][:, arm], absolute[len(absolute) - 1]["actions"][:, arm])
    reread = LatentWindowDataset(store, layout, cache=cache, codec=relative.codec)
    torch.testing.assert_close(reread[3]["actions"], relative[3]["actions"])
