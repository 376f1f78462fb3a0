"""Head and wrist cameras: RGB, depth (uint16 mm), segmentation, intrinsics and OpenCV extrinsics.

SAPIEN cameras look along their +x with y left and z up; the dataset uses OpenCV (x right,
y down, z forward). `CV_FROM_SAPIEN` converts camera-frame axes; extrinsics are world-to-camera.
Depth is the Position picture's -z (OpenGL camera space), i.e. distance along the optical axis.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import sapien

from data_schemas.spec import CAMERA_NAMES, DEPTH_SCALE_MM, SEGMENTATION_UNTRACKED
from pipeline.sim.config import CameraConfig
from pipeline.sim.poses import look_at, pose_to_matrix
from pipeline.sim.render_keepalive import keep_render_pipelines_warm

SAPIEN_AXES_IN_CV = np.array([[0.0, -1.0, 0.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]])
"""Rows: OpenCV camera axes (x right, y down, z forward) written in SAPIEN camera axes."""


def wrist_rotation(pitch: float) -> np.ndarray:
    """SAPIEN camera axes (columns) in the panda_hand frame: forward = hand +z (along the
    fingers) tilted by `pitch` radians toward the finger axis, up = hand -x at zero pitch."""
    s, c = np.sin(pitch), np.cos(pitch)
    forward, left, up = np.array([-s, 0.0, c]), np.array([0.0, 1.0, 0.0]), np.array([-c, 0.0, -s])
    return np.stack([forward, left, up], axis=1)



def world_to_cv_camera(camera_pose: sapien.Pose) -> np.ndarray:
    """4x4 world-to-camera transform in OpenCV convention from a SAPIEN camera's world pose."""
    cam_to_world = pose_to_matrix(camera_pose)
    world_to_cam = np.linalg.inv(cam_to_world)
    out = np.eye(4)
    out[:3, :3] = SAPIEN_AXES_IN_CV @ world_to_cam[:3, :3]
    out[:3, 3] = SAPIEN_AXES_IN_CV @ world_to_cam[:3, 3]
    return out


class CameraRig:
    """The three cameras in `CAMERA_NAMES` order (head, left_wrist, right_wrist)."""

    def __init__(self, scene: sapien.Scene, config: CameraConfig, image_size: tuple[int, int],
                 hands: Mapping[str, sapien.Entity]):
        keep_render_pipelines_warm()
        h, w = image_size
        fovy = np.deg2rad(config.fovy_deg)
        self.scene = scene
        head = scene.add_camera("head", w, h, fovy, config.near, config.far)
        head.set_entity_pose(look_at(np.array(config.head_eye), np.array(config.head_target)))
        mount = np.eye(4)
        mount[:3, :3] = wrist_rotation(np.deg2rad(config.wrist_pitch_deg))
        mount[:3, 3] = config.wrist_offset
        wrists = [scene.add_mounted_camera(f"{arm}_wrist", hands[arm], sapien.Pose(mount.astype(np.float32)),
                                           w, h, fovy, config.near, config.far) for arm in ("left", "right")]
        self.cameras = [head, *wrists]
        assert [c.get_name() for c in self.cameras] == list(CAMERA_NAMES)

    def intrinsics(self) -> np.ndarray:
        """Pinhole K in OpenCV's convention (pixel (r, c) has its centre at u=c, v=r).

        SAPIEN reports cx = W / 2, i.e. pixel centres at i + 0.5; shifting the principal point
        by half a pixel makes the stored K agree with the schema's OpenCV convention.
        """
        k = np.stack([c.get_intrinsic_matrix() for c in self.cameras]).astype(np.float32)
        k[:, :2, 2] -= 0.5
        return k

    def extrinsics(self) -> np.ndarray:
        return np.stack([world_to_cv_camera(c.get_global_pose()) for c in self.cameras]).astype(np.float32)

    def capture(self, segmentation_lut: np.ndarray | None) -> dict[str, np.ndarray]:
        """Render every camera. `segmentation_lut` maps SAPIEN per-scene entity ids to actor
        indices (SEGMENTATION_UNTRACKED elsewhere); None skips segmentation."""
        self.scene.update_render()
        rgb, depth, seg = [], [], []
        for camera in self.cameras:
            camera.take_picture()
            color = camera.get_picture("Color")[..., :3]
            rgb.append(np.clip(color * 255.0 + 0.5, 0, 255).astype(np.uint8))
            position = camera.get_picture("Position")
            z_mm = np.where(position[..., 3] < 1.0, -position[..., 2] * DEPTH_SCALE_MM, 0.0)
            depth.append(np.clip(z_mm + 0.5, 0, np.iinfo(np.uint16).max).astype(np.uint16))
            if segmentation_lut is not None:
                ids = camera.get_picture("Segmentation")[..., 1].astype(np.int64)
                inside = ids < len(segmentation_lut)
                seg.append(np.where(inside, segmentation_lut[np.where(inside, ids, 0)], SEGMENTATION_UNTRACKED))
        out = {"rgb": np.stack(rgb), "depth": np.stack(depth)}
        if segmentation_lut is not None:
            out["segmentation"] = np.stack(seg).astype(np.int16)
        return out
