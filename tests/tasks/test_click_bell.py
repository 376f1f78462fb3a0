"""click_bell: the expert presses the button (easy, hard), recorded as press contacts of the robot
on the bell; a bell never touched, or touched off the button, is no click."""
import numpy as np
import pytest

from data_schemas import PHASE_PICK, SEGMENTATION_TABLE, SEGMENTATION_UNTRACKED
from pipeline.sim.primitives import entity_matrix
from pipeline.tasks.pressing import HOVER_M, PRESS_DEPTH_M
from tests.tasks.conftest import stage, successful_expert_episode
from tests.tasks.press_checks import assert_pressed_by_fingers

TASK = "click_bell"


@pytest.mark.parametrize("setting,seed", [("easy", 0), ("hard", 1)])
def test_expert_clicks_the_bell(setting, seed):
    episode = successful_expert_episode(TASK, setting, seed)
    assert episode.attrs.expert_revision == 2  # the hover ending: stores of revision 1 are refused, not topped up
    result, tcp = assert_pressed_by_fingers(episode, "bell")
    assert PHASE_PICK in set(result.arrays["value/phase"].tolist())
    rise = tcp[-1] - tcp[int(np.argmin(tcp[:, 2]))]  # as RoboTwin, the demonstration ends at the hover, not at home
    assert np.linalg.norm(rise[:2]) < 0.01 and abs(rise[2] - (HOVER_M + PRESS_DEPTH_M)) < 0.015, rise
    assert_table_segmented(episode)


def assert_table_segmented(episode):
    """The head view labels the bell 0, the table SEGMENTATION_TABLE (the item buffer keeps value maps
    off it) and everything else (robot, wall, clutter) SEGMENTATION_UNTRACKED."""
    seg, depth = episode.arrays["segmentation"][0, 0], episode.arrays["depth"][0, 0] / 1000.0
    assert set(np.unique(seg).tolist()) <= {SEGMENTATION_TABLE, SEGMENTATION_UNTRACKED, 0}
    assert (seg == 0).any() and (seg == SEGMENTATION_UNTRACKED).any() and (seg == SEGMENTATION_TABLE).mean() > 0.3
    k, cam_to_world = episode.arrays["intrinsics"][0], np.linalg.inv(episode.arrays["extrinsics"][0, 0])
    rows, cols = np.nonzero(seg == SEGMENTATION_TABLE)
    z = depth[rows, cols]
    cam = np.stack([(cols - k[0, 2]) * z / k[0, 0], (rows - k[1, 2]) * z / k[1, 1], z, np.ones_like(z)])
    height = (cam_to_world @ cam)[2]
    assert np.mean(np.abs(height - np.median(height)) < 0.005) > 0.9  # the flat table top, seen from above


def test_success_needs_a_contact_on_the_button():
    task = stage(TASK, seed=3)
    assert not task.check_success()  # expert skipped: nothing touched the bell
    bell, asset = task.actors["bell"], task.assets["bell"]

    def world(point):
        return (entity_matrix(bell) @ np.append(point, 1.0))[:3]

    assert task._on_button(world(asset.contact_points["button"]))
    assert not task._on_button(world(asset.contact_points["button"] + [0.0, 0.03, 0.0]))  # RoboTwin: 0.025
