"""lift_pot: both arms grasp the pot's handles and lift it level (easy, hard); a pot left on the
table, or lifted without being held, is no success."""
import numpy as np
import pytest

from data_schemas import PHASE_PICK
from pipeline.annotate import annotate_episode
from pipeline.tasks.lift_pot import LIFT_MIN_M
from tests.tasks.conftest import contact_summary, place_actor, stage, successful_expert_episode

TASK = "lift_pot"


@pytest.mark.parametrize("setting,seed", [("easy", 0), ("hard", 1)])
def test_expert_lifts_the_pot_with_both_arms(setting, seed):
    episode = successful_expert_episode(TASK, setting, seed)
    attrs, arrays = episode.attrs, episode.arrays
    assert attrs.roles == {"target": "pot"}
    grasping = contact_summary(episode)["grasp"]
    assert {body.split("/")[0] for body in grasping} == {"left", "right"}  # both grippers hold it
    assert all("finger" in body for body in grasping)
    pot = attrs.object_names.index("pot")
    assert arrays["object_poses"][-1, pot, 2] - arrays["object_poses"][0, pot, 2] > LIFT_MIN_M
    result = annotate_episode(episode)
    assert result.attrs["events"]["grasp_step"] is not None
    assert PHASE_PICK in set(result.arrays["value/phase"].tolist())


def test_success_needs_the_pot_lifted_and_held():
    task = stage(TASK, seed=2)
    assert not task.check_success()  # expert skipped: the pot stands on the table
    pot = task.actors["pot"]
    lifted = pot.get_pose().p + np.array([0.0, 0.0, 0.1], dtype=np.float32)
    place_actor(pot, lifted, pot.get_pose().q)
    assert not task.check_success()  # high and level, but no gripper holds its handles
