"""place_fan: the expert sets the fan on the pad facing the robot (easy, hard) with grasp and pad
contacts whose value maps sit on the fan and the pad; the success check (RoboTwin's) rejects a fan
turned away or 15 deg off, one beside the target, and a gripper left closed."""
import numpy as np
import pytest

from pipeline.tasks.placing import yaw_quat
from tests.tasks.conftest import contact_summary, place_actor, stage, successful_expert_episode
from tests.tasks.placement_checks import assert_pick_and_place_maps

TASK = "place_fan"


@pytest.mark.parametrize("setting,seed", [("easy", 0), ("hard", 1)])
def test_expert_sets_the_fan_on_the_pad_facing_the_robot(setting, seed):
    episode = successful_expert_episode(TASK, setting, seed)
    assert episode.attrs.roles == {"target": "fan", "support": "pad"}
    contacts = contact_summary(episode)
    assert contacts["grasp"] and all("finger" in body for body in contacts["grasp"])
    assert "pad" in contacts["support"]
    assert_pick_and_place_maps(episode)


def test_success_needs_the_fan_on_target_facing_the_robot():
    task = stage(TASK, seed=2)
    fan = task.actors["fan"]
    assert not task.check_success()  # expert skipped: the fan stands beside the pad

    def put(dxy, yaw):
        place_actor(fan, [task.target[0] + dxy[0], task.target[1] + dxy[1], task.target[2] + 0.004], yaw_quat(yaw))
        task.env.settle(0.3)
        return task.evaluate()

    assert put((0.0, 0.0), np.deg2rad(5)) == {"facing_robot": True, "at_target": True, "grippers_open": True,
                                              "success": True}
    assert not put((0.0, 0.0), np.deg2rad(15))["facing_robot"]  # RoboTwin allows 8.1 deg
    assert not put((0.0, 0.0), np.pi)["facing_robot"]
    result = put((0.0, 0.05), 0.0)  # 5 cm behind: RoboTwin allows 4
    assert result["facing_robot"] and not result["at_target"]
    put((0.0, 0.0), 0.0)
    task.env.robot["left"].set_gripper(0.0)
    assert task.evaluate()["at_target"] and not task.evaluate()["grippers_open"] and not task.check_success()
