"""place_cans_plasticbox: both arms pick their can and put it into the plastic box, one after the
other (easy, hard), with pick and place value maps; cans beside the box, or a gripper still
closed, are no success."""
import numpy as np
import pytest

from data_schemas import PHASE_PICK, PHASE_PLACE
from pipeline.annotate import annotate_episode
from tests.tasks.conftest import contact_summary, place_actor, stage, successful_expert_episode

TASK = "place_cans_plasticbox"


@pytest.mark.parametrize("setting,seed", [("easy", 0), ("hard", 1)])
def test_expert_puts_both_cans_into_the_box(setting, seed):
    episode = successful_expert_episode(TASK, setting, seed)
    attrs, poses = episode.attrs, episode.arrays["object_poses"]
    assert attrs.roles == {"target": "can_left", "support": "plastic_box"}
    contacts = contact_summary(episode)
    assert {body.split("/")[0] for body in contacts["grasp"]} == {"left", "right"}
    assert "plastic_box" in contacts["support"]
    box = attrs.object_names.index("plastic_box")
    for arm, sign in (("left", -1.0), ("right", 1.0)):
        can = attrs.object_names.index(f"can_{arm}")
        assert abs(poses[0, can, 0] - poses[0, box, 0]) > 0.12  # started beside the box
        assert np.sign(poses[-1, can, 0] - poses[-1, box, 0]) == sign  # in its own half of the box
        assert abs(poses[-1, can, 0] - poses[-1, box, 0]) < 0.08 and abs(poses[-1, can, 1] - poses[-1, box, 1]) < 0.04
    result = annotate_episode(episode)
    events = result.attrs["events"]
    assert events["grasp_step"] is not None and events["place_step"] > events["grasp_step"]
    assert {PHASE_PICK, PHASE_PLACE} <= set(result.arrays["value/phase"].tolist())
    assert result.stats["pick"]["mass_on_actor"] >= 0.9
    # the place region is the box floor under the can: the can itself and the box walls hide most of
    # it from the cameras, so less of the map's mass lands on box pixels (0.51 and 0.67 at 48x64)
    assert result.stats["place"]["mass_on_actor"] >= 0.4


def test_success_needs_both_cans_in_the_box_and_open_grippers():
    task = stage(TASK, seed=4)
    assert not task.check_success()  # expert skipped: the cans stand beside the box
    spots = task.spots()
    for arm, label in (("left", "slot_-x"), ("right", "slot_+x")):
        place_actor(task.actors[f"can_{arm}"], spots[label][:3, 3] + [0.0, 0.0, 0.003])
    task.env.settle(0.3)
    assert task.check_success()
    task.env.robot["right"].set_gripper(0.0)  # RoboTwin requires both grippers open
    result = task.evaluate()
    assert not result["success"] and not result["grippers_open"] and result["right_can_in_box"]
    task.env.robot["right"].set_gripper(1.0)
    box_xy = task.actors["plastic_box"].get_pose().p[:2]
    place_actor(task.actors["can_left"], [box_xy[0] - 0.3, box_xy[1], task.table_z + 0.002])  # beside the box
    task.env.settle(0.3)
    result = task.evaluate()
    assert not result["success"] and not result["left_can_in_box"]
