"""pick_diverse_bottles: both arms pick their bottle and hold it up in front (easy, hard), with a
pick value map on the left bottle; bottles left standing, held too low or off the goal are no success
(in pick_dual_bottles too, which shares the check)."""
import numpy as np
import pytest

from data_schemas import PHASE_PICK
from pipeline.annotate import annotate_episode
from pipeline.tasks.pick_diverse_bottles import GOAL_XY, MIN_HEIGHT_M
from tests.tasks.conftest import contact_summary, place_actor, stage, successful_expert_episode

TASK = "pick_diverse_bottles"


@pytest.mark.parametrize("setting,seed", [("easy", 0), ("hard", 1)])
def test_expert_lifts_both_bottles_to_the_front(setting, seed):
    episode = successful_expert_episode(TASK, setting, seed)
    attrs, poses = episode.attrs, episode.arrays["object_poses"]
    assert attrs.roles == {"target": "bottle_left"}
    grasping = contact_summary(episode)["grasp"]
    assert {body.split("/")[0] for body in grasping} == {"left", "right"} and all("finger" in b for b in grasping)
    for arm in ("left", "right"):
        index = attrs.object_names.index(f"bottle_{arm}")
        assert poses[-1, index, 2] - poses[0, index, 2] > MIN_HEIGHT_M
        assert np.abs(poses[-1, index, :2] - GOAL_XY[arm]).max() < 0.03
    result = annotate_episode(episode)
    assert result.attrs["events"]["grasp_step"] is not None
    assert PHASE_PICK in set(result.arrays["value/phase"].tolist())
    assert result.stats["pick"]["mass_on_actor"] >= 0.9


@pytest.mark.parametrize("task_name", [TASK, "pick_dual_bottles"])  # one check, both tasks
def test_success_needs_both_bottles_up_at_their_goals(task_name):
    task = stage(task_name, seed=3)
    assert not task.check_success()  # expert skipped: both bottles stand on the table
    z = task.table_z + MIN_HEIGHT_M + 0.05
    for arm in ("left", "right"):  # held up at the goal (teleported: gravity pulls them down later)
        place_actor(task.actors[f"bottle_{arm}"], [*GOAL_XY[arm], z])
    assert task.check_success()
    place_actor(task.actors["bottle_right"], [0.2, -0.105, z])  # right one 14 cm off its goal
    result = task.evaluate()
    assert not result["success"] and not result["right_at_goal_xy"] and result["left_at_goal_xy"]
    place_actor(task.actors["bottle_right"], [*GOAL_XY["right"], task.table_z + MIN_HEIGHT_M - 0.03])
    result = task.evaluate()
    assert not result["success"] and not result["right_lifted"]
