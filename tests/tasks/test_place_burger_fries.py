"""place_burger_fries: the left arm puts the burger, the right arm the fries onto the tray (easy,
hard), with pick and place value maps; food left beside the tray, or a closed gripper, is no success."""
import numpy as np
import pytest

from data_schemas import PHASE_PICK, PHASE_PLACE
from pipeline.annotate import annotate_episode
from tests.tasks.conftest import contact_summary, place_actor, stage, successful_expert_episode

TASK = "place_burger_fries"


@pytest.mark.parametrize("setting,seed", [("easy", 0), ("hard", 2)])
def test_expert_serves_burger_and_fries_on_the_tray(setting, seed):
    episode = successful_expert_episode(TASK, setting, seed)
    attrs, poses = episode.attrs, episode.arrays["object_poses"]
    assert attrs.roles == {"target": "burger", "support": "tray"}
    contacts = contact_summary(episode)
    grasping = {body.split("/")[0] for body in contacts["grasp"]}
    assert grasping == {"left", "right"} and "tray" in contacts["support"]
    tray = attrs.object_names.index("tray")
    for name, sign in (("burger", -1.0), ("fries", 1.0)):
        food = attrs.object_names.index(name)
        assert np.sign(poses[-1, food, 0] - poses[-1, tray, 0]) == sign  # on its own half of the tray
        assert np.linalg.norm(poses[-1, food, :2] - poses[-1, tray, :2]) < 0.12
    result = annotate_episode(episode)
    events = result.attrs["events"]
    assert events["grasp_step"] is not None and events["place_step"] > events["grasp_step"]
    assert {PHASE_PICK, PHASE_PLACE} <= set(result.arrays["value/phase"].tolist())
    assert result.stats["pick"]["mass_on_actor"] >= 0.9 and result.stats["place"]["mass_on_actor"] >= 0.9


def test_success_needs_both_foods_on_the_tray_and_open_grippers():
    task = stage(TASK, seed=3)
    assert not task.check_success()  # expert skipped: burger and fries beside the tray
    for arm, name in (("left", "burger"), ("right", "fries")):
        place_actor(task.actors[name], task.spots()[arm][:3, 3] + [0.0, 0.0, 0.003])
    task.env.settle(0.3)
    assert task.check_success()
    task.env.robot["left"].set_gripper(0.0)
    result = task.evaluate()
    assert not result["success"] and not result["grippers_open"]
    task.env.robot["left"].set_gripper(1.0)
    place_actor(task.actors["fries"], [0.3, 0.1, task.table_z + 0.002])  # back on the table, off the tray
    task.env.settle(0.3)
    result = task.evaluate()
    assert not result["success"] and not result["fries_on_tray"] and result["burger_on_tray"]
