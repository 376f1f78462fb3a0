"""Training windows read back from a real Zarr store: shapes and step alignment (pixels, actions)."""
import numpy as np
import pytest
import torch
import zarr

from aim_core.data import (
    CanvasLayout,
    PixelWindowDataset,
    StepGrid,
    history_length,
    open_dataset,
    unpack_canvas,
    window_anchors,
    window_index,
)
from aim_core.models.action_codec import denormalize_actions
from aim_core.models.config import ChunkLayout
from data_schemas import EPISODES_GROUP, STATS_GROUP, SchemaError


def test_window_index_matches_the_paper_window_without_compression():
    layout, grid = ChunkLayout(history_frames=3, future_frames=2, actions_per_frame=1), StepGrid()
    w = window_index(5, layout, grid)
    assert w.history == 3
    assert (w.obs_steps, w.future_steps) == (slice(3, 6), slice(6, 8))          # o_{t-2..t}, x/m_{t+1..t+2}
    assert (w.past_action_rows, w.future_action_rows) == (slice(3, 5), slice(5, 7))  # a_{t-2..t-1}, a_{t..t+1}
    assert list(window_anchors(10, layout)) == list(range(0, 8))
    with pytest.raises(ValueError, match="actions_per_frame"):
        StepGrid(frame_stride=2, temporal_compression=4).check_layout(layout)


def test_windows_start_at_the_first_frame_and_their_history_grows_to_f_h():
    """A rollout starts with one frame and no past action; training must hold those windows too."""
    layout, grid = ChunkLayout(history_frames=3, future_frames=2, actions_per_frame=4), StepGrid(1, 4)
    first, second, full = (window_index(j, layout, grid) for j in (0, 1, 2))
    assert (first.history, first.obs_steps, first.future_steps) == (1, slice(0, 1), slice(1, 3))
    assert first.past_action_rows == slice(0, 0) and first.future_action_rows == slice(0, 8)
    assert (second.history, second.obs_steps, second.past_action_rows) == (2, slice(0, 2), slice(0, 4))
    assert (full.history, full.obs_steps, full.past_action_rows) == (3, slice(0, 3), slice(0, 8))
    assert window_index(7, layout, grid).history == 3
    assert [history_length(j, layout) for j in window_anchors(6, layout)] == [1, 2, 3, 3]
    with pytest.raises(ValueError, match="anchor"):
        window_index(-1, layout, grid)
    short = window_index(7, layout, grid, history=1)  # the current frame alone, as at a rollout's start
    assert (short.obs_steps, short.past_action_rows, short.future_action_rows) == (slice(7, 8), slice(28, 28),
                                                                                    slice(28, 36))
    with pytest.raises(ValueError, match="history must be in 1..2"):
        window_index(1, layout, grid, history=3)


def test_pixel_windows_hold_the_right_steps(make_store, add_episode):
    path = make_store({"ep-a": 20, "ep-b": 13})
    add_episode(path, "ep-incomplete", 20, complete=False)
    add_episode(path, "ep-unannotated", 20, annotated=False)
    add_episode(path, "ep-expert-failed", 20, success=False)  # no demonstration to imitate
    layout = ChunkLayout(history_frames=3, future_frames=2, actions_per_frame=2)
    ds = PixelWindowDataset(path, layout, frame_stride=2)
    assert [e.episode_id for e in ds.episodes] == ["ep-a", "ep-b"]
    # 20 steps -> 10 model steps -> anchors 0..7 (8); 13 -> 7 -> anchors 0..4 (5)
    assert len(ds) == 13
    assert [[ds.window(i)[1].history for i in g] for g in ds.history_groups()] == [[1, 1], [2, 2], [3] * 9]
    cam = CanvasLayout((8, 8))
    low, high = torch.tensor(ds.stats.low), torch.tensor(ds.stats.high)
    for i in range(len(ds)):
        episode, w = ds.window(i)
        item, a = ds[i], w.anchor
        h = min(a + 1, 3)
        assert item["obs_frames"].shape == (h, 16, 16, 3) and item["obs_frames"].dtype == torch.uint8
        assert item["rgb_frames"].shape == item["value_frames"].shape == (2, 16, 16, 3)
        assert item["past_actions"].shape == (2 * (h - 1), 16) and item["actions"].shape == (4, 16)
        obs = unpack_canvas(item["obs_frames"].numpy(), cam)       # [F, V, H, W, 3]
        fut = unpack_canvas(item["rgb_frames"].numpy(), cam)
        val = unpack_canvas(item["value_frames"].numpy(), cam)
        assert obs[:, :, 0, 0, 0].tolist() == [[2 * s] * 3 for s in range(a - h + 1, a + 1)]
        assert obs[0, :, 0, 0, 1].tolist() == [1, 41, 81]            # head, left, right wrist slots
        assert fut[:, 0, 0, 0, 0].tolist() == val[:, 0, 0, 0, 0].tolist() == [2 * (a + 1), 2 * (a + 2)]
        assert val[0, :, 0, 0, 2].tolist() == [3, 43, 83]
        past = denormalize_actions(item["past_actions"], low, high)
        future = denormalize_actions(item["actions"], low, high)
        assert torch.allclose(past[:, 0], torch.arange(2 * (a - h + 1), 2 * a, dtype=torch.float32), atol=1e-3)
        assert torch.allclose(future[:, 0], torch.arange(2 * a, 2 * (a + 2), dtype=torch.float32), atol=1e-3)
        assert torch.allclose(future[:, 3], future[:, 0] + 3000.0, atol=1e-2)
        assert item["instruction"] == episode.attrs.instruction
    # the statistics were stored with the dataset and are reused
    stored = zarr.open_group(str(path), mode="r")[STATS_GROUP].attrs["action"]
    assert len(stored) == 1 and PixelWindowDataset(path, layout, frame_stride=2).stats == ds.stats
    actions = np.concatenate([zarr.open_group(str(path))[f"{EPISODES_GROUP}/{e}/action"][...] for e in ("ep-a", "ep-b")])
    assert np.allclose(ds.stats.low, np.percentile(actions, 1, axis=0))


def test_too_short_episodes_give_a_clear_error(make_store):
    path = make_store({"ep-short": 2})   # 2 frames: no room for a horizon of 2 after the first
    with pytest.raises(ValueError, match="no training windows"):
        PixelWindowDataset(path, ChunkLayout(history_frames=2, future_frames=2, actions_per_frame=1))


def test_bad_dataset_paths_are_refused_without_writing(tmp_path):
    with pytest.raises(SchemaError, match="no AIM dataset"):
        open_dataset(tmp_path / "missing.zarr")
    assert not (tmp_path / "missing.zarr").exists()
    zarr.open_group(str(tmp_path / "other.zarr"), mode="w", attributes={"format": "something-else"})
    with pytest.raises(SchemaError, match="not an AIM dataset"):
        PixelWindowDataset(tmp_path / "other.zarr", ChunkLayout(actions_per_frame=1))
