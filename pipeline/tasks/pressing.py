"""Pressing a static object from above with a closed gripper (click_bell, click_alarmclock, press_stapler).

A click leaves no trace in the world state, so RoboTwin checks these goals from the gripper's contacts
with the object and latches the first one that qualifies (`stage_success_tag`). `PressTask` is what the
three tasks share: the arm on the object's side, the latch (`watch_gripper_contacts`: a `ContactWatch`
over both arms' hands and fingers), RoboTwin's test of a contact (`near_point`, axis by axis in the
world frame) and the expert (`press_from_above`: hover, press, hover again or not).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import numpy as np
import sapien

from pipeline.sim.primitives import Expert, entity_matrix
from pipeline.tasks.base import Task
from pipeline.tasks.contact_watch import ContactWatch
from pipeline.tasks.reach import move_near

PRESS_DEPTH_M = 0.004
"""How far the TCP target goes below the pressed point (the drive stops on contact)."""
CLUTTER_PADDING_M = 0.05
"""RoboTwin's `add_prohibit_area` padding around a pressed object (click_alarmclock, press_stapler): hard-setting
clutter keeps this far from its footprint, so the descending hand meets nothing else."""
HOVER_M = 0.06
"""Where the press starts, above the pressed point, and where a click ends. As in RoboTwin the demonstration
ends there (no way home): a way home retraces the approach, so every state of it would be demonstrated twice,
with opposite next moves, and a policy at the hover could not tell which one it is in (measured on click_bell:
it rose)."""


def watch_gripper_contacts(task: Task, scene: sapien.Scene, name: str,
                           where: Callable[[np.ndarray], bool]) -> ContactWatch:
    """A `ContactWatch`, hooked into every physics step of `task.env`, of contacts between either arm's
    hand or fingers and `task.actors[name]` at world points satisfying `where`."""
    grippers = [link.entity for arm in task.env.robot.arms.values() for link in [arm.hand_link, *arm.finger_links]]
    watch = ContactWatch(scene, grippers, [task.actors[name]], where=where)
    task.env.step_hooks.append(watch)
    return watch


def world_point(actor: sapien.Entity, frame: np.ndarray) -> np.ndarray:
    """World position of an object-frame 4x4 `frame` (a functional point) on `actor`'s current pose."""
    return (entity_matrix(actor) @ frame)[:3, 3]


def near_point(world: np.ndarray, target: np.ndarray, xy_tolerance: float, z_tolerance: float) -> bool:
    """RoboTwin's contact test: |dx| and |dy| below `xy_tolerance` and |dz| below `z_tolerance`, world axes."""
    offset = np.abs(np.asarray(world, dtype=np.float64) - target)
    return bool(offset[0] < xy_tolerance and offset[1] < xy_tolerance and offset[2] < z_tolerance)


def press_from_above(expert: Expert, arm: str, point: np.ndarray, back_up: bool = True) -> None:
    """Close `arm`'s gripper, bring it, fingers straight down, to `HOVER_M` above the world `point`,
    press to `PRESS_DEPTH_M` below it and, with `back_up`, rise to the hover again. Every hop goes through
    joint space to the nearest posture (`move_near`), which keeps the arm out of joint-limit traps."""
    down = expert.env.robot[arm].home_tcp_pose().q
    hover = sapien.Pose(point + np.array([0.0, 0.0, HOVER_M]), down)
    press = sapien.Pose(point - np.array([0.0, 0.0, PRESS_DEPTH_M]), down)
    expert.close_gripper(arm)
    for pose in (hover, press, hover) if back_up else (hover, press):
        move_near(expert, arm, pose)


class PressTask(Task):
    """A single-arm press of a static object's functional point from above, latched from contacts.

    A subclass sets the ClassVars and, in `load_objects`, adds the object as `pressed` and calls
    `watch_presses(scene, xy)`; `play_once` and `evaluate` come from here."""

    pressed: ClassVar[str]
    """Name of the pressed actor (and of its asset)."""
    press_point: ClassVar[str] = "button"
    """The asset's functional point (z up) that is pressed."""
    press_xy_m: ClassVar[float]
    press_z_m: ClassVar[float]
    """RoboTwin's tolerances: a gripper contact within these (world x and y, z) of the point is a press."""
    needs_closed_gripper: ClassVar[bool] = True
    """Whether RoboTwin's check also needs the side arm's gripper closed (command < 0.2)."""
    back_up: ClassVar[bool] = True
    """Whether the expert rises to the hover after the press (RoboTwin's does for clicks, not for the stapler)."""
    event: ClassVar[str] = "clicked"
    """Name of the latched condition in `evaluate()`."""

    def watch_presses(self, scene: sapien.Scene, xy: np.ndarray) -> None:
        """The arm on the object's side (at `xy`) presses; contacts are watched from now on, and recorded
        as presses (`roles`)."""
        self.side_arm = self.nearest_arm(xy)
        self.roles = {"pressed": self.pressed}
        self.presses = watch_gripper_contacts(self, scene, self.pressed, where=self._click)

    def _button(self) -> np.ndarray:
        """World position of the pressed point."""
        return world_point(self.actors[self.pressed], self.assets[self.pressed].functional_points[self.press_point])

    def _on_button(self, point: np.ndarray) -> bool:
        return near_point(point, self._button(), self.press_xy_m, self.press_z_m)

    def _click(self, point: np.ndarray) -> bool:
        """Whether a gripper contact at the world `point` is a press (RoboTwin's `check_success` on one contact)."""
        return (not self.needs_closed_gripper or self.gripper_closed(self.side_arm)) and self._on_button(point)

    def play_once(self) -> None:
        press_from_above(self.expert, self.side_arm, self._button(), back_up=self.back_up)

    def evaluate(self) -> dict[str, bool]:
        out = {self.event: self.presses.happened, "gripper_closed": self.gripper_closed(self.side_arm)}
        out["success"] = out[self.event]  # latched event (RoboTwin's stage_success_tag)
        return out
