"""move_pillbottle_pad: the expert stands the pill bottle on the blue pad (easy, hard) with grasp and
pad contacts whose value maps sit on the bottle and the pad; the success check (RoboTwin's) rejects
a bottle beside the pad, a bottle lying on the pad, and a gripper left closed."""
import numpy as np
import pytest

from tests.tasks.conftest import contact_summary, place_actor, stage, successful_expert_episode
from tests.tasks.placement_checks import assert_pick_and_place_maps

TASK = "move_pillbottle_pad"


@pytest.mark.parametrize("setting,seed", [("easy", 1), ("hard", 2)])
def test_expert_stands_the_bottle_on_the_pad(setting, seed):
    episode = successful_expert_episode(TASK, setting, seed)
    assert episode.attrs.roles == {"target": "pillbottle", "support": "pad"}
    contacts = contact_summary(episode)
    assert contacts["grasp"] and all("finger" in body for body in contacts["grasp"])
    assert contacts["support"] == {"pad"}
    bottle, pad = (episode.attrs.object_names.index(n) for n in ("pillbottle", "pad"))
    poses = episode.arrays["object_poses"]
    assert np.linalg.norm(poses[0, bottle, :2] - poses[0, pad, :2]) >= 0.1  # it really moved
    assert np.all(np.abs(poses[-1, bottle, :2] - poses[-1, pad, :2]) < 0.03)
    assert_pick_and_place_maps(episode)


def test_success_needs_the_bottle_standing_on_the_pad_and_open_grippers():
    task = stage(TASK, seed=2)
    bottle, pad = task.actors["pillbottle"], task.actors["pad"]
    assert not task.check_success()  # expert skipped: the bottle stands where it spawned
    x, y, top = *pad.get_pose().p[:2], pad.get_pose().p[2] + 0.0015

    def put(xyz, quat=(1.0, 0.0, 0.0, 0.0)):
        place_actor(bottle, xyz, quat)
        task.env.settle(0.3)
        return task.evaluate()

    assert put([x + 0.02, y - 0.02, top]) == {"on_pad": True, "standing": True, "grippers_open": True,
                                              "success": True}  # RoboTwin allows 3 cm per axis
    result = put([x + 0.04, y, top])  # 4 cm off: beside the pad
    assert not result["on_pad"] and not result["success"]
    radius = task.assets["pillbottle"].bounds[1, 0]
    lying = (np.cos(np.pi / 4), np.sin(np.pi / 4), 0.0, 0.0)  # turned 90 deg about x: on its side
    result = put([x, y + 0.02, top + radius + 0.003], lying)
    assert not result["standing"] and not result["success"]
    put([x, y, top])
    task.env.robot["left"].set_gripper(0.0)
    assert task.evaluate()["on_pad"] and not task.evaluate()["grippers_open"] and not task.check_success()
