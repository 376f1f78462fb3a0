"""Training windows read back from a real Zarr store: shapes and step alignment (pixels, actions)."""
import numpy as np
import pytest
import torch
import zarr

from aim_core.data import (
    CanvasLayout,
    PixelWindowDataset,
    StepGrid,
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
    assert (w.obs_steps, w.future_steps) == (slice(3, 6), slice(6, 8))          # o_{t-2..t}, x/m_{t+1..t+2}
    assert (w.past_action_rows, w.future_action_rows) == (slice(3, 5), slice(5, 7))  # a_{t-2..t-1}, a_{t..t+1}
    assert list(window_anchors(10, layout)) == list(range(2, 8))
    with pytest.raises(ValueError, match="actions_per_frame"):
        StepGrid(frame_stride=2, temporal_compression=4).check_layout(layout)


def test_pixel_windows_hold_the_right_steps(make_store, add_episode):
    path = make_store({"ep-a": 20, "ep-b": 13})
    add_episode(path, "ep-incomplete", 20, complete=False)
    add_episode(path, "ep-unannotated", 20, annotated=False)
    add_episode(path, "ep-expert-failed", 20, success=False)  # no demonstration to imitate
    layout = ChunkLayout(history_frames=3, future_frames=2, actions_per_frame=2)
    ds = PixelWindowDataset(path, layout, frame_stride=2)
    assert [e.episode_id for e in ds.episodes] == ["ep-a", "ep-b"]
    # 20 steps -> 10 model steps -> anchors 2..7 (6); 13 -> 7 -> anchors 2..4 (3)
    assert len(ds) == 9
    cam = CanvasLayout((8, 8))
    low, high = torch.tensor(ds.stats.low), torch.tensor(ds.stats.high)
    for i in range(len(ds)):
        episode, w = ds.window(i)
        item = ds[i]
        assert item["obs_frames"].shape == (3, 16, 16, 3) and item["obs_frames"].dtype == torch.uint8
        assert item["rgb_frames"].shape == item["value_frames"].shape == (2, 16, 16, 3)
        assert item["past_actions"].shape == (4, 16) and item["actions"].shape == (4, 16)
        obs = unpack_canvas(item["obs_frames"].numpy(), cam)       # [F, V, H, W, 3]
        fut = unpack_canvas(item["rgb_frames"].numpy(), cam)
        val = unpack_canvas(item["value_frames"].numpy(), cam)
        a = w.anchor
        assert obs[:, :, 0, 0, 0].tolist() == [[2 * s] * 3 for s in (a - 2, a - 1, a)]
        assert obs[0, :, 0, 0, 1].tolist() == [1, 41, 81]            # head, left, right wrist slots
        assert fut[:, 0, 0, 0, 0].tolist() == val[:, 0, 0, 0, 0].tolist() == [2 * (a + 1), 2 * (a + 2)]
        assert val[0, :, 0, 0, 2].tolist() == [3, 43, 83]
        past = denormalize_actions(item["past_actions"], low, high)
        future = denormalize_actions(item["actions"], low, high)
        assert torch.allclose(past[:, 0], torch.arange(2 * (a - 2), 2 * a, dtype=torch.float32), atol=1e-3)
        assert torch.allclose(future[:, 0], torch.arange(2 * a, 2 * (a + 2), dtype=torch.float32), atol=1e-3)
        assert torch.allclose(future[:, 3], future[:, 0] + 3000.0, atol=1e-2)
        assert item["instruction"] == episode.attrs.instruction
    # the statistics were stored with the dataset and are reused
    stored = zarr.open_group(str(path), mode="r")[STATS_GROUP].attrs["action"]
    assert len(stored) == 1 and PixelWindowDataset(path, layout, frame_stride=2).stats == ds.stats
    actions = np.concatenate([zarr.open_group(str(path))[f"{EPISODES_GROUP}/{e}/action"][...] for e in ("ep-a", "ep-b")])
    assert np.allclose(ds.stats.low, np.percentile(actions, 1, axis=0))


def test_too_short_episodes_give_a_clear_error(make_store):
    path = make_store({"ep-short": 3})
    with pytest.raises(ValueError, match="no training windows"):
        PixelWindowDataset(path, ChunkLayout(history_frames=2, future_frames=2, actions_per_frame=1))


def test_bad_dataset_paths_are_refused_without_writing(tmp_path):
    with pytest.raises(SchemaError, match="no AIM dataset"):
        open_dataset(tmp_path / "missing.zarr")
    assert not (tmp_path / "missing.zarr").exists()
    zarr.open_group(str(tmp_path / "other.zarr"), mode="w", attributes={"format": "something-else"})
    with pytest.raises(SchemaError, match="not an AIM dataset"):
        PixelWindowDataset(tmp_path / "other.zarr", ChunkLayout(actions_per_frame=1))
