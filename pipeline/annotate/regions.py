"""Contact surface point clouds (pick, place, press regions) anchored to the actor they live on.

A region is stored in the frame of one tracked actor, so at any step it is re-posed with that
actor's recorded pose: the pick region follows the object, the place region follows the support,
the press region follows the pushed part (a laptop lid, a bell, a struck block).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data_schemas import CONTACT_GRASP, CONTACT_PRESS, EpisodeData
from pipeline.annotate.events import EpisodeEvents, actor_index, contact_mask, support_contact_mask
from pipeline.annotate.geometry import apply_transform, pose_to_matrix, world_to_local
from pipeline.annotate.params import AnnotationParams


@dataclass(frozen=True)
class ContactRegion:
    """A contact surface point cloud and the real contact points, both in the frame of `frame`."""

    kind: str
    """"pick", "place" or "press"."""
    frame: str | None
    """Tracked actor whose frame the points are in; None means world coordinates."""
    step: int
    """Recorded step at which the region was taken."""
    points: np.ndarray
    """[M, 3] float32 contact surface samples."""
    contacts: np.ndarray
    """[C, 3] float32 contact centres, one per touching body (finger, tool) or one for the
    support footprint: where the real contact happened, used by the quality check."""
    weights: np.ndarray
    """[M] float32 splat weight per point, mean 1 (see `_region`)."""

    def at_steps(self, episode: EpisodeData, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """World coordinates at the given steps: points [S, M, 3] and contacts [S, C, 3]."""
        if self.frame is None:
            return (np.broadcast_to(self.points, (len(steps),) + self.points.shape),
                    np.broadcast_to(self.contacts, (len(steps),) + self.contacts.shape))
        k = episode.attrs.object_names.index(self.frame)
        mats = pose_to_matrix(episode.arrays["object_poses"][steps, k])
        return apply_transform(mats, self.points), apply_transform(mats, self.contacts)


def points_near(cloud: np.ndarray, queries: np.ndarray, radius: float) -> np.ndarray:
    """Mask over `cloud` [P, 3]: points within `radius` of any query point (open3d fixed-radius search)."""
    import open3d as o3d  # loaded by annotation alone: the training side imports this package without it

    if not len(queries) or not len(cloud):
        return np.zeros(len(cloud), dtype=bool)
    nns = o3d.core.nns.NearestNeighborSearch(o3d.core.Tensor(np.ascontiguousarray(queries, dtype=np.float64)))
    nns.fixed_radius_index(radius)
    _, _, splits = nns.fixed_radius_search(o3d.core.Tensor(np.ascontiguousarray(cloud, dtype=np.float64)), radius)
    return np.diff(splits.numpy()) > 0


def kernel_density(points: np.ndarray, cloud: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian kernel density of the samples `cloud` at `points` (open3d neighbours within 3 sigma)."""
    import open3d as o3d  # loaded by annotation alone: the training side imports this package without it

    nns = o3d.core.nns.NearestNeighborSearch(o3d.core.Tensor(np.ascontiguousarray(cloud, dtype=np.float64)))
    nns.fixed_radius_index(3 * sigma)
    _, sq_dist, splits = nns.fixed_radius_search(o3d.core.Tensor(np.ascontiguousarray(points, dtype=np.float64)),
                                                 3 * sigma)
    kernel = np.exp(-0.5 * sq_dist.numpy().ravel() / sigma ** 2)
    sums = np.add.reduceat(np.r_[kernel, 0.0], splits.numpy()[:-1]) if len(kernel) else np.zeros(len(points))
    return np.where(np.diff(splits.numpy()) > 0, sums, 0.0)


def voxel_centroids(points: np.ndarray, voxel: float) -> tuple[np.ndarray, np.ndarray]:
    """Centroid and sample count of each occupied voxel: fewer splats, same total weight."""
    _, inverse, counts = np.unique(np.floor(points / voxel).astype(np.int64), axis=0, return_inverse=True,
                                   return_counts=True)
    inverse = inverse.ravel()
    sums = np.zeros((len(counts), 3))
    np.add.at(sums, inverse, points)
    return (sums / counts[:, None]).astype(np.float32), counts


def _region(kind: str, frame: str | None, step: int, cloud: np.ndarray, anchors: np.ndarray,
            centres: np.ndarray, params: AnnotationParams, candidates: np.ndarray | None = None) -> ContactRegion:
    """Surface points of `cloud` (those in `candidates`) near `anchors`; the anchors themselves if
    the samples are too sparse.

    Each splat is weighted by the samples it stands for over the sampling density of the whole
    cloud there, so the map shows an evenly lit contact patch instead of random sampling clumps,
    without brightening the patch border (the density counts samples outside the patch too).
    """
    if candidates is not None:
        cloud = cloud[candidates]
    near = cloud[points_near(cloud, anchors, params.contact_radius_m)]
    samples, reference = (near, cloud) if len(near) else (anchors, anchors)
    points, counts = voxel_centroids(samples.astype(np.float64), params.voxel_size_m)
    weights = counts / np.maximum(kernel_density(points, reference, params.splat_sigma_m), 1e-12)
    return ContactRegion(kind, frame, step, points, centres.astype(np.float32),
                         (weights / weights.mean()).astype(np.float32))


def _contacts_in_frame(episode: EpisodeData, mask: np.ndarray, actor: int) -> np.ndarray:
    """Selected world contact points expressed in `actor`'s frame at their own steps."""
    arr = episode.arrays
    steps = arr["contacts/step"][mask]
    poses = arr["object_poses"][steps, actor]
    return world_to_local(poses, arr["contacts/position"][mask][:, None, :].astype(np.float64))[:, 0]


def _centres_per_body(points: np.ndarray, bodies: np.ndarray) -> np.ndarray:
    """Centroid of the contact points of each touching body (finger, tool): [bodies, 3]."""
    ids, inverse = np.unique(bodies, return_inverse=True)
    sums = np.zeros((len(ids), 3))
    np.add.at(sums, inverse, points)
    return sums / np.bincount(inverse)[:, None]


def _first_contacts(episode: EpisodeData, kind: int, actor: int, start: int, params: AnnotationParams) -> np.ndarray:
    """Contact points of `kind` on `actor` during the `grasp_hold_steps` steps from `start`."""
    step = episode.arrays["contacts/step"]
    return contact_mask(episode, kind, actor) & (step >= start) & (step < start + params.grasp_hold_steps)


def pick_region(episode: EpisodeData, events: EpisodeEvents, params: AnnotationParams) -> ContactRegion | None:
    """The target's surface under the fingers during the first `grasp_hold_steps` of its effective grasp."""
    if events.grasp_step is None:
        return None
    return grasp_region(episode, episode.attrs.roles["target"], events.grasp_step, events.grasp_arm, params)


def grasp_region(episode: EpisodeData, actor: str, step: int, arm: int, params: AnnotationParams) -> ContactRegion:
    """Surface of the tracked `actor` under `arm`'s fingers during the `grasp_hold_steps` from `step`."""
    arr = episode.arrays
    index = episode.attrs.object_names.index(actor)
    mask = _first_contacts(episode, CONTACT_GRASP, index, step, params) & (arr["contacts/arm"] == arm)
    contacts = _contacts_in_frame(episode, mask, index)
    return _region("pick", actor, step, arr["object_points"][index], contacts,
                   _centres_per_body(contacts, arr["contacts/other"][mask]), params)


def footprint_region(episode: EpisodeData, actor: str, step: int, params: AnnotationParams) -> ContactRegion:
    """Where an earlier stage's object rests at `step`, in world coordinates: its surface within
    `place_plane_tolerance_m` of its lowest point, the face that touches what it stands on (the recorder tracks
    support contacts for the target alone, so the footprint is read from the object's pose)."""
    index = episode.attrs.object_names.index(actor)
    world = apply_transform(pose_to_matrix(episode.arrays["object_poses"][step, index]),
                            episode.arrays["object_points"][index].astype(np.float64))
    bottom = world[:, 2] <= world[:, 2].min() + params.place_plane_tolerance_m
    return _region("place", None, step, world, world[bottom], world[bottom].mean(axis=0, keepdims=True), params,
                   bottom)


def place_region(episode: EpisodeData, events: EpisodeEvents, params: AnnotationParams) -> ContactRegion | None:
    """Support surface under the placed object at placement completion (on the support's frame).

    When the support is not a tracked actor (e.g. the table), the region is the object's own
    surface near the recorded support contacts, in world coordinates.
    """
    if events.place_step is None:
        return None
    arr = episode.arrays
    target = actor_index(episode, "target")
    contact_mask = support_contact_mask(episode, target) & (arr["contacts/step"] == events.support_contact_step)
    contacts_world = arr["contacts/position"][contact_mask].astype(np.float64)
    normal_world = _mean_normal(arr["contacts/normal"][contact_mask].astype(np.float64))
    target_world = apply_transform(pose_to_matrix(arr["object_poses"][events.place_step, target]),
                                   arr["object_points"][target].astype(np.float64))
    support_name = episode.attrs.roles.get("support")
    if support_name not in episode.attrs.object_names:
        on_plane = _near_plane(target_world, contacts_world, normal_world, params.place_plane_tolerance_m)
        return _region("place", None, events.place_step, target_world, contacts_world,
                       contacts_world.mean(axis=0, keepdims=True), params, on_plane)
    support = episode.attrs.object_names.index(support_name)
    pose = arr["object_poses"][events.place_step, support]
    cloud = arr["object_points"][support]
    contacts = world_to_local(pose, contacts_world)
    normal = normal_world @ pose_to_matrix(pose)[:3, :3]  # world -> support frame (R^T n)
    on_plane = _near_plane(cloud, contacts, normal, params.place_plane_tolerance_m)
    return _region("place", support_name, events.place_step, cloud, world_to_local(pose, target_world),
                   contacts.mean(axis=0, keepdims=True), params, on_plane)


def _mean_normal(normals: np.ndarray) -> np.ndarray:
    """Mean direction of contact normals (signs aligned with the first); zeros if undefined."""
    aligned = normals * np.sign(normals @ normals[0] + 1e-12)[:, None]
    mean = aligned.sum(axis=0)
    norm = np.linalg.norm(mean)
    return mean / norm if norm > 1e-9 else np.zeros(3)


def _near_plane(cloud: np.ndarray, contacts: np.ndarray, normal: np.ndarray, tolerance: float) -> np.ndarray:
    """Points within `tolerance` of the contact plane (through the contacts, along their normal).

    Keeps the touching face of the support and drops its sides and underside, which lie within
    the contact radius of the object's edges; without a usable normal every point qualifies.
    """
    if not normal.any():
        return np.ones(len(cloud), dtype=bool)
    return np.abs((cloud - contacts.mean(axis=0)) @ normal) <= tolerance


def press_region(episode: EpisodeData, events: EpisodeEvents, params: AnnotationParams) -> ContactRegion | None:
    """Surface of the pushed or struck part around the first press contacts, in that part's frame."""
    if events.press_step is None:
        return None
    arr = episode.arrays
    pressed = actor_index(episode, "pressed")
    mask = _first_contacts(episode, CONTACT_PRESS, pressed, events.press_step, params)
    contacts = _contacts_in_frame(episode, mask, pressed)
    return _region("press", episode.attrs.roles["pressed"], events.press_step, arr["object_points"][pressed],
                   contacts, _centres_per_body(contacts, arr["contacts/other"][mask]), params)
