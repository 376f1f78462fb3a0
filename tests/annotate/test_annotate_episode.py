"""annotate_episode on the scripted pick-and-place episode (exact geometry, see conftest)."""

from dataclasses import replace

import numpy as np
import pytest

from data_schemas import CONTACT_GRASP, PHASE_NONE, PHASE_PICK, PHASE_PLACE, EpisodeData, SchemaError
from pipeline.annotate.annotate import annotate_episode
from pipeline.annotate.events import detect_events
from pipeline.annotate.params import AnnotationParams
from pipeline.annotate.regions import pick_region

PARAMS = AnnotationParams()

@pytest.fixture(scope="module")
def result(scripted_episode):
    return annotate_episode(scripted_episode, PARAMS)

def test_events_follow_the_contacts_and_the_settling(scripted_episode):
    events = detect_events(scripted_episode, PARAMS)
    assert (events.grasp_step, events.grasp_arm, events.release_step) == (6, 0, 16)
    assert events.place_step == 17  # released at 16, still for settle_steps=2 -> complete at 17
    assert events.press_step is None

def test_phases_pick_until_grasp_then_place_until_settled(result):
    phase = result.arrays["value/phase"]
    assert phase.dtype == np.int8
    assert (phase[:7] == PHASE_PICK).all() and (phase[7:18] == PHASE_PLACE).all() and (phase[18:] == PHASE_NONE).all()

def test_pick_region_is_the_object_surface_under_the_fingers(result, scripted_episode):
    pts = result.arrays["value/pick_points"]
    assert result.attrs["regions"]["pick"]["frame"] == "box" and len(pts) > 20
    fingers = np.array([[0, -0.02, 0], [0, 0.02, 0]])  # finger centres in the box frame
    dist = np.linalg.norm(pts[:, None] - fingers[None], axis=2).min(axis=1)
    assert dist.max() <= PARAMS.contact_radius_m + PARAMS.voxel_size_m
    assert (pts[:, 1] < -0.01).any() and (pts[:, 1] > 0.01).any()  # both fingers' sides

def test_pick_region_follows_the_object(scripted_episode):
    region = pick_region(scripted_episode, detect_events(scripted_episode, PARAMS), PARAMS)
    before, _ = region.at_steps(scripted_episode, np.array([0]))
    after, _ = region.at_steps(scripted_episode, np.array([20]))
    shift = scripted_episode.arrays["object_poses"][20, 0, :3] - scripted_episode.arrays["object_poses"][0, 0, :3]
    np.testing.assert_allclose(after[0] - before[0], np.broadcast_to(shift, before[0].shape), atol=1e-6)

def test_place_region_lies_on_the_pad_under_the_box(result):
    pts = result.arrays["value/place_points"]
    assert result.attrs["regions"]["place"]["frame"] == "pad" and len(pts) > 20
    reach = 0.02 + PARAMS.contact_radius_m + PARAMS.voxel_size_m
    assert np.abs(pts[:, :2]).max() <= reach
    np.testing.assert_allclose(pts[:, 2], 0.0025, atol=1e-4)  # the pad's top face only, not its sides

def test_maps_values_colours_and_quality(result):
    maps, rgb, phase = result.arrays["value/map"], result.arrays["value/rgb"], result.arrays["value/phase"]
    assert maps.dtype == np.float16 and maps.shape == (24, 3, 120, 160) and rgb.shape == maps.shape + (3,)
    assert maps[phase == PHASE_NONE].max() == 0 and rgb[phase == PHASE_NONE].max() == 0
    assert maps.min() >= 0 and maps.max() == 1
    assert (rgb[maps == 0] == 0).all() and (rgb[maps > 0.5].sum(axis=-1) > 0).all()
    assert result.stats["pick"]["mass_on_actor"] >= 0.9
    assert result.stats["pick"]["contact_in_top"] >= 0.9
    assert result.stats["place"]["mass_on_actor"] >= 0.9
    assert result.stats["place"]["contact_in_top"] >= 0.9  # flat, evenly weighted footprint
    assert result.stats["phases"] == {"none": 6, "pick": 7, "place": 11}
    assert result.attrs["digest"] == PARAMS.digest() and result.attrs["events"]["grasp_step"] == 6

def test_without_an_effective_grasp_every_step_is_none(scripted_episode):
    arrays = dict(scripted_episode.arrays)
    one_finger = (arrays["contacts/kind"] != CONTACT_GRASP) | (arrays["contacts/other"] == 0)
    for name in [n for n in arrays if n.startswith("contacts/")]:
        arrays[name] = arrays[name][one_finger]
    res = annotate_episode(EpisodeData(scripted_episode.attrs, arrays), PARAMS)
    assert (res.arrays["value/phase"] == PHASE_NONE).all() and res.arrays["value/map"].max() == 0
    assert res.attrs["regions"] == {"pick": None, "place": None}

def test_missing_arrays_and_bad_roles_are_reported(scripted_episode):
    arrays = {k: v for k, v in scripted_episode.arrays.items() if k != "object_points"}
    with pytest.raises(SchemaError, match="object_points"):
        annotate_episode(EpisodeData(scripted_episode.attrs, arrays))
    attrs = scripted_episode.attrs.model_copy(update={"roles": {"target": "shoe"}})
    with pytest.raises(ValueError, match="role target='shoe' is not a tracked object"):
        annotate_episode(EpisodeData(attrs, scripted_episode.arrays))


def _as_press(episode, keep, roles):
    """The scripted episode with its box-on-pad contacts turned into presses on the pad, and other roles."""
    from data_schemas import CONTACT_PRESS, CONTACT_SUPPORT
    arrays = {k: (v[keep] if k.startswith("contacts/") else v) for k, v in episode.arrays.items()}
    pressed = arrays["contacts/kind"] == CONTACT_SUPPORT
    arrays["contacts/kind"] = np.where(pressed, CONTACT_PRESS, arrays["contacts/kind"]).astype(np.int8)
    arrays["contacts/actor"] = np.where(pressed, 1, arrays["contacts/actor"]).astype(np.int16)  # the pad
    arrays["contacts/other"] = np.where(pressed, 0, arrays["contacts/other"]).astype(np.int16)  # a finger / tool
    attrs = episode.attrs.model_copy(update={"roles": roles}) if roles else episode.attrs
    return EpisodeData(attrs, arrays)


def test_press_without_grasp_is_the_interaction_region(scripted_episode):
    """click_bell / open_laptop style: a finger pushes the pad (steps 14..23); no grasp."""
    from data_schemas import CONTACT_SUPPORT
    support = scripted_episode.arrays["contacts/kind"] == CONTACT_SUPPORT
    episode = _as_press(scripted_episode, support, {"pressed": "pad"})
    res = annotate_episode(episode, PARAMS)
    assert res.attrs["events"]["press_step"] == 14 and res.attrs["events"]["press_end_step"] == 23
    assert (res.arrays["value/phase"] == PHASE_PICK).all()
    assert res.attrs["regions"]["pick"] == {"kind": "press", "frame": "pad", "step": 14,
                                           "points": len(res.arrays["value/pick_points"])}
    assert res.stats["pick"]["actor"] == "pad" and res.stats["pick"]["mass_on_actor"] >= 0.9


def test_tool_strike_after_grasp_is_the_place_region(scripted_episode):
    """beat_block_hammer style: grasp the box, then strike the pad with it."""
    everything = np.ones(len(scripted_episode.arrays["contacts/kind"]), bool)
    episode = _as_press(scripted_episode, everything, {"target": "box", "pressed": "pad"})
    res = annotate_episode(episode, PARAMS)
    phase = res.arrays["value/phase"]
    assert (phase[:7] == PHASE_PICK).all() and (phase[7:] == PHASE_PLACE).all()
    assert res.attrs["regions"]["place"]["kind"] == "press" and res.attrs["regions"]["place"]["frame"] == "pad"


def test_a_thin_cover_of_another_tracked_actor_hides_the_place_region(scripted_episode):
    """Stack-like case: a 5 mm sheet labelled as the box lies over the whole pad
    (inside the 12 mm depth tolerance). With the item buffer the pad's region is hidden there and
    the place maps are empty; without it the value lands on the sheet. Pick maps do not change."""
    arrays = dict(scripted_episode.arrays)
    depth, seg = arrays["depth"].copy(), arrays["segmentation"].copy()
    pad = seg == 1
    depth[pad] -= 5
    seg[pad] = 0
    arrays.update(depth=depth, segmentation=seg)
    covered = EpisodeData(scripted_episode.attrs, arrays)
    on = annotate_episode(covered, PARAMS)
    off = annotate_episode(covered, replace(PARAMS, item_visibility=False))
    place = on.arrays["value/phase"] == PHASE_PLACE
    assert place.any() and (on.arrays["value/phase"] == off.arrays["value/phase"]).all()
    assert on.arrays["value/map"][place].max() == 0 and off.arrays["value/map"][place].max() == 1
    assert off.stats["place"]["mass_on_actor"] < 0.1
    pick = on.arrays["value/phase"] == PHASE_PICK
    np.testing.assert_array_equal(on.arrays["value/map"][pick], off.arrays["value/map"][pick])
    assert on.attrs["digest"] != off.attrs["digest"]
