"""A scripted pick-and-place episode with exact geometry, for testing the annotator without a simulator.

A 4 cm box rests on the table, is grasped by two fingers of the left arm at step 6, carried onto a
pad (steps 8-14), released at step 16 and stays still. Depth and segmentation are rasterised from
the same surface samples the recorder would store, so the z-buffer and the quality checks run on
consistent data.
"""
import numpy as np
import pytest

from data_schemas import CONTACT_GRASP, CONTACT_SUPPORT, DEPTH_SCALE_MM, EpisodeAttrs, EpisodeData

H, W, F, T = 120, 160, 160.0, 24
BOX_HALF = 0.02
PAD_CENTRE = np.array([0.2, 0.0, 0.0025])


def look_at(eye, target, up=(0, 0, 1)) -> np.ndarray:
    eye = np.asarray(eye, float)
    fwd = np.asarray(target, float) - eye
    fwd /= np.linalg.norm(fwd)
    right = np.cross(fwd, up)
    right /= np.linalg.norm(right)
    rot = np.stack([right, np.cross(fwd, right), fwd])
    ext = np.eye(4)
    ext[:3, :3] = rot
    ext[:3, 3] = -rot @ eye
    return ext


def box_surface(half: np.ndarray, n: int, rng) -> np.ndarray:
    """Uniform samples on the surface of an axis-aligned box with half extents `half`."""
    areas = np.array([half[1] * half[2], half[0] * half[2], half[0] * half[1]]).repeat(2)
    face = rng.choice(6, size=n, p=areas / areas.sum())
    pts = rng.uniform(-1, 1, (n, 3)) * half
    axis, sign = face // 2, np.where(face % 2, 1.0, -1.0)
    pts[np.arange(n), axis] = sign * half[axis]
    return pts


def box_track() -> np.ndarray:
    """[T, 3] box centre: still until 8, carried onto the pad by 14, still afterwards."""
    start, end = np.array([0.0, 0.0, BOX_HALF]), PAD_CENTRE + [0, 0, 0.0025 + BOX_HALF]
    alpha = np.clip((np.arange(T) - 8) / 6.0, 0, 1)[:, None]
    lift = 0.05 * np.sin(np.pi * alpha)
    return start + alpha * (end - start) + lift * np.array([0, 0, 1.0])


def rasterise(points_world, labels, intr, extr):
    """Per-view nearest-point depth (uint16 mm) and label image from dense surface samples."""
    cam = points_world @ extr[:3, :3].T + extr[:3, 3]
    uv = cam @ intr.T
    col = np.floor(uv[:, 0] / cam[:, 2]).astype(int)  # SAPIEN's convention, as the recorder's K:
    row = np.floor(uv[:, 1] / cam[:, 2]).astype(int)  # pixel i spans [i, i + 1) around cx = W / 2
    ok = (cam[:, 2] > 0) & (col >= 0) & (col < W) & (row >= 0) & (row < H)
    depth = np.full((H, W), np.inf)
    np.minimum.at(depth, (row[ok], col[ok]), cam[ok, 2])
    seg = np.full((H, W), -1, np.int16)
    front = ok.copy()
    front[ok] = cam[ok, 2] <= depth[row[ok], col[ok]]
    seg[row[front], col[front]] = labels[front]
    depth_mm = np.where(np.isfinite(depth), depth * DEPTH_SCALE_MM, 0).astype(np.uint16)
    return depth_mm, seg


def build_episode() -> EpisodeData:
    rng = np.random.default_rng(0)
    box_pts = box_surface(np.full(3, BOX_HALF), 1500, rng)
    pad_pts = box_surface(np.array([0.06, 0.06, 0.0025]), 3000, rng)
    centres = box_track()
    identity = np.array([1.0, 0, 0, 0])
    poses = np.zeros((T, 2, 7), np.float32)
    poses[:, 0, :3], poses[:, 0, 3:] = centres, identity
    poses[:, 1, :3], poses[:, 1, 3:] = PAD_CENTRE, identity
    intr = np.array([[F, 0, W / 2], [0, F, H / 2], [0, 0, 1]])
    views = [look_at([0.1, -0.45, 0.45], [0.1, 0, 0]), look_at([-0.25, -0.2, 0.3], [0.05, 0, 0]),
             look_at([0.45, -0.2, 0.3], [0.15, 0, 0])]
    # dense samples only for rendering depth/segmentation (the stored object_points are sparser)
    dense_box = box_surface(np.full(3, BOX_HALF), 40000, rng)
    dense_pad = box_surface(np.array([0.06, 0.06, 0.0025]), 60000, rng)
    depth = np.zeros((T, 3, H, W), np.uint16)
    seg = np.zeros((T, 3, H, W), np.int16)
    labels = np.r_[np.zeros(len(dense_box), np.int16), np.ones(len(dense_pad), np.int16)]
    for t in range(T):
        world = np.r_[dense_box + centres[t], dense_pad + PAD_CENTRE]
        for v, ext in enumerate(views):
            depth[t, v], seg[t, v] = rasterise(world, labels, intr, ext)
    # contacts: two fingers (bodies 0, 1) on the box's -y/+y faces for steps 6..15; box on pad from 14 on
    rows = []
    for t in range(6, 16):
        for body, side in ((0, -1), (1, 1)):
            for dz in (-0.004, 0.004):
                rows.append((t, CONTACT_GRASP, 0, 0, body, centres[t] + [0, side * BOX_HALF, dz], [0, -side, 0]))
    for t in range(14, T):
        for cx in (-1, 1):
            for cy in (-1, 1):
                rows.append((t, CONTACT_SUPPORT, -1, 0, 2, centres[t] + [cx * BOX_HALF, cy * BOX_HALF, -BOX_HALF],
                             [0, 0, 1]))
    step, kind, arm, actor, other, pos, normal = zip(*rows)
    n = len(rows)
    arrays = {
        "rgb": np.zeros((T, 3, H, W, 3), np.uint8),
        "depth": depth, "segmentation": seg,
        "intrinsics": np.repeat(intr[None], 3, 0).astype(np.float32),
        "extrinsics": np.repeat(np.stack(views)[None], T, 0).astype(np.float32),
        "qpos": np.zeros((T, 16), np.float32), "action": np.zeros((T, 16), np.float32),
        "ee_pose": np.zeros((T, 2, 7), np.float32),
        "object_poses": poses, "object_points": np.stack([box_pts[:1500], pad_pts[:1500]]).astype(np.float32),
        "contacts/step": np.array(step, np.int32), "contacts/kind": np.array(kind, np.int8),
        "contacts/arm": np.array(arm, np.int8), "contacts/actor": np.array(actor, np.int16),
        "contacts/other": np.array(other, np.int16), "contacts/position": np.array(pos, np.float32),
        "contacts/normal": np.array(normal, np.float32), "contacts/impulse": np.ones(n, np.float32),
    }
    attrs = EpisodeAttrs(episode_id="place_shoe-easy-000000", task="place_shoe", setting="easy", seed=0,
                         instruction="put the box on the pad", control_rate_hz=250 / 15, physics_rate_hz=250,
                         num_steps=T, image_size=(H, W), object_names=["box", "pad"],
                         contact_bodies=["left_finger_a", "left_finger_b", "pad"], segmentation_labels=["box", "pad"],
                         roles={"target": "box", "support": "pad"}, success=True)
    return EpisodeData(attrs, arrays)


@pytest.fixture(scope="session")
def scripted_episode() -> EpisodeData:
    return build_episode()
