"""open_laptop: the expert pushes the lid open past the threshold (easy, hard), recorded as press
contacts on the lid; a lid left ajar, or opened too little, is no success."""
import numpy as np
import pytest

from data_schemas import PHASE_PICK
from pipeline.annotate import annotate_episode
from pipeline.tasks.open_laptop import OPEN_ANGLE_RAD
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
    assert task.angle() < OPEN_ANGLE_RAD and not task.check_success()  # expert skipped: lid ajar
    for angle, opened in ((OPEN_ANGLE_RAD - 0.1, False), (OPEN_ANGLE_RAD + 0.1, True)):
        task.laptop.set_qpos(np.array([angle], dtype=np.float32))
        task.env.settle(0.2)
        assert task.check_success() == opened
