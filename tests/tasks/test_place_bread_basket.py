"""place_bread_basket: the loaves go into the bread basket (one arm or both, easy, hard), with pick
and place value maps; a loaf left on the table, or a gripper still closed, is no success."""
import pytest

from tests.tasks.conftest import contact_summary, place_actor, stage, successful_expert_episode
from tests.tasks.placement_checks import assert_pick_and_place_maps

TASK = "place_bread_basket"


@pytest.mark.parametrize("setting,seed", [("easy", 0), ("hard", 1)])
def test_expert_puts_the_bread_into_the_basket(setting, seed):
    episode = successful_expert_episode(TASK, setting, seed)
    attrs, poses = episode.attrs, episode.arrays["object_poses"]
    assert attrs.roles["support"] == "bread_basket"
    assert "bread_basket" in contact_summary(episode)["support"]
    basket = attrs.object_names.index("bread_basket")
    for name in (n for n in attrs.object_names if n.startswith("bread_") and n != "bread_basket"):
        loaf = attrs.object_names.index(name)
        assert abs(poses[0, loaf, 0] - poses[0, basket, 0]) >= 0.15  # started beside the basket
        assert all(abs(poses[-1, loaf, k] - poses[-1, basket, k]) < 0.05 for k in (0, 1))
    assert_pick_and_place_maps(episode)


def test_success_needs_every_loaf_in_the_basket_and_open_grippers():
    task = stage(TASK, seed=3)
    assert len(task.loaves) == 2
    assert not task.check_success()  # expert skipped: the loaves lie beside the basket
    for index, name in enumerate(task.loaves):
        place_actor(task.actors[name], task.target(name, index)[:3, 3], task.actors[name].get_pose().q)
    task.env.settle(0.3)
    assert task.check_success()
    task.env.robot["left"].set_gripper(0.0)  # RoboTwin requires both grippers open
    result = task.evaluate()
    assert not result["success"] and not result["grippers_open"]
    task.env.robot["left"].set_gripper(1.0)
    basket_xy = task.actors["bread_basket"].get_pose().p[:2]
    place_actor(task.actors["bread_1"], [basket_xy[0] + 0.3, basket_xy[1], task.table_z + 0.002])
    task.env.settle(0.3)
    result = task.evaluate()
    assert not result["success"] and result["bread_0_in_basket"] and not result["bread_1_in_basket"]
