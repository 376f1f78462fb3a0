"""beat_block_hammer: the expert grasps the hammer and strikes the block's top (easy, hard),
recorded as hammer-on-block press contacts after the grasp; an untouched block, or a hammer lying
beside it, is no strike, a hammer dropped onto its top is one."""
import numpy as np
import pytest

from data_schemas import PHASE_PICK, PHASE_PLACE
from pipeline.annotate import annotate_episode
from pipeline.tasks.placing import heading
from tests.tasks.conftest import contact_summary, place_actor, stage, successful_expert_episode

TASK = "beat_block_hammer"


@pytest.mark.parametrize("setting,seed", [("easy", 2), ("hard", 3)])
def test_expert_strikes_block_with_hammer(setting, seed):
    episode = successful_expert_episode(TASK, setting, seed)
    attrs = episode.attrs
    assert attrs.roles == {"target": "hammer", "pressed": "block", "tool": "hammer"}
    contacts = contact_summary(episode)
    assert contacts["press"] == {"hammer"}
    assert contacts["grasp"] and all("finger" in body for body in contacts["grasp"])
    result = annotate_episode(episode)
    events = result.attrs["events"]
    assert events["grasp_step"] is not None and events["press_step"] > events["grasp_step"]
    assert {PHASE_PICK, PHASE_PLACE} <= set(result.arrays["value/phase"].tolist())


def test_success_needs_the_hammer_on_the_block_top():
    task = stage(TASK, seed=4)
    hammer, block = task.actors["hammer"], task.actors["block"]
    assert not task.check_success()  # expert skipped
    block_xy, top = block.get_pose().p[:2], block.get_pose().p[2] + task.assets["block"].bounds[1, 2]
    place_actor(hammer, [block_xy[0], block_xy[1] - 0.12, task.table_z + 0.002])
    task.env.settle(0.3)
    assert not task.check_success()  # lying on the table beside the block
    head_x = task.striking_face()[0, 3]
    place_actor(hammer, [block_xy[0] - head_x, block_xy[1], top + 0.01])
    task.env.settle(0.3)
    assert task.check_success()


def test_the_block_is_robotwins_red_5cm_cube_within_its_ranges():
    for seed in range(6):
        task = stage(TASK, seed=seed)
        block = task.actors["block"]
        bounds = task.assets["block"].bounds
        assert np.allclose(bounds[1] - bounds[0], 0.05) and task.instruction_fields["block"] == "red"
        assert task.instruction_fields["hammer"] != "red"
        x, yaw = block.get_pose().p[0], heading(block)
        assert 0.05 <= abs(x) <= 0.25 and abs(yaw) <= 0.5, (seed, x, yaw)
