"""End to end on the real simulator: aim-annotate's library path rolls out place_shoe, then annotates it.

Slow (a SAPIEN + mplib rollout on CPU); the quality figures are the paper's checks: value mass on
the shoe while picking and on the mat while placing, and the real finger contact falling in the top
of the map. At the recorded size (240x320): at 144x192 the head camera's finger contacts are visible
but none reaches the top 10% of the pick map (0/55), at 112x160 none is visible (not diagnosed; a suspect: the
contact check's pixel margins do not scale with the image).
"""
import numpy as np
import pytest

from data_schemas import PHASE_PICK, PHASE_PLACE
from pipeline.annotate.cli import run
from pipeline.record.store import DatasetStore

pytestmark = pytest.mark.slow


def test_rollout_then_annotate_place_shoe(tmp_path):
    from pipeline.sim.config import SimConfig

    dataset = tmp_path / "ds.zarr"
    results = run("place_shoe", str(dataset), episodes=1, setting="easy", previews=tmp_path / "previews",
                  overwrite=False, sim_config=SimConfig(image_size=(240, 320)), create=True)
    assert len(results) == 1 and not results[0].skipped
    result = results[0]
    store = DatasetStore.open(dataset)
    eid = result.episode_id
    assert store.value_params(eid)["digest"] == result.attrs["digest"]
    phase = store.array(eid, "value/phase")[...]
    events = result.attrs["events"]
    assert events["grasp_step"] is not None and events["place_step"] > events["grasp_step"]
    assert (phase[: events["grasp_step"] + 1] == PHASE_PICK).all()
    assert (phase[events["grasp_step"] + 1: events["place_step"] + 1] == PHASE_PLACE).all()
    regions = result.attrs["regions"]
    assert regions["pick"]["frame"] == "shoe" and regions["place"]["frame"] == "shoe_mat"
    assert result.stats["pick"]["mass_on_actor"] >= 0.9 and result.stats["place"]["mass_on_actor"] >= 0.9
    assert result.stats["pick"]["contacts_tested"] > 0 and result.stats["pick"]["contact_in_top"] >= 0.8
    maps = store.array(eid, "value/map")[...]
    assert maps.dtype == np.float16 and maps[phase == PHASE_PICK].max() == 1.0
    assert (tmp_path / "previews" / f"{eid}.mp4").stat().st_size > 0
