"""move_stapler_pad: the expert sets the stapler lengthwise on the pad (easy, hard) with grasp and
pad contacts whose value maps sit on the stapler and the pad; the success check (RoboTwin's)
rejects a stapler beside the pad, one turned a few degrees off the pad's axis, and a gripper left
closed."""
import numpy as np
import pytest

from pipeline.tasks.placing import yaw_quat
from tests.tasks.conftest import contact_summary, place_actor, stage, successful_expert_episode
from tests.tasks.placement_checks import assert_pick_and_place_maps

TASK = "move_stapler_pad"


@pytest.mark.parametrize("setting,seed", [("easy", 0), ("hard", 1)])
def test_expert_moves_the_stapler_onto_the_pad(setting, seed):
    episode = successful_expert_episode(TASK, setting, seed)
    assert episode.attrs.roles == {"target": "stapler", "support": "pad"}
    contacts = contact_summary(episode)
    assert contacts["grasp"] and all("finger" in body for body in contacts["grasp"])
    assert "pad" in contacts["support"]
    stapler, pad = (episode.attrs.object_names.index(n) for n in ("stapler", "pad"))
    poses = episode.arrays["object_poses"]
    assert np.linalg.norm(poses[0, stapler, :2] - poses[0, pad, :2]) >= 0.1  # it really moved
    assert np.all(np.abs(poses[-1, stapler, :2] - poses[-1, pad, :2]) < 0.02)
    assert_pick_and_place_maps(episode)


def test_success_needs_the_stapler_along_the_pad_and_open_grippers():
    task = stage(TASK, seed=2)
    stapler, pad = task.actors["stapler"], task.actors["pad"]
    assert not task.check_success()  # expert skipped: the stapler lies where it spawned

    def put(dxy, yaw):
        centre = np.asarray(pad.get_pose().p)
        place_actor(stapler, [centre[0] + dxy[0], centre[1] + dxy[1], centre[2] + 0.003], yaw_quat(yaw))
        task.env.settle(0.3)
        return task.evaluate()

    for yaw in (np.pi / 2, -np.pi / 2):  # length along the pad's long side, either way round
        assert put((0.0, 0.0), yaw) == {"on_pad": True, "aligned": True, "grippers_open": True, "success": True}
    result = put((0.0, 0.0), np.pi / 2 + np.deg2rad(5))  # RoboTwin allows about 2.3 deg
    assert result["on_pad"] and not result["aligned"]
    result = put((0.03, 0.0), np.pi / 2)  # 3 cm along x: RoboTwin allows 2
    assert not result["on_pad"] and result["aligned"]
    put((0.0, 0.0), np.pi / 2)
    task.env.robot["left"].set_gripper(0.5)  # half open is not open
    assert task.evaluate()["on_pad"] and not task.evaluate()["grippers_open"] and not task.check_success()
