"""click_alarmclock: the expert clicks the top button (easy, hard) and ends at the hover, recorded as
press contacts of the fingers; a clock never touched, touched off the button, or pushed on the button
by a gripper that is not closed (RoboTwin needs the side arm's command < 0.2) is no click."""
import numpy as np
import pytest
import sapien

from pipeline.assets import make_asset
from pipeline.tasks.click_alarmclock import BUTTON_M
from pipeline.tasks.contact_watch import ContactWatch
from pipeline.tasks.pressing import HOVER_M, PRESS_DEPTH_M
from pipeline.tasks.reach import move_near
from tests.tasks.conftest import stage, successful_expert_episode
from tests.tasks.press_checks import assert_pressed_by_fingers

TASK = "click_alarmclock"


def test_alarm_clock_kind_has_its_button_on_top():
    for seed in range(4):
        clock = make_asset("alarm_clock", np.random.default_rng(seed))
        width, _, height = clock.bounds[1] - clock.bounds[0]
        button = clock.functional_points["button"]
        assert 0.08 <= width <= 0.1 and np.allclose(button[:3, 2], [0.0, 0.0, 1.0])  # z up: pressed along -z
        assert np.allclose(button[:2, 3], 0.0) and np.isclose(button[2, 3], height)  # the highest point


@pytest.mark.parametrize("setting,seed", [("easy", 0), ("hard", 1)])
def test_expert_clicks_the_alarm_clock(setting, seed):
    _, tcp = assert_pressed_by_fingers(successful_expert_episode(TASK, setting, seed), "alarm_clock")
    rise = tcp[-1] - tcp[int(np.argmin(tcp[:, 2]))]  # as RoboTwin, it ends at the hover
    assert np.linalg.norm(rise[:2]) < 0.01 and abs(rise[2] - (HOVER_M + PRESS_DEPTH_M)) < 0.015, rise


def test_a_click_needs_the_button_and_a_closed_gripper():
    task = stage(TASK, seed=2)
    clock = task.actors["alarm_clock"]
    assert clock.find_component_by_type(sapien.physx.PhysxRigidStaticComponent) is not None  # RoboTwin: static
    x, y = clock.get_pose().p[:2]
    assert 0.05 <= abs(x) <= 0.25 and -0.2 <= y <= 0.0 and task.side_arm == ("left" if x < 0 else "right")
    assert not task.check_success()  # expert skipped: nothing touched the clock
    button = task._button()
    assert task._on_button(button) and not task._click(button)  # side arm's gripper open
    assert not task._on_button(button + [BUTTON_M + 0.005, 0.0, 0.0])
    assert not task._on_button(button - [0.0, 0.0, BUTTON_M + 0.005])
    fingers = [link.entity for link in task.env.robot[task.side_arm].finger_links]
    touches = ContactWatch(task.env.scene, fingers, [clock])
    task.env.step_hooks.append(touches)
    task.expert.set_gripper({task.side_arm: 0.25})  # nearly closed, not closed: the fingers still meet the button
    down = task.env.robot[task.side_arm].home_tcp_pose().q
    for dz in (HOVER_M, -PRESS_DEPTH_M):  # the expert's press
        move_near(task.expert, task.side_arm, sapien.Pose(button + [0.0, 0.0, dz], down))
    assert any(task._on_button(point) for _, point in touches.hits)  # on the button, within RoboTwin's 0.03
    assert not task.check_success()
    task.env.robot[task.side_arm].set_gripper(0.0)
    assert task._click(button)
