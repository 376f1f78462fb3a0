"""place_bread_skillet: one arm holds the skillet up, the other puts the bread in it (easy, hard), with
pick and place value maps; bread in a skillet left on the table, or beside the skillet, is no
success."""
import pytest

from tests.tasks.conftest import contact_summary, place_actor, stage, successful_expert_episode
from tests.tasks.placement_checks import assert_pick_and_place_maps

TASK = "place_bread_skillet"


@pytest.mark.parametrize("setting,seed", [("easy", 0), ("hard", 1)])
def test_expert_puts_the_bread_into_the_held_skillet(setting, seed):
    episode = successful_expert_episode(TASK, setting, seed)
    attrs, poses = episode.attrs, episode.arrays["object_poses"]
    assert attrs.roles == {"target": "bread", "support": "skillet"}
    contacts = contact_summary(episode)
    assert {body.split("/")[0] for body in contacts["grasp"]} == {"left", "right"}
    assert "skillet" in contacts["support"]
    bread, skillet = attrs.object_names.index("bread"), attrs.object_names.index("skillet")
    assert poses[-1, skillet, 2] - poses[0, skillet, 2] > 0.02  # held up
    assert poses[-1, bread, 2] - poses[0, bread, 2] > 0.02
    assert_pick_and_place_maps(episode)


def test_success_needs_the_bread_in_a_lifted_skillet():
    task = stage(TASK, seed=2)
    assert not task.check_success()  # expert skipped: bread and skillet on the table
    floor = task.actors["skillet"].get_pose().to_transformation_matrix() @ task.assets["skillet"].functional_points["inside"]
    place_actor(task.actors["bread"], floor[:3, 3] + [0.0, 0.0, 0.003])
    task.env.settle(0.3)
    result = task.evaluate()  # in the skillet, but the skillet stands on the table
    assert result["bread_on_skillet"] and not result["skillet_lifted"] and not result["success"]
    skillet_xy = task.actors["skillet"].get_pose().p[:2]
    place_actor(task.actors["bread"], [skillet_xy[0], skillet_xy[1] + 0.25, task.table_z + 0.002])
    task.env.settle(0.3)
    result = task.evaluate()  # beside the skillet
    assert not result["bread_on_skillet"] and not result["bread_lifted"] and not result["success"]
