"""benchmarks/latent_probe.py: a position probe that localises what a frame shows, and the still frames it reads
from a recorded store and its latent cache."""
import sys

import numpy as np
import pytest

sys.path.insert(0, "benchmarks")
from latent_probe import (READOUTS, PositionProbe, fit_probe, heading, heading_errors_deg, located_by_prior,  # noqa: E402
                          probe_frames)

from aim_core.training.data_source import training_encoders  # noqa: E402


def blob_frames(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n frames [3, 24, 32] of a bright 3x3 square on noise; the target is its centre in [0, 1]^2."""
    rng = np.random.default_rng(seed)
    frames = rng.normal(0, 0.1, (n, 3, 24, 32)).astype(np.float32)
    rows, cols = rng.integers(2, 22, n), rng.integers(2, 30, n)
    for i, (r, c) in enumerate(zip(rows, cols)):
        frames[i, :, r - 1:r + 2, c - 1:c + 2] += 1.0
    targets = np.stack([cols / 32, rows / 24], axis=1).astype(np.float32)
    return frames, targets, np.arange(n) // 2  # two frames an "episode"


@pytest.mark.parametrize("readout", READOUTS)
def test_the_probe_localises_a_blob_on_frames_it_was_not_trained_on(readout):
    result = fit_probe(*blob_frames(400), downsample=False, steps=400, readout=readout)  # grid: 200 were too few
    assert result["frames"] == {"train": 320, "test": 80}
    for test_error, baseline in zip(result["test_mae"], result["mean_predictor_test_mae"]):
        assert test_error < 0.4 * baseline


@pytest.mark.parametrize("readout", READOUTS)
def test_a_probe_of_frames_that_do_not_show_the_position_does_no_better_than_the_mean(readout):
    frames, targets, groups = blob_frames(200)
    frames = np.random.default_rng(1).normal(0, 0.1, frames.shape).astype(np.float32)  # the blob removed
    result = fit_probe(frames, targets, groups, downsample=False, steps=400, readout=readout)
    for test_error, baseline in zip(result["test_mae"], result["mean_predictor_test_mae"]):
        assert test_error > 0.8 * baseline


def test_heading_is_the_yaw_of_the_body_x_axis():
    for yaw in (-3.0, -1.2, 0.0, 0.7, 2.9):
        assert heading(np.array([np.cos(yaw / 2), 0.0, 0.0, np.sin(yaw / 2)])) == pytest.approx(yaw)
    assert heading(np.array([0.5, 0.5, -0.5, -0.5])) == pytest.approx(-np.pi / 2)  # place_shoe's target orientation


def test_the_probe_reads_a_heading_from_an_object_with_two_distinct_ends():
    """A red and a green dot 6 pixels apart at a random place and angle: the heading runs from red to green."""
    rng = np.random.default_rng(0)
    n = 240
    frames = rng.normal(0, 0.1, (n, 3, 24, 32)).astype(np.float32)
    angle = rng.uniform(-np.pi, np.pi, n)
    centre = np.stack([rng.uniform(8, 16, n), rng.uniform(8, 24, n)], axis=1)  # row, col
    for i in range(n):
        offset = 3 * np.array([np.sin(angle[i]), np.cos(angle[i])])
        for channel, end in ((0, centre[i] - offset), (1, centre[i] + offset)):
            r, c = np.round(end).astype(int)
            frames[i, channel, r - 1:r + 2, c - 1:c + 2] += 1.0
    targets = np.stack([np.cos(angle), np.sin(angle)], axis=1).astype(np.float32)
    errors = heading_errors_deg(fit_probe(frames, targets, np.arange(n) // 2, downsample=False, steps=600), targets)
    assert errors["mean_predictor_test"] > 60            # headings all round the circle: the mean direction says little
    assert errors["test"] < 0.4 * errors["mean_predictor_test"]


def test_still_frames_come_from_the_store_and_its_cache_alike(tiny_dataset, latent_cache):
    latents, xy, groups = probe_frames(tiny_dataset, "target", "latent", cache=latent_cache)
    pixels, xy_pixels, groups_pixels = probe_frames(tiny_dataset, "target", "pixels", cache=latent_cache)
    assert len(latents) == len(pixels) and len(set(groups.tolist())) == 3       # the fixture's three episodes
    np.testing.assert_array_equal(groups, groups_pixels)
    np.testing.assert_array_equal(xy, xy_pixels)
    assert pixels.shape[1:] == (3, 32, 48) and 0 <= pixels.min() and pixels.max() <= 1
    assert latents.ndim == 4 and latents.shape[1] != 3
    for g in range(3):  # one position per episode: the actor's before it moves
        assert np.ptp(xy[groups == g], axis=0).max() == 0
    first, _, first_groups = probe_frames(tiny_dataset, "target", "latent", cache=latent_cache, max_frames=1)
    np.testing.assert_array_equal(first_groups, [0, 1, 2])
    np.testing.assert_array_equal(first, latents[np.searchsorted(groups, [0, 1, 2])])  # each episode's first frame
    _, directions, heading_groups = probe_frames(tiny_dataset, "target", "pixels", cache=latent_cache,
                                                 quantity="heading")
    np.testing.assert_array_equal(heading_groups, groups)
    np.testing.assert_allclose(np.linalg.norm(directions, axis=1), 1.0, rtol=1e-5)
    with pytest.raises(ValueError, match="quantity"):
        probe_frames(tiny_dataset, "target", "pixels", cache=latent_cache, quantity="colour")
    with pytest.raises(ValueError, match="not a tracked actor"):
        probe_frames(tiny_dataset, "shoe", "latent", cache=latent_cache)
    for source in ("latent", "pixels"):
        with pytest.raises(ValueError, match="exactly one"):
            probe_frames(tiny_dataset, "target", source)


def test_a_vae_encodes_the_frames_its_cache_holds(tiny_dataset, latent_cache, tiny_config):
    """The cache's latents and the probe's own encoding of the same frames with the cache's VAE agree."""
    vae = training_encoders(tiny_config(), progress=False).vae
    cached, xy, _ = probe_frames(tiny_dataset, "target", "latent", cache=latent_cache)
    encoded, xy_encoded, _ = probe_frames(tiny_dataset, "target", "latent", vae=vae)
    np.testing.assert_array_equal(xy, xy_encoded)
    np.testing.assert_allclose(encoded, cached, atol=0.02)
    decoded, _, groups = probe_frames(tiny_dataset, "target", "decoded", vae=vae)  # the head view, decoded again
    pixels, _, groups_pixels = probe_frames(tiny_dataset, "target", "pixels", cache=latent_cache)
    assert decoded.shape == pixels.shape and 0 <= decoded.min() and decoded.max() <= 1
    np.testing.assert_array_equal(groups, groups_pixels)
    with pytest.raises(ValueError, match="VAE"):
        probe_frames(tiny_dataset, "target", "decoded", cache=latent_cache)


def test_the_grid_readout_sees_every_cell_of_a_frame_or_of_its_downsampled_pixels():
    import torch
    for downsample, hw in ((False, (12, 16)), (True, (96, 128)), (True, (30, 41))):
        probe = PositionProbe(3, downsample, hw, readout="grid")
        assert probe(torch.zeros(2, 3, *hw)).shape == (2, 2)
    with pytest.raises(ValueError, match="readout"):
        PositionProbe(3, False, (12, 16), readout="mlp")


@pytest.mark.parametrize("readout", READOUTS)
def test_every_layer_of_the_probe_is_trained(readout):
    """The readout's own layers are the probe's parameters (a keypoint readout held outside the module tree was
    left at its random initialisation while the head alone trained)."""
    probe = PositionProbe(16, False, (12, 16), readout=readout)
    trained = {name.split(".")[0] for name, _ in probe.named_parameters()}
    assert trained == {"head", "points" if readout == "keypoints" else "grid"}


@pytest.mark.parametrize("reads", [{}, {"action_prior_pixels": (8, 12)}], ids=["latents", "pixels"])
def test_a_bundle_whose_prior_locates_objects_is_read_on_the_still_frames(tiny_dataset, latent_cache, tiny_config,
                                                                          reads):
    """`--bundle`: the error of the positions a trained prior locates (from the latents or the head camera's view,
    as the prior reads), one still frame set with the VAE's probe; an actor the prior does not locate is refused."""
    from aim_core.training.trainer import train_stage1

    config = tiny_config(steps=1, checkpoint_every=1,
                         model_overrides={"action_prior_keypoints": 2, "action_prior_grid": (2, 3),
                                          "action_prior_objects": 1, **reads})
    bundle = train_stage1(config).checkpoint
    result = located_by_prior(bundle, tiny_dataset, "target")
    _, xy, _ = probe_frames(tiny_dataset, "target", "latent", cache=latent_cache)
    assert result["frames"] == len(xy)
    np.testing.assert_allclose(result["mean_predictor_mae"], np.abs(xy - xy.mean(0)).mean(0), rtol=1e-5)
    assert np.isfinite(result["mae"]).all() and len(result["mae"]) == 2
    with pytest.raises(ValueError, match=r"locates \['target'\] .*not 'support'"):
        located_by_prior(bundle, tiny_dataset, "support")
