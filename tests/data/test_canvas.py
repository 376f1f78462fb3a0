"""T-pose canvas: exact pack/unpack for RGB and value images, the layout, and size checks."""
import numpy as np
import pytest
import torch

from aim_core.data.canvas import CanvasLayout, pack_canvas, resize_views, unpack_canvas


def test_pack_unpack_exact_numpy_and_torch():
    rng = np.random.default_rng(0)
    views = rng.integers(0, 256, size=(5, 3, 24, 32, 3), dtype=np.uint8)  # [T, V, H, W, 3]
    layout = CanvasLayout((24, 32))
    canvas = pack_canvas(views, layout)
    assert canvas.shape == (5, 48, 64, 3) and canvas.dtype == np.uint8
    np.testing.assert_array_equal(unpack_canvas(canvas, layout), views)
    tcanvas = pack_canvas(torch.from_numpy(views), layout)
    assert torch.equal(tcanvas, torch.from_numpy(canvas))
    assert torch.equal(unpack_canvas(tcanvas, layout), torch.from_numpy(views))


def test_layout_head_top_centre_wrists_below_black_corners():
    views = np.zeros((3, 8, 16, 3), np.uint8)
    for cam in range(3):
        views[cam] = cam + 1
    canvas = pack_canvas(views)
    assert (canvas[:8, 8:24] == 1).all()          # head: top row, centred
    assert (canvas[8:, :16] == 2).all()           # left wrist: bottom left
    assert (canvas[8:, 16:] == 3).all()           # right wrist: bottom right
    assert (canvas[:8, :8] == 0).all() and (canvas[:8, 24:] == 0).all()  # black = no value


def test_canvas_must_suit_the_vae_compression():
    with pytest.raises(ValueError, match="multiple of 16"):
        CanvasLayout((240, 324))
    assert CanvasLayout((240, 320)).canvas_hw == (480, 640)
    with pytest.raises(ValueError, match="cameras"):
        pack_canvas(np.zeros((2, 8, 8, 3), np.uint8))


def test_resize_views_keeps_shape_prefix():
    views = np.full((2, 3, 240, 320, 3), 9, np.uint8)
    out = resize_views(views, (120, 160))
    assert out.shape == (2, 3, 120, 160, 3) and (out == 9).all()
