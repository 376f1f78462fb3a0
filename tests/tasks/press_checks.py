"""Checks shared by the press task tests (click_bell, click_alarmclock, press_stapler)."""
import numpy as np

from pipeline.annotate import annotate_episode
from tests.tasks.conftest import contact_summary


def assert_pressed_by_fingers(episode, pressed: str):
    """`episode` pressed `pressed` with the fingers, never grasped it, and the annotation found the press.
    Returns (annotation result, [T, 3] TCP positions of the arm that went down)."""
    assert episode.attrs.roles == {"pressed": pressed}
    contacts = contact_summary(episode)
    assert contacts["press"] and all("finger" in body for body in contacts["press"])
    assert "grasp" not in contacts  # pressing is not grasping
    result = annotate_episode(episode)
    assert result.attrs["events"]["press_step"] is not None
    tcp = episode.arrays["ee_pose"][..., :3]
    arm = int(np.argmax(tcp[0, :, 2] - tcp[:, :, 2].min(axis=0)))
    return result, tcp[:, arm]
