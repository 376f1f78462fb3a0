"""open_laptop: the expert pushes the lid open past the threshold (easy, hard), recorded as press
contacts on the lid; a lid left ajar, or opened too little, is no success."""
import numpy as np
import pytest

from data_schemas import PHASE_PICK
from pipeline.annotate import annotate_episode
from pipeline.sim.primitives import entity_matrix
from pipeline.tasks.open_laptop import OPEN_FRACTION
from tests.tasks.conftest import contact_summary, stage, successful_expert_episode

TASK = "open_laptop"


@pytest.mark.parametrize("setting,seed", [("easy", 0), ("hard", 1)])
def test_expert_pushes_the_lid_open(setting, seed):
    episode = successful_expert_episode(TASK, setting, seed)
    attrs = episode.attrs
    assert attrs.roles == {"pressed": "laptop_lid"}
    assert {"laptop_base", "laptop_lid"} <= set(attrs.object_names)
    contacts = contact_summary(episode)
    assert contacts["press"] and all(body.startswith(("left/", "right/")) for body in contacts["press"])
    assert "grasp" not in contacts  # pushing is not grasping
    result = annotate_episode(episode)
    assert result.attrs["events"]["press_step"] is not None
    assert PHASE_PICK in set(result.arrays["value/phase"].tolist())


def test_success_needs_the_lid_past_the_threshold():
    task = stage(TASK, seed=3)
    assert task.open_fraction() < OPEN_FRACTION and not task.check_success()  # expert skipped: lid ajar
    low, high = task.laptop.get_active_joints()[0].get_limits()[0]
    for fraction, opened in ((OPEN_FRACTION - 0.05, False), (OPEN_FRACTION + 0.05, True)):
        task.laptop.set_qpos(np.array([low + fraction * (high - low)], dtype=np.float32))
        task.env.settle(0.2)
        assert task.evaluate()["open"] == opened and not task.check_success()  # the arm is still at home


def test_the_arm_is_the_one_the_laptops_front_turns_to():
    """RoboTwin's rule (the sign of the yaw noise), not the laptop's side: both arms occur, on both sides."""
    seen = set()
    for seed in range(8):
        task = stage(TASK, seed=seed)
        lid = entity_matrix(task.actors["laptop_lid"])
        edge = (lid @ np.append(task.assets["laptop_lid"].hinge.contact_points["lid_front_edge"], 1.0))[:3]
        front_x = edge[0] - lid[0, 3]
        assert task.arm == ("left" if front_x < 0 else "right"), (seed, front_x, task.arm)
        seen.add((task.arm, bool(task.actors["laptop_base"].get_pose().p[0] < 0)))
    assert len(seen) >= 3, seen  # the arm does not follow the side the laptop stands on
