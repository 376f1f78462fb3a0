"""place_container_plate: the expert puts the bowl or the cup on the plate (easy, hard) with grasp
and plate contacts whose value maps sit on the container and the plate; the success check
(RoboTwin's) rejects a container beside the plate or held above it, and a gripper left closed."""
import numpy as np
import pytest

from tests.tasks.conftest import contact_summary, place_actor, stage, successful_expert_episode
from tests.tasks.placement_checks import assert_pick_and_place_maps

TASK = "place_container_plate"


@pytest.mark.parametrize("setting,seed", [("easy", 0), ("hard", 1)])
def test_expert_puts_the_container_on_the_plate(setting, seed):
    episode = successful_expert_episode(TASK, setting, seed)
    assert episode.attrs.roles == {"target": "container", "support": "plate"}
    contacts = contact_summary(episode)
    assert contacts["grasp"] and all("finger" in body for body in contacts["grasp"])
    assert contacts["support"] == {"plate"}
    container, plate = (episode.attrs.object_names.index(n) for n in ("container", "plate"))
    poses = episode.arrays["object_poses"]
    assert np.linalg.norm(poses[0, container, :2] - poses[0, plate, :2]) >= 0.1  # it really moved
    assert np.all(np.abs(poses[-1, container, :3] - poses[-1, plate, :3]) < (0.05, 0.05, 0.03))
    assert_pick_and_place_maps(episode)


def test_success_needs_the_container_on_the_plate_and_open_grippers():
    task = stage(TASK, seed=2)
    container, plate = task.actors["container"], task.actors["plate"]
    assert not task.check_success()  # expert skipped: the container stands beside the plate
    floor = plate.get_pose().p + task.assets["plate"].functional_points["top"][:3, 3] + (0.0, 0.0, 0.002)

    def put(offset):
        place_actor(container, floor + np.asarray(offset))
        task.env.settle(0.3)
        return task.evaluate()

    assert put((0.0, 0.0, 0.0)) == {"on_plate": True, "grippers_open": True, "success": True}
    assert not put((0.0, 0.11, 0.0))["on_plate"]  # on the table in front of the plate
    place_actor(container, floor + (0.0, 0.0, 0.05))  # held 5 cm above the plate: RoboTwin allows 3
    assert not task.evaluate()["on_plate"]
    put((0.0, 0.0, 0.0))
    task.env.robot["left"].set_gripper(0.0)
    assert task.evaluate()["on_plate"] and not task.evaluate()["grippers_open"] and not task.check_success()
