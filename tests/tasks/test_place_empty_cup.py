"""place_empty_cup: the expert succeeds (easy, hard) with grasp and coaster contacts the annotator
can use; the success check rejects a cup off the coaster, tipped over, or never moved."""
import numpy as np
import pytest

from data_schemas import PHASE_PICK, PHASE_PLACE
from pipeline.annotate import annotate_episode
from tests.tasks.conftest import contact_summary, place_actor, stage, successful_expert_episode

TASK = "place_empty_cup"


@pytest.mark.parametrize("setting,seed", [("easy", 1), ("hard", 2)])
def test_expert_places_cup_on_coaster(setting, seed):
    episode = successful_expert_episode(TASK, setting, seed)
    attrs = episode.attrs
    assert attrs.roles == {"target": "cup", "support": "coaster"}
    contacts = contact_summary(episode)
    assert contacts["grasp"] and all("finger" in body for body in contacts["grasp"])
    assert contacts["support"] == {"coaster"}
    cup, coaster = (attrs.object_names.index(n) for n in ("cup", "coaster"))
    poses = episode.arrays["object_poses"]
    assert np.linalg.norm(poses[0, cup, :2] - poses[0, coaster, :2]) > 0.1  # it really moved
    assert np.linalg.norm(poses[-1, cup, :2] - poses[-1, coaster, :2]) < 0.025
    result = annotate_episode(episode)
    events = result.attrs["events"]
    assert events["grasp_step"] is not None and events["place_step"] > events["grasp_step"]
    assert {PHASE_PICK, PHASE_PLACE} <= set(result.arrays["value/phase"].tolist())


def test_success_check_needs_the_cup_upright_on_the_coaster():
    task = stage(TASK, seed=5)
    cup, coaster = task.actors["cup"], task.actors["coaster"]
    assert not task.check_success()  # expert skipped: the cup stands where it was put
    top = coaster.get_pose().p[2] + task.assets["coaster"].bounds[1, 2]
    place_actor(cup, [*coaster.get_pose().p[:2], top + 0.002])
    task.env.settle(0.4)
    assert task.check_success()
    place_actor(cup, [*(coaster.get_pose().p[:2] + [0.05, 0.0]), top + 0.002])
    task.env.settle(0.4)
    assert not task.check_success()  # resting on the coaster's rim/table, off centre
    lying = [np.cos(np.pi / 4), np.sin(np.pi / 4), 0.0, 0.0]  # 90 deg about x
    place_actor(cup, [*coaster.get_pose().p[:2], top + 0.04], lying)
    task.env.settle(0.4)
    assert not task.check_success()
