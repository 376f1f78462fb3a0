"""A planning failure inside an expert ends the episode as success=False, recorded and schema-valid.

The task below exists only in this test: its expert makes one reachable move, then asks the
left arm for a TCP pose 2 m beyond the table, which the real mplib planner cannot reach. Its
`check_success` always says True, so a False in the episode can only come from the failure.
"""
import numpy as np
import pytest
import sapien

import pipeline.tasks
from data_schemas import validate_episode
from pipeline.assets import make_asset
from pipeline.record.rollout import RecordOptions, rollout_episode
from pipeline.sim.config import SimConfig
from pipeline.record.store import DatasetStore
from pipeline.tasks.base import Task

SMALL = SimConfig(image_size=(32, 32), record_every=60, settle_s=0.05)
SMALL_RECORD = RecordOptions(surface_points=16)
UNREACHABLE = [2.0, 0.0, 1.5]


class ReachBeyondTheTable(Task):
    name = "test_reach_beyond_the_table"
    seen_templates = ("Touch the far wall behind the {colour} block.",)
    unseen_templates = ("Reach past the {colour} block to the far wall.",)

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        self.add_object("block", make_asset("block", rng, name="block"), sapien.Pose([0.0, 0.0, self.table_z]))
        self.roles = {"target": "block", "support": "table"}
        self.instruction_fields["colour"] = "plain"

    def play_once(self) -> None:
        self.expert.move_by("left", [0.0, 0.0, 0.03])
        self.expert.move_to({"left": sapien.Pose(UNREACHABLE)})

    def check_success(self) -> bool:
        return True


@pytest.fixture
def unreachable_task(monkeypatch) -> str:
    """Registered for this test only, so other tests never see it in `list_tasks()`."""
    monkeypatch.setitem(pipeline.tasks._TASKS, ReachBeyondTheTable.name, ReachBeyondTheTable)
    return ReachBeyondTheTable.name


def test_planning_failure_gives_a_failed_schema_valid_episode(unreachable_task, tmp_path) -> None:
    episode = rollout_episode(unreachable_task, "easy", 0, SMALL, SMALL_RECORD)
    attrs = episode.attrs
    assert attrs.success is False
    assert "left arm: no path to TCP position [2.0, 0.0, 1.5]" in attrs.failure
    assert attrs.num_steps > 1, "the steps before the failure are recorded"
    assert attrs.object_names == attrs.segmentation_labels == ["block"]
    validate_episode(episode)

    store = DatasetStore.open(tmp_path / "dataset.zarr", mode="a")
    assert store.write_episode(episode)
    assert store.check_episode(attrs.episode_id) == []
    stored = store.read_attrs(attrs.episode_id)
    assert stored.success is False and stored.failure == attrs.failure
    assert store.update_index()[0]["success"] is False
