"""Rigid transforms and pinhole projection, vectorised over steps, cameras and points.

Poses follow the dataset contract (xyz + wxyz quaternion, world frame); extrinsics are
world-to-camera in the OpenCV convention (x right, y down, z forward), intrinsics pinhole K.
"""
from __future__ import annotations

import numpy as np


def quat_wxyz_to_matrix(quat: np.ndarray) -> np.ndarray:
    """[..., 4] unit quaternions (w, x, y, z) -> [..., 3, 3] rotation matrices."""
    q = np.asarray(quat, dtype=np.float64)
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    w, x, y, z = np.moveaxis(q, -1, 0)
    rot = np.stack([
        1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
        2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
        2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
    ], axis=-1)
    return rot.reshape(q.shape[:-1] + (3, 3))


def pose_to_matrix(pose: np.ndarray) -> np.ndarray:
    """[..., 7] poses (xyz + wxyz) -> [..., 4, 4] homogeneous matrices (local -> world)."""
    pose = np.asarray(pose, dtype=np.float64)
    mat = np.zeros(pose.shape[:-1] + (4, 4))
    mat[..., :3, :3] = quat_wxyz_to_matrix(pose[..., 3:7])
    mat[..., :3, 3] = pose[..., :3]
    mat[..., 3, 3] = 1.0
    return mat


def apply_transform(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Apply [..., 4, 4] transforms to [..., N, 3] points (broadcast over leading axes)."""
    return points @ np.swapaxes(matrix[..., :3, :3], -1, -2) + matrix[..., None, :3, 3]


def world_to_local(pose: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Express world points [..., N, 3] in the frame of `pose` [..., 7]."""
    return apply_transform(np.linalg.inv(pose_to_matrix(pose)), points)


def project(points_world: np.ndarray, intrinsics: np.ndarray, extrinsics: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project [B, N, 3] world points through B cameras ([B, 3, 3] K, [B, 4, 4] world-to-camera).

    Returns pixel coordinates [B, N, 2] (u right, v down) in which pixel (row, col) has its centre
    at (col, row), and the depth along the optical axis [B, N]; points at or behind the camera get
    depth <= 0 (K in OpenCV's convention, as the schema stores it).
    """
    cam = apply_transform(extrinsics, points_world)
    z = cam[..., 2]
    safe_z = np.where(z > 1e-9, z, 1.0)
    uv_h = cam @ np.swapaxes(intrinsics, -1, -2)
    uv = uv_h[..., :2] / safe_z[..., None]
    return uv, z
