"""rotate_qrcode: the expert turns the sign so its code faces the robot (easy, hard) with grasp
contacts whose value maps sit on the sign; the success check (RoboTwin's) rejects a sign still
facing away, one turned 15 deg off, one held above the table, and a gripper left closed."""
import numpy as np
import pytest

from pipeline.tasks.placing import heading, yaw_quat
from tests.tasks.conftest import contact_summary, place_actor, stage, successful_expert_episode
from tests.tasks.placement_checks import assert_pick_and_place_maps

TASK = "rotate_qrcode"


@pytest.mark.parametrize("setting,seed", [("easy", 0), ("hard", 1)])
def test_expert_turns_the_code_to_the_robot(setting, seed):
    episode = successful_expert_episode(TASK, setting, seed)
    assert episode.attrs.roles == {"target": "sign", "support": "table"}
    contacts = contact_summary(episode)
    assert contacts["grasp"] and all("finger" in body for body in contacts["grasp"])
    assert_pick_and_place_maps(episode)


def test_success_needs_the_code_toward_the_robot_on_the_table():
    task = stage(TASK, seed=2)
    sign = task.actors["sign"]
    assert abs(heading(sign)) > np.pi / 2 and not task.check_success()  # spawned facing away
    xyz = [*task.spot, task.table_z + 0.002]

    def put(yaw, lift=0.0, settle=True):
        place_actor(sign, [xyz[0], xyz[1], xyz[2] + lift], yaw_quat(yaw))
        if settle:
            task.env.settle(0.3)
        return task.evaluate()

    assert put(np.deg2rad(5)) == {"facing_robot": True, "on_table": True, "grippers_open": True, "success": True}
    assert not put(np.deg2rad(15))["facing_robot"]  # RoboTwin allows 8.1 deg
    assert not put(np.pi)["facing_robot"]
    result = put(0.0, lift=0.05, settle=False)  # held up in the air
    assert result["facing_robot"] and not result["on_table"]
    put(0.0)
    task.env.robot["right"].set_gripper(0.1)
    assert task.evaluate()["facing_robot"] and not task.evaluate()["grippers_open"] and not task.check_success()
