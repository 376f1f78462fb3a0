"""Value maps per stage on a real stack_blocks_two expert episode (SAPIEN + mplib at the task tests' small size):
the red cube's pick-and-place comes first, so the maps show its grasp region and then its footprint before the
green cube's (the target's) regions; annotator version 2 showed the green cube's grasp from the first step."""
from dataclasses import replace

import numpy as np
import pytest

from data_schemas import PHASE_NONE, PHASE_PICK, PHASE_PLACE
from pipeline.annotate import AnnotationParams, annotate_episode
from pipeline.annotate.phases import plan_episode
from tests.tasks.conftest import successful_expert_episode

PARAMS = AnnotationParams()


@pytest.fixture(scope="module")
def episode():
    return successful_expert_episode("stack_blocks_two", "easy", 0)


@pytest.fixture(scope="module")
def result(episode):
    return annotate_episode(episode, PARAMS)


def test_the_red_cube_is_a_stage_before_the_green_one(result):
    events = result.attrs["events"]
    (stage,) = events["stages"]
    assert stage["actor"] == "block_bottom"
    assert stage["grasp_step"] < stage["release_step"] <= stage["place_step"] < events["grasp_step"]
    phase = result.arrays["value/phase"]
    assert (phase[: stage["grasp_step"] + 1] == PHASE_PICK).all()
    assert (phase[stage["grasp_step"] + 1: stage["place_step"] + 1] == PHASE_PLACE).all()
    assert (phase[stage["place_step"] + 1: events["grasp_step"] + 1] == PHASE_PICK).all()
    assert (phase[events["grasp_step"] + 1: events["place_step"] + 1] == PHASE_PLACE).all()
    assert (phase[events["place_step"] + 1:] == PHASE_NONE).all()


def test_the_first_stage_maps_lie_on_the_red_cube_then_where_it_comes_to_rest(result, episode):
    first = result.stats["stages"][0]
    assert first["actor"] == "block_bottom" and first["pick"]["maps"] > 0
    assert first["pick"]["mass_on_actor"] >= 0.8  # the value lies on the red cube's pixels while it is picked
    assert first["place"]["maps"] > 0
    pick, footprint = plan_episode(episode, PARAMS).segments[:2]
    assert (pick.region.frame, footprint.region.frame) == ("block_bottom", None)  # the footprint stays on the table
    red = episode.attrs.object_names.index("block_bottom")
    rest = episode.arrays["object_poses"][footprint.region.step, red, :3]  # the cube's origin: its bottom face
    centre = footprint.region.points.mean(axis=0)
    assert np.linalg.norm(centre[:2] - rest[:2]) < 0.01 and abs(centre[2] - rest[2]) < 0.004
    start = episode.arrays["object_poses"][0, red, :3]
    assert np.linalg.norm(centre[:2] - start[:2]) > 0.05  # where it is put, not where it was picked up
    assert result.stats["pick"]["actor"] == "block_top" and result.stats["pick"]["mass_on_actor"] >= 0.8


def test_version_2_maps_and_the_lift_rule(episode, result):
    """Without earlier stages every step up to the green grasp shows the green cube's grasp region; a stage
    whose object rises less than pick_lift_m is not one (two fingers brushing a cube, a drawer pulled)."""
    for params in (replace(PARAMS, earlier_stages=False), replace(PARAMS, pick_lift_m=1.0)):
        plan = plan_episode(episode, params)
        assert plan.stages == [] and [s.region.frame for s in plan.segments] == ["block_top", "block_bottom"]
        assert (plan.phase[: plan.events.grasp_step + 1] == PHASE_PICK).all()
        assert params.digest() != PARAMS.digest()
    old = annotate_episode(episode, replace(PARAMS, earlier_stages=False))
    assert "stages" not in old.attrs["events"] and "stages" not in old.stats
    np.testing.assert_array_equal(old.arrays["value/phase"] != PHASE_NONE, result.arrays["value/phase"] != PHASE_NONE)


def test_the_preview_contact_sheet_shows_each_stage(result):
    from pipeline.annotate.previews import key_steps

    events = result.attrs["events"]
    steps = key_steps(result.arrays["value/phase"], events)
    (stage,) = events["stages"]
    carry = [s for s in steps if stage["grasp_step"] < s <= stage["place_step"]]
    assert stage["grasp_step"] in steps and events["grasp_step"] in steps and carry
    assert (result.arrays["value/phase"][carry] == PHASE_PLACE).all()
