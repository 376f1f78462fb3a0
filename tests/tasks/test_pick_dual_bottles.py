"""pick_dual_bottles: pick_diverse_bottles with the two fixed bottle models: the same bottles every
episode, and the expert lifts them (easy, hard)."""
import numpy as np
import pytest

from tests.tasks.conftest import stage, successful_expert_episode

TASK = "pick_dual_bottles"


@pytest.mark.parametrize("setting,seed", [("easy", 2), ("hard", 3)])
def test_expert_lifts_both_fixed_bottles(setting, seed):
    episode = successful_expert_episode(TASK, setting, seed)
    assert episode.attrs.roles == {"target": "bottle_left"}


def test_the_two_bottle_models_are_fixed():
    first, second = stage(TASK, seed=0), stage(TASK, seed=1)
    for arm in ("left", "right"):
        a, b = first.assets[f"bottle_{arm}"], second.assets[f"bottle_{arm}"]
        assert np.allclose(a.bounds, b.bounds) and [p.color for p in a.visuals] == [p.color for p in b.visuals]
    assert not np.allclose(first.assets["bottle_left"].bounds, first.assets["bottle_right"].bounds)
    assert first.instruction_fields == {"left_bottle": "red", "right_bottle": "blue"}
