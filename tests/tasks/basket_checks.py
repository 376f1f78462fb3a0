"""Checks shared by the basket tests (place_can_basket, place_object_basket): the expert's episode
puts the object into the basket and lifts it, and the success check rejects staged failures."""
import numpy as np

from tests.tasks.conftest import contact_summary, place_actor, stage, successful_expert_episode
from tests.tasks.placement_checks import assert_pick_and_place_maps


def assert_expert_fills_and_lifts(task_name: str, setting: str, seed: int) -> None:
    episode = successful_expert_episode(task_name, setting, seed)
    attrs, poses = episode.attrs, episode.arrays["object_poses"]
    assert attrs.roles == {"target": "object", "support": "basket"}
    contacts = contact_summary(episode)
    assert {body.split("/")[0] for body in contacts["grasp"]} == {"left", "right"}  # one places, one lifts
    assert "basket" in contacts["support"]
    obj, basket = attrs.object_names.index("object"), attrs.object_names.index("basket")
    assert abs(poses[0, obj, 0] - poses[0, basket, 0]) > 0.15  # started beside the basket
    assert poses[-1, basket, 2] - poses[0, basket, 2] > 0.02  # the basket is held up
    assert np.abs(poses[-1, obj, :3] - poses[-1, basket, :3]).sum() < 0.15
    assert_pick_and_place_maps(episode)


def assert_success_needs_the_object_in_a_lifted_basket(task_name: str, seed: int) -> None:
    task = stage(task_name, seed=seed)
    result = task.evaluate()  # expert skipped: the object lies on the table beside the basket
    assert not result["success"] and not result["object_in_basket"] and not result["object_off_table"]
    place_actor(task.actors["object"], task.spot()[:3, 3] + [0.0, 0.0, 0.003])
    task.env.settle(0.3)
    result = task.evaluate()  # in the basket, but the basket still stands on the table
    assert result["object_in_basket"] and result["object_off_table"] and result["object_near_basket"]
    assert not result["success"] and not result["basket_lifted"] and not result["object_lifted"]
