"""place_a2b_left / place_a2b_right: the expert puts A beside B on the asked side (easy, hard) with
grasp contacts whose value maps sit on A; the success check (RoboTwin's) rejects A on the wrong
side, too far from B or off B's row, and a gripper left closed; the layout is RoboTwin's mirror rule."""
import numpy as np
import pytest

from pipeline.tasks import get_task
from tests.tasks.conftest import contact_summary, place_actor, stage, successful_expert_episode
from tests.tasks.placement_checks import assert_pick_and_place_maps


@pytest.mark.parametrize("task_name,setting,seed", [("place_a2b_left", "easy", 0), ("place_a2b_right", "hard", 1)])
def test_expert_puts_a_beside_b(task_name, setting, seed):
    episode = successful_expert_episode(task_name, setting, seed)
    assert episode.attrs.roles == {"target": "object_a", "support": "table"}
    contacts = contact_summary(episode)
    assert contacts["grasp"] and all("finger" in body for body in contacts["grasp"])
    a, b = (episode.attrs.object_names.index(n) for n in ("object_a", "object_b"))
    poses = episode.arrays["object_poses"]
    side = -1.0 if task_name.endswith("left") else 1.0
    assert side * (poses[-1, a, 0] - poses[-1, b, 0]) > 0.08 and abs(poses[-1, a, 1] - poses[-1, b, 1]) < 0.05
    assert_pick_and_place_maps(episode)


@pytest.mark.parametrize("task_name,side", [("place_a2b_left", -1.0), ("place_a2b_right", 1.0)])
def test_success_needs_a_on_the_asked_side_of_b(task_name, side):
    task = stage(task_name, seed=3)
    a, b = task.actors["object_a"], task.actors["object_b"]
    assert not task.check_success()  # RoboTwin's layout never starts solved
    bx, by = np.asarray(b.get_pose().p[:2])
    z = task.table_z + 0.002

    def put(x, y):
        place_actor(a, [x, y, z])
        task.env.settle(0.3)
        return task.evaluate()

    assert put(bx + side * 0.13, by) == {"beside": True, "on_the_side": True, "grippers_open": True, "success": True}
    result = put(bx - side * 0.13, by)  # the other side
    assert result["beside"] and not result["on_the_side"]
    assert not put(bx + side * 0.22, by)["beside"]  # RoboTwin: closer than 0.2
    assert not put(bx + side * 0.12, by + 0.06)["beside"]  # RoboTwin: |dy| < 0.05
    put(bx + side * 0.13, by)
    task.env.robot["left" if side < 0 else "right"].set_gripper(0.0)
    assert task.evaluate()["beside"] and not task.evaluate()["grippers_open"] and not task.check_success()


@pytest.mark.parametrize("task_name,side", [("place_a2b_left", -1.0), ("place_a2b_right", 1.0)])
def test_layout_is_robotwins_rule(task_name, side):
    for seed in range(200):
        a_xy, b_xy = get_task(task_name).layout(np.random.default_rng(seed))
        a_x, b_x = -side * a_xy[0], -side * b_xy[0]  # in the left task's frame
        assert -0.22 <= a_x <= 0.22 and -0.2 <= a_xy[1] <= 0 and -0.2 <= b_xy[1] <= 0
        assert (0.18 <= b_x <= 0.23) if a_x > 0 else (-0.1 <= b_x <= 0.1)
        assert np.linalg.norm(a_xy - b_xy) >= 0.1 and abs(a_xy[1] - b_xy[1]) >= 0.1
