"""Projection and splatting against an analytic pinhole camera."""
from dataclasses import replace

import numpy as np
import pytest

from data_schemas import SEGMENTATION_TABLE, SEGMENTATION_UNTRACKED
from pipeline.annotate.colorize import colorize
from pipeline.annotate.params import AnnotationParams
from pipeline.annotate.splat import render_value_maps, visible_points

H, W, F = 240, 320, 300.0
# the analytic camera follows OpenCV (pixel centres at integers); 3 px at 1 m; plain max normalisation
PARAMS = AnnotationParams(splat_sigma_m=0.01, peak_percentile=100)
K = np.array([[F, 0, 160.0], [0, F, 120.0], [0, 0, 1]])


def look_at(eye, target, up=(0, 0, 1)) -> np.ndarray:
    """World-to-camera (OpenCV) for a camera at `eye` looking at `target`."""
    fwd = np.asarray(target, float) - eye
    fwd /= np.linalg.norm(fwd)
    right = np.cross(fwd, up)
    right /= np.linalg.norm(right)
    down = np.cross(fwd, right)
    rot = np.stack([right, down, fwd])
    ext = np.eye(4)
    ext[:3, :3] = rot
    ext[:3, 3] = -rot @ eye
    return ext


def render(point, ext=np.eye(4), depth_m=0.0, params=PARAMS):
    depth = np.full((1, H, W), depth_m * 1000, dtype=np.uint16)
    return render_value_maps(np.asarray(point, float)[None, None], K[None], ext[None], depth, params)[0]


def moments(m):
    rows, cols = np.mgrid[:H, :W]
    mass = m.sum()
    mu = np.array([(m * cols).sum(), (m * rows).sum()]) / mass
    var = ((m * (cols - mu[0]) ** 2).sum() / mass, (m * (rows - mu[1]) ** 2).sum() / mass)
    return mu, np.sqrt(var)


def test_point_lands_at_predicted_pixel_identity_camera():
    m = render([0.1, -0.05, 1.0])
    mu, _ = moments(m)
    np.testing.assert_allclose(mu, [F * 0.1 + 160, F * -0.05 + 120], atol=0.05)
    assert np.unravel_index(m.argmax(), m.shape) == (105, 190)
    assert m.max() == pytest.approx(1.0)


def test_point_lands_at_predicted_pixel_posed_camera():
    ext = look_at(np.array([0.6, -0.4, 1.2]), target=[0.0, 0.0, 0.0])
    on_axis = render([0.0, 0.0, 0.0], ext)
    np.testing.assert_allclose(moments(on_axis)[0], [160, 120], atol=0.05)
    # a point 0.1 m along the camera's "right" axis at the target depth moves F * 0.1 / dist pixels right
    dist = np.linalg.norm([0.6, -0.4, 1.2])
    offset = render(ext[0, :3] * 0.1, ext)
    np.testing.assert_allclose(moments(offset)[0], [160 + F * 0.1 / dist, 120], atol=0.05)


def test_gaussian_width_halves_when_depth_doubles():
    _, near = moments(render([0.0, 0.0, 1.0]))
    _, far = moments(render([0.0, 0.0, 2.0]))
    np.testing.assert_allclose(near, [F * PARAMS.splat_sigma_m / 1.0] * 2, rtol=0.02)
    np.testing.assert_allclose(near / far, [2.0, 2.0], rtol=0.02)


def test_occluded_point_leaves_no_mass():
    assert render([0.0, 0.0, 1.0], depth_m=0.5).sum() == 0.0   # a wall at 0.5 m hides it
    assert render([0.0, 0.0, 1.0], depth_m=1.0).sum() > 0.0    # the surface it lies on does not
    assert render([0.0, 0.0, 1.0], depth_m=0.995).sum() > 0.0  # within the depth tolerance
    assert render([0.0, 0.0, -1.0]).sum() == 0.0               # behind the camera
    assert render([5.0, 0.0, 1.0]).sum() == 0.0                # outside the image


def test_colour_map_black_means_no_value():
    rgb = colorize(np.array([[0.0, 0.001, 0.5, 1.0]]), "inferno")
    assert rgb.dtype == np.uint8 and rgb.shape == (1, 4, 3)
    assert (rgb[0, 0] == 0).all() and (rgb[0, 1] == 0).all()
    assert rgb[0, 3].sum() > rgb[0, 2].sum() > 0


def test_bad_params_are_rejected_with_the_field_name():
    with pytest.raises(ValueError, match="splat_sigma_m"):
        AnnotationParams(splat_sigma_m=0)
    with pytest.raises(ValueError, match="unknown colour map"):
        AnnotationParams(colormap="rainbowish")
    assert AnnotationParams().digest() == AnnotationParams().digest()
    assert AnnotationParams().digest() != AnnotationParams(splat_sigma_m=0.02).digest()


def test_surface_gate_keeps_value_on_the_contact_surface():
    """A point on a small near surface: its value must not bleed onto the far background around it."""
    rows, cols = np.mgrid[:H, :W]
    patch = (rows - 120) ** 2 + (cols - 160) ** 2 <= 4 ** 2  # a 9-px disc at 1 m, floor at 1.3 m elsewhere
    depth = np.where(patch, 1000, 1300).astype(np.uint16)[None]
    point = np.array([[[0.0, 0.0, 1.0]]])
    gated = render_value_maps(point, K[None], np.eye(4)[None], depth, PARAMS)[0]
    ungated = render_value_maps(point, K[None], np.eye(4)[None], depth,
                                replace(PARAMS, surface_gate_m=0))[0]
    assert gated[~patch].sum() < 1e-6 * gated.sum()
    assert ungated[~patch].sum() > 0.1 * ungated.sum()  # the gate is what keeps it there
    np.testing.assert_allclose(gated[patch], ungated[patch], rtol=1e-3)


def test_robust_peak_saturates_only_the_top_of_the_map():
    """With peak_percentile < 100 the top few percent of the lit pixels clip to 1, the rest keep their shape."""
    point = np.array([[[0.0, 0.0, 1.0]]])
    depth = np.zeros((1, H, W), np.uint16)
    plain = render_value_maps(point, K[None], np.eye(4)[None], depth, PARAMS)[0]
    robust = render_value_maps(point, K[None], np.eye(4)[None], depth,
                               replace(PARAMS, peak_percentile=95))[0]
    lit = plain > 0.05
    saturated = (robust[lit] == 1.0).mean()
    assert 0.02 < saturated < 0.08
    assert robust.max() == 1.0 and (robust >= plain).all()
    np.testing.assert_allclose(moments(robust)[0], [160, 120], atol=0.05)


def test_occlusion_margin_hides_points_just_past_a_silhouette():
    """A point on the far side of a thin object, projecting one pixel past its silhouette onto the floor."""
    depth = np.full((1, H, W), 1500, np.uint16)  # floor at 1.5 m
    depth[0, :, :190] = 900                       # a near object covering columns < 190 at 0.9 m
    point = np.array([[[(190 - 160) / F * 1.0, 0.0, 1.0]]])  # lands on column 190, just past the edge
    no_gate = {"surface_gate_m": 0}  # isolate the visibility test
    seen = render_value_maps(point, K[None], np.eye(4)[None], depth,
                             AnnotationParams(occlusion_margin_px=0, **no_gate))
    hidden = render_value_maps(point, K[None], np.eye(4)[None], depth,
                               AnnotationParams(occlusion_margin_px=1, **no_gate))
    assert seen.sum() > 0 and hidden.sum() == 0


def test_a_view_whose_value_the_gate_removes_reads_as_empty():
    """The point's pixel and its surroundings show surfaces 10+ cm away: no faint traces scaled up to 1."""
    depth = np.full((1, H, W), 1100, np.uint16)
    assert render_value_maps(np.array([[[0.0, 0.0, 1.0]]]), K[None], np.eye(4)[None], depth, PARAMS).max() == 0


def test_item_buffer_hides_points_under_a_thin_cover_of_another_tracked_actor():
    """A point 5 mm behind the surface its pixel shows passes the 12 mm depth test; the segmentation
    decides: another tracked actor (a nested bowl's wall) or the table there hides it, its own actor
    or an untracked pixel (robot, clutter: -1) does not."""
    depth = np.full((1, H, W), 995, np.uint16)  # the visible surface, 5 mm in front of the point
    point = np.array([[[0.0, 0.0, 1.0]]])
    no_gate = AnnotationParams(surface_gate_m=0)
    shown = {}
    for name, label in (("own", 0), ("other", 1), ("table", SEGMENTATION_TABLE), ("untracked", -1)):
        seg = np.full((1, H, W), label, np.int16)
        shown[name] = render_value_maps(point, K[None], np.eye(4)[None], depth, no_gate,
                                        segmentation=seg, own_label=0).sum()
    assert shown["own"] > 0 and shown["untracked"] > 0
    assert shown["other"] == 0 and shown["table"] == 0


@pytest.mark.parametrize("neighbour", [1, SEGMENTATION_TABLE])
def test_item_buffer_keeps_a_splat_off_a_neighbouring_surface(neighbour):
    """A visible point next to another tracked actor (the rim of the bowl under the support) or the table
    (1-2 mm below a pad's edge) at the same depth: its splat covers both, but only its own actor's and
    untracked pixels (robot, clutter) keep value."""
    depth = np.full((1, H, W), 1000, np.uint16)
    point = np.array([[[0.0, 0.0, 1.0]]])  # pixel (160, 120), sigma 3 px
    params = AnnotationParams(splat_sigma_m=0.01, peak_percentile=100, surface_gate_m=0)
    seg = np.zeros((1, H, W), np.int16)    # own actor (0) left of column 162
    seg[0, :, 162:] = neighbour            # the neighbouring surface from column 162
    seg[0, :119, 162:] = SEGMENTATION_UNTRACKED  # ... except untracked pixels (robot) above row 119
    maps = render_value_maps(point, K[None], np.eye(4)[None], depth, params, segmentation=seg, own_label=0)[0]
    plain = render_value_maps(point, K[None], np.eye(4)[None], depth, params)[0]
    other = seg[0] == neighbour
    assert plain[other].sum() > 0.1 * plain.sum()  # without the buffer a good share lands on the neighbour
    assert maps[other].sum() == 0
    np.testing.assert_allclose(maps[~other], plain[~other], rtol=1e-6)  # own and untracked pixels keep theirs
    assert maps[seg[0] == SEGMENTATION_UNTRACKED].sum() > 0


def test_item_buffer_leaves_a_point_well_in_front_of_the_surface_its_pixel_shows():
    """A point at 1.0 m whose pixel shows the table 20 cm behind (a handle's edge, rounded just past its
    silhouette) is not covered by the table: it stays visible; 5 mm behind it is hidden."""
    uv, z = np.array([[[160.0, 120.0]]]), np.array([[1.0]])
    seg = np.full((1, H, W), SEGMENTATION_TABLE, np.int16)
    for surface_mm, seen in ((1200, True), (995, False)):
        depth = np.full((1, H, W), surface_mm, np.uint16)
        assert visible_points(uv, z, depth, 0.012, segmentation=seg, own_label=0)[0, 0] == seen, surface_mm
