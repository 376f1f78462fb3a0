"""place_phone_stand: the expert stands the phone in the stand (easy, hard) with grasp and stand
contacts whose value maps sit on the phone and the stand; the success check (RoboTwin's, on the
phone's and the stand's "dock" points) accepts a docked phone and rejects one lying in front of
the stand, one docked upside down and a gripper left closed."""
import numpy as np
import pytest

from pipeline.sim.poses import matrix_to_pose
from tests.tasks.conftest import contact_summary, place_actor, stage, successful_expert_episode
from tests.tasks.placement_checks import assert_pick_and_place_maps

TASK = "place_phone_stand"
HALF_TURN_ABOUT_Z = np.diag([-1.0, -1.0, 1.0, 1.0])


@pytest.mark.parametrize("setting,seed", [("easy", 0), ("hard", 2)])
def test_expert_stands_the_phone_in_the_stand(setting, seed):
    episode = successful_expert_episode(TASK, setting, seed)
    assert episode.attrs.roles == {"target": "phone", "support": "phone_stand"}
    contacts = contact_summary(episode)
    assert contacts["grasp"] and all("finger" in body for body in contacts["grasp"])
    assert contacts["support"] == {"phone_stand"}
    phone = episode.attrs.object_names.index("phone")
    w, x, y, z = episode.arrays["object_poses"][-1, phone, 3:]
    normal = np.array([2 * (x * z + w * y), 2 * (y * z - w * x), 1 - 2 * (x * x + y * y)])
    assert normal[1] < -0.7  # the screen normal: +z lying flat, toward the robot (-y) standing
    assert_pick_and_place_maps(episode)


def _put(task, phone_matrix):
    pose = matrix_to_pose(phone_matrix)
    place_actor(task.actors["phone"], pose.p, pose.q)
    task.env.settle(0.5)
    return task.evaluate()


def test_success_needs_the_phone_docked_bottom_down_and_open_grippers():
    task = stage(TASK, seed=2)
    assert not task.check_success()  # expert skipped: the phone lies on the table
    phone_dock = task.assets["phone"].functional_points["dock"]
    _, stand_dock = task.dock_points()
    docked = stand_dock @ np.linalg.inv(phone_dock)
    assert _put(task, docked) == {"docked": True, "grippers_open": True, "success": True}
    upside_down = stand_dock @ HALF_TURN_ABOUT_Z @ phone_dock  # top edge in the slot (dock point 1 length up)
    assert not _put(task, upside_down)["docked"]
    flat = np.eye(4)
    flat[:3, 3] = stand_dock[:3, 3] + (0.0, -0.14, -stand_dock[2, 3] + task.table_z)  # lying in front of the stand
    assert not _put(task, flat)["docked"]
    _put(task, docked)
    task.env.robot["left"].set_gripper(0.0)
    assert task.evaluate()["docked"] and not task.evaluate()["grippers_open"] and not task.check_success()
