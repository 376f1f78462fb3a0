"""Small pose helpers shared by the scene, robot and task code (SAPIEN poses, 4x4 matrices)."""
from __future__ import annotations

import numpy as np
import sapien
from scipy.spatial.transform import Rotation

from pipeline.assets.geometry import pose as frame_pose, top_down_grasp, yaw_axis


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
    left = np.cross(up, forward)
    return matrix_to_pose(frame_pose(eye, z_axis=np.cross(forward, left), y_axis=left))


def yaw_pose(xyz, yaw: float) -> sapien.Pose:
    """Pose at `xyz` rotated by `yaw` radians about world z."""
    q = Rotation.from_euler("z", yaw).as_quat()  # xyzw
    return sapien.Pose(np.asarray(xyz, dtype=np.float32), [q[3], q[0], q[1], q[2]])


def top_down_tcp(xyz, yaw: float) -> sapien.Pose:
    """TCP pose approaching straight down (TCP z = -world z) with the finger axis at `yaw`."""
    return matrix_to_pose(top_down_grasp(xyz, yaw_axis(yaw)))
