"""stamp_seal: the expert sets the seal on the target square (easy, hard) with grasp and target
contacts whose value maps sit on the seal and the square; the success check (RoboTwin's 1 cm)
rejects a seal 1.5 cm off the centre and a gripper left closed."""
import numpy as np
import pytest

from tests.tasks.conftest import contact_summary, place_actor, stage, successful_expert_episode
from tests.tasks.placement_checks import assert_pick_and_place_maps

TASK = "stamp_seal"


@pytest.mark.parametrize("setting,seed", [("easy", 0), ("hard", 1)])
def test_expert_stamps_the_seal_on_the_target(setting, seed):
    episode = successful_expert_episode(TASK, setting, seed)
    assert episode.attrs.roles == {"target": "seal", "support": "target"}
    contacts = contact_summary(episode)
    assert contacts["grasp"] and all("finger" in body for body in contacts["grasp"])
    assert contacts["support"] == {"target"}
    seal, target = (episode.attrs.object_names.index(n) for n in ("seal", "target"))
    poses = episode.arrays["object_poses"]
    assert np.linalg.norm(poses[0, seal, :2] - poses[0, target, :2]) >= 0.1  # it really moved
    assert np.all(np.abs(poses[-1, seal, :2] - poses[-1, target, :2]) < 0.01)
    assert_pick_and_place_maps(episode)


def test_success_needs_the_seal_within_1cm_of_the_centre_and_open_grippers():
    task = stage(TASK, seed=2)
    seal, target = task.actors["seal"], task.actors["target"]
    assert not task.check_success()  # expert skipped: the seal stands where it spawned
    x, y, top = *target.get_pose().p[:2], target.get_pose().p[2] + 0.0015

    def put(dx, dy):
        place_actor(seal, [x + dx, y + dy, top], (np.cos(np.pi / 4), 0.0, 0.0, np.sin(np.pi / 4)))
        task.env.settle(0.3)
        return task.evaluate()

    assert put(0.006, -0.006) == {"on_target": True, "grippers_open": True, "success": True}
    assert not put(0.015, 0.0)["on_target"]
    assert not put(0.0, -0.015)["on_target"]
    put(0.0, 0.0)
    task.env.robot["right"].set_gripper(0.0)
    assert task.evaluate()["on_target"] and not task.evaluate()["grippers_open"] and not task.check_success()
