"""Instruction templates of the wave-2 tasks: filled from the episode's objects, and the unseen
(hard) set never repeats a seen instruction."""
import numpy as np
import pytest

from tests.tasks.conftest import stage


@pytest.mark.parametrize("task_name", ["place_empty_cup", "click_bell", "beat_block_hammer",
                                       "lift_pot", "handover_block", "open_laptop"])
def test_seen_and_unseen_instructions_differ(task_name):
    task = stage(task_name, seed=0)
    rng = np.random.default_rng(0)
    seen = {task.instruction(rng, unseen=False) for _ in range(40)}
    unseen = {task.instruction(rng, unseen=True) for _ in range(40)}
    assert len(seen) == len(task.seen_templates) and len(unseen) == len(task.unseen_templates)
    assert not seen & unseen
    assert all("{" not in text for text in seen | unseen)
    assert any(value in text for value in task.instruction_fields.values() for text in seen)
