"""Small pose helpers shared by the scene, robot and task code (SAPIEN poses, 4x4 matrices)."""
from __future__ import annotations

import numpy as np
import sapien
from scipy.spatial.transform import Rotation


def pose_to_matrix(pose: sapien.Pose) -> np.ndarray:
    return np.asarray(pose.to_transformation_matrix(), dtype=np.float64)


def matrix_to_pose(matrix: np.ndarray) -> sapien.Pose:
    return sapien.Pose(np.asarray(matrix, dtype=np.float32))


def pose_to_xyzwxyz(pose: sapien.Pose) -> np.ndarray:
    """xyz + quaternion wxyz, the layout of `ee_pose` and `object_poses` in the schema."""
    return np.concatenate([pose.p, pose.q]).astype(np.float32)


def look_at(eye: np.ndarray, target: np.ndarray, up: np.ndarray = np.array([0.0, 0.0, 1.0])) -> sapien.Pose:
    """SAPIEN camera pose (x forward, y left, z up) at `eye` looking at `target`."""
    forward = np.asarray(target, float) - np.asarray(eye, float)
    forward /= np.linalg.norm(forward)
    left = np.cross(up, forward)
    left /= np.linalg.norm(left)
    cam_up = np.cross(forward, left)
    matrix = np.eye(4)
    matrix[:3, :3] = np.stack([forward, left, cam_up], axis=1)
    matrix[:3, 3] = eye
    return matrix_to_pose(matrix)


def yaw_pose(xyz, yaw: float) -> sapien.Pose:
    """Pose at `xyz` rotated by `yaw` radians about world z."""
    q = Rotation.from_euler("z", yaw).as_quat()  # xyzw
    return sapien.Pose(np.asarray(xyz, dtype=np.float32), [q[3], q[0], q[1], q[2]])


def top_down_tcp(xyz, yaw: float) -> sapien.Pose:
    """TCP pose approaching straight down (TCP z = -world z) with the finger axis at `yaw`."""
    # columns: TCP x, y (finger opening), z (approach) in world coordinates
    y_axis = np.array([np.cos(yaw), np.sin(yaw), 0.0])
    z_axis = np.array([0.0, 0.0, -1.0])
    x_axis = np.cross(y_axis, z_axis)
    matrix = np.eye(4)
    matrix[:3, :3] = np.stack([x_axis, y_axis, z_axis], axis=1)
    matrix[:3, 3] = xyz
    return matrix_to_pose(matrix)
