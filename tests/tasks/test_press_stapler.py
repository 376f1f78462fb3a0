"""press_stapler: the expert presses the stapler's top (easy, hard) and, as RoboTwin's, ends pressing,
recorded as press contacts of the fingers; a stapler never touched, or pressed at its hinge end (off the
press point), is no press; as in RoboTwin, the gripper's state does not matter."""
import pytest
import sapien

from pipeline.assets.geometry import pose
from pipeline.tasks.contact_watch import ContactWatch
from pipeline.tasks.pressing import PRESS_DEPTH_M, press_from_above, world_point
from pipeline.tasks.press_stapler import PRESS_M
from tests.tasks.conftest import stage, successful_expert_episode
from tests.tasks.press_checks import assert_pressed_by_fingers

TASK = "press_stapler"


@pytest.mark.parametrize("setting,seed", [("easy", 0), ("hard", 1)])
def test_expert_presses_the_stapler(setting, seed):
    _, tcp = assert_pressed_by_fingers(successful_expert_episode(TASK, setting, seed), "stapler")
    assert abs(tcp[-1, 2] - tcp[:, 2].min()) < 0.005  # as RoboTwin, it ends pressing: no rise


def test_a_press_off_the_press_point_is_no_success():
    task = stage(TASK, seed=3)
    stapler, asset = task.actors["stapler"], task.assets["stapler"]
    assert stapler.find_component_by_type(sapien.physx.PhysxRigidStaticComponent) is not None  # RoboTwin: static
    x, y = stapler.get_pose().p[:2]
    assert -0.2 <= x <= 0.2 and -0.1 <= y <= 0.05 and task.side_arm == ("left" if x < 0 else "right")
    assert not task.check_success()  # expert skipped: nothing touched the stapler
    point = task._button()
    assert task._on_button(point) and task._click(point)  # gripper open: RoboTwin's check has no gripper term
    assert not task._on_button(point + [0.0, PRESS_M + 0.005, 0.0])
    assert not task._on_button(point + [0.0, 0.0, PRESS_M + 0.005])
    fingers = [link.entity for link in task.env.robot[task.side_arm].finger_links]
    touches = ContactWatch(task.env.scene, fingers, [stapler])
    task.env.step_hooks.append(touches)
    length, height = 2 * asset.bounds[1, 1], asset.bounds[1, 2]
    hinge_top = world_point(stapler, pose((0.0, -0.375 * length, height)))  # the back end, 6-9 cm behind
    press_from_above(task.expert, task.side_arm, hinge_top)
    assert touches.happened and min(p[2] for _, p in touches.hits) > hinge_top[2] - PRESS_DEPTH_M - 0.005
    assert not task.evaluate()["pressed"] and not task.check_success()
