"""The hard setting as RoboTwin 2.0's randomized config: up to 10 clutter objects from the library
(no look-alikes of the task's objects) clear of the task objects, tall ones in the far half; RoboTwin
lights (two point lights, random colours, shadows), table height U(-3, 0) cm, textures from the
seen set, or the unseen set for evaluation."""
import numpy as np
import pytest

from pipeline.assets import lookalikes
from pipeline.sim.appearance import EASY_APPEARANCE, sample_appearance
from pipeline.tasks.base import CLUTTER_MAX, CLUTTER_TALL_M, footprint_radius
from tests.tasks.conftest import stage


@pytest.mark.parametrize("task_name,seed", [("place_empty_cup", 0), ("stack_blocks_two", 1), ("open_laptop", 2)])
def test_clutter_is_library_objects_clear_of_the_task(task_name, seed):
    task = stage(task_name, setting="hard", seed=seed)
    clutter = [name for name in task.actors if name.startswith("distractor_")]
    task_names = [name for name in task.actors if not name.startswith("distractor_")]
    excluded = set().union(*(lookalikes(task.assets[name].kind) for name in task_names))
    assert 5 <= len(clutter) <= CLUTTER_MAX
    assert not excluded & {task.assets[name].kind for name in clutter}
    assert not set(clutter) & set(task.tracked)
    for name in clutter:
        asset, xy = task.assets[name], np.asarray(task.actors[name].get_pose().p[:2])
        radius = footprint_radius(asset)
        assert abs(xy[0]) + radius <= 0.6 + 1e-6 and xy[1] + radius <= 0.34 + 1e-6
        if asset.bounds[1, 2] > CLUTTER_TALL_M:
            assert xy[1] - radius >= -0.02  # tall clutter stays in the far half (it may settle a little)
    # footprints are reserved in creation order: the task's own first, then the clutter's
    reserved, placed = task._occupied[:-len(clutter)], task._occupied[-len(clutter):]
    for centre, radius in placed:  # no clutter disc on a task object's reserved footprint
        assert all(np.linalg.norm(centre - c) > radius + r for c, r in reserved)


def test_hard_appearance_is_robotwin_randomisation():
    looks = [sample_appearance("hard", np.random.default_rng(seed)) for seed in range(40)]
    assert all(-0.03 <= look.table_height_offset <= 0.0 for look in looks)
    assert all(look.shadows and len(look.point_lights) == 2 for look in looks)
    assert len({look.light_color for look in looks}) == 40 and len({look.point_lights for look in looks}) == 40
    assert all(look.texture_set == "seen" for look in looks)
    assert sum(look.table_texture_seed is not None for look in looks) >= 36  # plain with probability 0.02
    unseen = sample_appearance("hard", np.random.default_rng(0), texture_set="unseen")
    assert unseen.texture_set == "unseen" and unseen.table_height_offset == looks[0].table_height_offset
    assert sample_appearance("easy", np.random.default_rng(0)) == EASY_APPEARANCE
    assert not EASY_APPEARANCE.shadows
    with pytest.raises(ValueError, match="texture set"):
        sample_appearance("hard", np.random.default_rng(0), texture_set="eval")
