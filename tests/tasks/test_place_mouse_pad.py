"""place_mouse_pad: the expert lays the mouse lengthwise on the pad (easy, hard) with grasp and pad
contacts whose value maps sit on the mouse and the pad; the success check (RoboTwin's) rejects a
mouse beside the pad, a mouse across the pad, and a gripper left closed."""
import numpy as np
import pytest

from pipeline.tasks.placing import yaw_quat
from tests.tasks.conftest import contact_summary, place_actor, stage, successful_expert_episode
from tests.tasks.placement_checks import assert_pick_and_place_maps

TASK = "place_mouse_pad"


@pytest.mark.parametrize("setting,seed", [("easy", 1), ("hard", 3)])
def test_expert_lays_the_mouse_on_the_pad(setting, seed):
    episode = successful_expert_episode(TASK, setting, seed)
    assert episode.attrs.roles == {"target": "mouse", "support": "mouse_pad"}
    contacts = contact_summary(episode)
    assert contacts["grasp"] and all("finger" in body for body in contacts["grasp"])
    assert contacts["support"] == {"mouse_pad"}
    mouse, pad = (episode.attrs.object_names.index(n) for n in ("mouse", "mouse_pad"))
    poses = episode.arrays["object_poses"]
    assert np.linalg.norm(poses[0, mouse, :2] - poses[0, pad, :2]) >= 0.1  # it really moved
    assert np.all(np.abs(poses[-1, mouse, :2] - poses[-1, pad, :2]) < (0.015, 0.012))
    assert_pick_and_place_maps(episode)


def test_success_needs_the_mouse_lengthwise_on_the_pad_and_open_grippers():
    task = stage(TASK, seed=2)
    mouse, pad = task.actors["mouse"], task.actors["mouse_pad"]
    assert not task.check_success()  # expert skipped: the mouse lies where it spawned
    centre, top = pad.get_pose().p[:2], pad.get_pose().p[2] + 0.003
    for yaw in (0.0, np.pi, np.deg2rad(20)):  # x axis along +-x (RoboTwin allows 25.8 deg)
        place_actor(mouse, [*centre, top], yaw_quat(yaw))
        task.env.settle(0.3)
        assert task.evaluate() == {"on_pad": True, "aligned": True, "grippers_open": True, "success": True}
    place_actor(mouse, [*centre, top], yaw_quat(np.deg2rad(40)))  # turned across the pad
    task.env.settle(0.3)
    assert task.evaluate()["on_pad"] and not task.evaluate()["aligned"]
    place_actor(mouse, [centre[0], centre[1] + 0.02, top], yaw_quat(0.0))  # 2 cm along: RoboTwin allows 1.2
    task.env.settle(0.3)
    assert not task.evaluate()["on_pad"] and task.evaluate()["aligned"]
    place_actor(mouse, [*centre, top], yaw_quat(0.0))
    task.env.settle(0.3)
    task.env.robot["right"].set_gripper(0.0)
    assert task.evaluate()["on_pad"] and not task.evaluate()["grippers_open"] and not task.check_success()
