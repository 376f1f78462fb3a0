"""Look at one episode in Rerun (`rerun-sdk`, the viewer LeRobot's dataset viewer uses).

`log_episode` reads an episode through `DatasetStore` (the live value-map version) and writes a Rerun
recording (.rrd) with two timelines, `step` (recorded step) and `time` (seconds at the control rate):

    instruction                          the language instruction (static text)
    episode                              task, setting, seed, success, value-map version (static markdown)
    world                                3-D scene, z up
    world/cameras/<cam>                  pinhole (intrinsics) placed by the per-step extrinsics (wrist cameras move)
    world/cameras/<cam>/rgb              camera image, every step (JPEG-compressed)
    world/cameras/<cam>/value_overlay    the value map blended over the image (as in aim-annotate's previews),
                                         every step; only when the episode is annotated
    world/contacts                       the contact points recorded at that step, coloured by kind
                                         (grasp orange, support blue, press green)
    world/objects/<name>                 each tracked object's surface samples, posed per step
    world/ee                             both TCP positions
    joints/qpos/<joint>                  measured joint positions, time series
    joints/action/<joint>                commanded joint targets, time series
    value/phase                          0 none, 1 pick, 2 place (annotated episodes)

A default layout (blueprint) shows the cameras with their overlays, the 3-D scene, the two joint plots
and the instruction. `serve_recording` serves a recording to the web viewer with the `rerun` binary of
the wheel, bound to 127.0.0.1 (the SDK's own `serve_web` cannot choose the address and listens on all).
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from data_schemas.spec import CONTACT_GRASP, CONTACT_PRESS, CONTACT_SUPPORT
from pipeline.annotate.geometry import quat_wxyz_to_matrix
from pipeline.export.lerobot import ACTION_NAMES
from pipeline.record.store import DatasetStore

APPLICATION_ID = "aim-dataset"
JPEG_QUALITY = 90
CONTACT_COLOURS = {CONTACT_GRASP: (255, 140, 0), CONTACT_SUPPORT: (30, 144, 255), CONTACT_PRESS: (50, 205, 50)}
CONTACT_RADIUS = 0.006
OBJECT_COLOURS = [(200, 200, 200), (160, 120, 220), (220, 180, 90), (120, 200, 160), (230, 120, 120)]
HOST = "127.0.0.1"


class ViewError(ValueError):
    """The episode cannot be shown as asked; the message (one line) says why."""


@dataclass
class ViewResult:
    episode_id: str
    steps: int
    path: Path
    entities: list[str] = field(default_factory=list)
    """Entity paths logged with one value per step (images, transforms, points)."""


def _camera_to_world(extrinsics: np.ndarray) -> np.ndarray:
    """[..., 4, 4] world-to-camera (OpenCV) -> camera-to-world."""
    return np.linalg.inv(extrinsics.astype(np.float64))


def _jpeg_columns(frames):
    """Frames ([H, W, 3] uint8 RGB, any iterable) -> one EncodedImage column of JPEGs, a row per frame."""
    import rerun as rr

    blobs = [cv2.imencode(".jpg", np.ascontiguousarray(f[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])[1].tobytes()
             for f in frames]
    return rr.EncodedImage.columns(blob=blobs, media_type=["image/jpeg"] * len(blobs))


def _blueprint(cameras: list[str], annotated: bool):
    import rerun.blueprint as rrb

    views = []
    for cam in cameras:
        views.append(rrb.Spatial2DView(name=f"{cam} camera", origin=f"world/cameras/{cam}",
                                       contents=["+ $origin/rgb"]))
        if annotated:
            views.append(rrb.Spatial2DView(name=f"{cam} value map over camera", origin=f"world/cameras/{cam}",
                                           contents=["+ $origin/value_overlay"]))
    plots = [rrb.TimeSeriesView(name="joint positions (qpos)", origin="joints/qpos"),
             rrb.TimeSeriesView(name="actions (joint targets)", origin="joints/action")]
    if annotated:
        plots.append(rrb.TimeSeriesView(name="value phase (1 pick, 2 place)", origin="value"))
    return rrb.Blueprint(
        rrb.Vertical(
            rrb.Grid(*views, grid_columns=2 if annotated else 3),
            rrb.Horizontal(
                rrb.Spatial3DView(name="scene: contacts, objects, cameras", origin="world"),
                rrb.Vertical(*plots),
                rrb.Vertical(rrb.TextDocumentView(name="instruction", origin="instruction"),
                             rrb.TextDocumentView(name="episode", origin="episode")),
                column_shares=[2, 2, 1]),
            row_shares=[3, 2]),
        collapse_panels=True)


def log_episode(store: DatasetStore, episode_id: str, save_path: str | Path | None = None) -> ViewResult:
    """Write episode `episode_id` of `store` as a Rerun recording to `save_path` (default: a temporary .rrd)."""
    import rerun as rr

    from pipeline.annotate.previews import overlay

    if not store.has_episode(episode_id):
        raise ViewError(f"{store.url} has no complete episode {episode_id!r}; `aim-dataset info {store.url}` lists them")
    attrs = store.read_attrs(episode_id)
    annotated = store.value_params(episode_id) is not None
    names = ["rgb", "intrinsics", "extrinsics", "qpos", "action", "ee_pose", "object_poses", "object_points",
             "contacts/step", "contacts/kind", "contacts/position"]
    names += ["value/map", "value/rgb", "value/phase"] if annotated else []
    a = store.read_episode(episode_id, names).arrays
    steps, cameras = attrs.num_steps, list(attrs.camera_names)
    h, w = attrs.image_size
    if save_path is None:
        save_path = Path(tempfile.mkdtemp(prefix="aim-view-")) / f"{episode_id}.rrd"
    save_path = Path(save_path)
    if not save_path.parent.exists():
        raise ViewError(f"{save_path.parent} does not exist; choose another --save path")

    rec = rr.RecordingStream(APPLICATION_ID, recording_id=episode_id)
    rec.save(save_path, default_blueprint=_blueprint(cameras, annotated))
    rec.log("instruction", rr.TextDocument(attrs.instruction), static=True)
    params = store.value_params(episode_id) or {}
    rec.log("episode", rr.TextDocument(
        f"**{episode_id}**\n\n- task: {attrs.task}\n- setting: {attrs.setting}\n- seed: {attrs.seed}\n"
        f"- success: {attrs.success}\n- steps: {steps} at {attrs.control_rate_hz:.2f} Hz\n"
        f"- instruction: {attrs.instruction}\n- value maps: {'annotated' if annotated else 'not annotated'}"
        f"{' (' + str(params.get('digest'))[:12] + ')' if params.get('digest') else ''}",
        media_type=rr.MediaType.MARKDOWN), static=True)
    rec.log("world", rr.ViewCoordinates.RIGHT_HAND_Z_UP, static=True)
    for v, cam in enumerate(cameras):
        rec.log(f"world/cameras/{cam}", rr.Pinhole(image_from_camera=a["intrinsics"][v], resolution=[w, h],
                                                   camera_xyz=rr.ViewCoordinates.RDF, image_plane_distance=0.1),
                static=True)
    for k, name in enumerate(attrs.object_names):
        rec.log(f"world/objects/{name}", rr.Points3D(a["object_points"][k], radii=0.002,
                                                     colors=OBJECT_COLOURS[k % len(OBJECT_COLOURS)]), static=True)

    # every per-step entity goes in as one column batch (one chunk per entity, not one per step and entity:
    # 12x smaller files and 3x faster than per-step log calls)
    index = [rr.TimeColumn("step", sequence=np.arange(steps)),
             rr.TimeColumn("time", duration=np.arange(steps) / attrs.control_rate_hz)]
    cam_to_world = _camera_to_world(a["extrinsics"])
    for v, cam in enumerate(cameras):
        rec.send_columns(f"world/cameras/{cam}", indexes=index, columns=rr.Transform3D.columns(
            translation=cam_to_world[:, v, :3, 3], mat3x3=cam_to_world[:, v, :3, :3]))
        rec.send_columns(f"world/cameras/{cam}/rgb", indexes=index, columns=_jpeg_columns(a["rgb"][:, v]))
        if annotated:
            blended = (overlay(a["rgb"][t, v], a["value/map"][t, v], a["value/rgb"][t, v]) for t in range(steps))
            rec.send_columns(f"world/cameras/{cam}/value_overlay", indexes=index, columns=_jpeg_columns(blended))
    step = a["contacts/step"].astype(np.int64)
    order = np.argsort(step, kind="stable")
    order = order[(step[order] >= 0) & (step[order] < steps)]
    colours = np.array([CONTACT_COLOURS.get(int(k), (255, 255, 255)) for k in a["contacts/kind"][order]], np.uint8)
    rec.send_columns("world/contacts", indexes=index, columns=rr.Points3D.columns(
        positions=a["contacts/position"][order].reshape(-1, 3), colors=colours.reshape(-1, 3),
        radii=np.full(len(order), CONTACT_RADIUS)).partition(np.bincount(step[order], minlength=steps)))
    for k, name in enumerate(attrs.object_names):
        poses = a["object_poses"][:, k]
        # rotation matrices, not rr.Quaternion: rerun 0.23's Quaternion needs numpy>=2 (`asarray(copy=)`)
        rec.send_columns(f"world/objects/{name}", indexes=index, columns=rr.Transform3D.columns(
            translation=poses[:, :3], mat3x3=quat_wxyz_to_matrix(poses[:, 3:])))
    rec.send_columns("world/ee", indexes=index, columns=rr.Points3D.columns(
        positions=a["ee_pose"][:, :, :3].reshape(-1, 3), radii=np.full(2 * steps, 0.01),
        colors=np.tile(np.array([(255, 60, 60), (60, 255, 60)], np.uint8), (steps, 1)),
        labels=["left TCP", "right TCP"] * steps).partition([2] * steps))
    for j, joint in enumerate(ACTION_NAMES):
        rec.send_columns(f"joints/qpos/{joint}", indexes=index, columns=rr.Scalars.columns(scalars=a["qpos"][:, j]))
        rec.send_columns(f"joints/action/{joint}", indexes=index,
                         columns=rr.Scalars.columns(scalars=a["action"][:, j]))
    if annotated:
        rec.send_columns("value/phase", indexes=index,
                         columns=rr.Scalars.columns(scalars=a["value/phase"].astype(np.float64)))
    rec.flush(blocking=True)
    rec.disconnect()
    entities = ["world/contacts", "world/ee"] + [f"world/cameras/{c}/rgb" for c in cameras]
    entities += [f"world/cameras/{c}/value_overlay" for c in cameras] if annotated else []
    return ViewResult(episode_id=episode_id, steps=steps, path=save_path, entities=entities)


def serve_recording(path: str | Path, web_port: int = 9090, grpc_port: int = 9876,
                    on_ready: Callable[[str], None] | None = None, duration_s: float | None = None) -> int:
    """Serve `path` to the Rerun web viewer on 127.0.0.1:`web_port` until Ctrl-C (or `duration_s`); exit code."""
    url = f"http://{HOST}:{web_port}/?url=rerun%2Bhttp://{HOST}:{grpc_port}/proxy"
    proc = subprocess.Popen([sys.executable, "-m", "rerun", str(path), "--serve-web", "--bind", HOST,
                             "--port", str(grpc_port), "--web-viewer-port", str(web_port)])
    if on_ready is not None:
        on_ready(url)
    try:
        if duration_s is None:
            return proc.wait()
        deadline = time.monotonic() + duration_s
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        return proc.returncode if proc.returncode is not None else 0
    except KeyboardInterrupt:
        return 0
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
