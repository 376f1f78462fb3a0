"""move_can_pot: the arm on the can's side sets the can down upright beside the pot (easy, hard),
with a pick value map on the can; a can left where it was, on its side, on the pot's far side or
with the gripper closed is no success."""
import numpy as np
import pytest

from data_schemas import PHASE_PICK
from pipeline.annotate import annotate_episode
from pipeline.tasks.move_can_pot import BESIDE_M
from tests.tasks.conftest import contact_summary, place_actor, stage, successful_expert_episode

TASK = "move_can_pot"


@pytest.mark.parametrize("setting,seed", [("easy", 0), ("hard", 1)])
def test_expert_moves_the_can_beside_the_pot(setting, seed):
    episode = successful_expert_episode(TASK, setting, seed)
    attrs, poses = episode.attrs, episode.arrays["object_poses"]
    assert attrs.roles == {"target": "can", "support": "table"}
    assert all("finger" in body for body in contact_summary(episode)["grasp"])
    can, pot = (attrs.object_names.index(name) for name in ("can", "pot"))
    assert np.linalg.norm(poses[0, can, :2] - poses[0, pot, :2]) >= 0.3
    assert abs(abs(poses[-1, can, 0] - poses[-1, pot, 0]) - BESIDE_M) < 0.03
    result = annotate_episode(episode)
    assert result.attrs["events"]["grasp_step"] is not None
    assert PHASE_PICK in set(result.arrays["value/phase"].tolist())
    assert result.stats["pick"]["mass_on_actor"] >= 0.9


def test_success_needs_the_can_upright_on_the_table_on_its_side_of_the_pot():
    task = stage(TASK, seed=2)
    can = task.actors["can"]
    assert not task.check_success()  # expert skipped: the can stands where it was
    pot = task.actors["pot"].get_pose().p
    side = -1.0 if task.arm == "left" else 1.0
    place_actor(can, [pot[0] + side * BESIDE_M, pot[1], task.table_z + 0.002])
    task.env.settle(0.3)
    assert task.check_success()
    task.env.robot[task.arm].set_gripper(0.0)
    assert not task.evaluate()["grippers_open"] and not task.check_success()
    task.env.robot[task.arm].set_gripper(1.0)
    lying = [np.cos(np.pi / 4), np.sin(np.pi / 4), 0.0, 0.0]  # 90 deg about x
    place_actor(can, [pot[0] + side * BESIDE_M, pot[1], task.table_z + 0.04], lying)
    task.env.settle(0.3)
    result = task.evaluate()
    assert not result["success"] and not result["upright"]
    place_actor(can, [pot[0] - side * BESIDE_M, pot[1], task.table_z + 0.002])  # the pot's other side
    task.env.settle(0.3)
    result = task.evaluate()
    assert not result["success"] and not result["beside_pot_x"]
