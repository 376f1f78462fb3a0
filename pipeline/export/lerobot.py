"""Export an AIM dataset as a LeRobotDataset, format v3.0 (the one `lerobot` 0.4.x reads and writes).

What a LeRobot user gets (`export_lerobot`): the complete episodes of a store, read through
`DatasetStore` (incomplete groups are never exported; value maps come from one live version per episode):

    OUT/meta/info.json                     codebase_version "v3.0", fps, features, paths, totals
    OUT/meta/stats.json                    per-feature min/max/mean/std/count/q01..q99 over all frames
    OUT/meta/tasks.parquet                 one row per distinct instruction (index: the instruction text)
    OUT/meta/episodes/chunk-000/file-000.parquet
                                           one row per episode: length, tasks, where its rows and video
                                           frames lie, its stats, and the AIM episode id/task/setting/seed/success
    OUT/data/chunk-000/file-000.parquet    one row per frame: observation.state, action, observation.ee_pose,
                                           timestamp, frame_index, episode_index, index, task_index
                                           (+ value_phase when annotated)
    OUT/videos/<key>/chunk-000/file-000.mp4
                                           the episodes one after another, per video feature

Features. `observation.images.{head,left_wrist,right_wrist}` are the cameras;
`observation.state` is `qpos` and `action` is `action` (16 values each, `ACTION_NAMES` order, gripper
1 open / 0 closed: exactly the stored float32 values); `observation.ee_pose` is `ee_pose` flattened
(left xyz+wxyz, right xyz+wxyz). The language instruction of each episode is its LeRobot task. When
every exported episode is annotated, the live value maps are added as the video features
`value_map.{head,left_wrist,right_wrist}` (grey level = round(255 * value), decoded value =
channel mean / 255) and the phase as `value_phase` (0 none, 1 pick, 2 place); they are named outside
`observation.` because in AIM they are prediction targets, not inputs.

Frame rate. `fps` is the store's control rate as stored (250/15 = 16.67 Hz for RoboTwin-style data),
not rounded: timestamps (`frame_index / fps`) and video frame times (encoded at the exact rational
rate) agree to well within LeRobot's 1e-4 s tolerance. LeRobot's own writer assumes integer rates,
its reader does not.

Video. H.264 (yuv420p, keyframe every 2 frames like LeRobot's encoder, CRF 18) by default, or AV1
(`libsvtav1`, LeRobot's default codec); encoded by the ffmpeg binary that `imageio-ffmpeg` ships. H.264
decodes everywhere (PyAV, torchcodec, browsers). Frames come back within codec error, not bit-exact.

Safety. The export is written into a sibling folder `.OUT.partial-<pid>` and renamed to OUT at the end,
so OUT is either absent or a complete dataset. OUT must not exist or be an empty folder.

Format reference: lerobot's `datasets/lerobot_dataset.py`, `utils.py`, `video_utils.py` and
`compute_stats.py` (read, not copied). The check that the result is what LeRobot reads is
`tests/record/test_export_and_view.py`, which loads the export with `lerobot.datasets.LeRobotDataset`
in a separate environment (`scripts/lerobot_env.sh`).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from data_schemas.spec import ACTION_LAYOUT, ARMS, CAMERA_NAMES, EpisodeAttrs
from pipeline.record.store import DatasetStore

CODEBASE_VERSION = "v3.0"
"""LeRobot dataset format version written (what `lerobot` 0.4.x calls CODEBASE_VERSION)."""
CHUNKS_SIZE = 1000
"""Files per chunk folder (LeRobot's default)."""
DATA_FILE_SIZE_MB = 100
VIDEO_FILE_SIZE_MB = 200
"""A data parquet / video file is closed and a new one started once it reaches this size (LeRobot's defaults)."""
CHUNK_FILE = "chunk-{chunk_index:03d}/file-{file_index:03d}"
DATA_PATH = "data/" + CHUNK_FILE + ".parquet"
VIDEO_PATH = "videos/{video_key}/" + CHUNK_FILE + ".mp4"
EPISODES_PATH = "meta/episodes/" + CHUNK_FILE + ".parquet"
QUANTILES = (0.01, 0.10, 0.50, 0.90, 0.99)
EPISODES_PER_META_FILE = 1000
"""Rows of meta/episodes per parquet file (about 35 KB each with their statistics)."""
STATS_FRAMES = 100
"""At most this many frames per episode and camera enter the image statistics (evenly spaced)..."""
STATS_SIDE = 150
"""...subsampled to about this many pixels on the longer side (as LeRobot's own statistics do)."""
VIDEO_CODECS = {"h264": "libx264", "libsvtav1": "libsvtav1"}
MAX_CRF = {"h264": 51, "libsvtav1": 63}
FORMATS = ("lerobot",)


def _joint_names() -> list[str]:
    names = []
    for part, where in ACTION_LAYOUT.items():
        width = where.stop - where.start
        names += [part] if width == 1 else [f"{part}_{i + 1}" for i in range(width)]
    return names


ACTION_NAMES: list[str] = _joint_names()
"""Names of the 16 state/action entries: left_arm_1..7, left_gripper, right_arm_1..7, right_gripper."""
EE_POSE_NAMES: list[str] = [f"{arm}_{c}" for arm in ARMS for c in ("x", "y", "z", "qw", "qx", "qy", "qz")]


class ExportError(ValueError):
    """The export cannot be made as asked; the message (one line) says why and what to do."""


@dataclass
class ExportReport:
    out: Path
    episodes: int
    frames: int
    tasks: int
    video_keys: list[str]
    value_maps: bool
    """Whether value maps were exported (every exported episode annotated)."""
    note: str = ""
    """Why value maps were left out, when they were."""
    seconds: float = 0.0
    bytes: int = 0
    episode_ids: list[str] = field(default_factory=list)
    """AIM episode ids in LeRobot episode_index order."""


# ------------------------------------------------------------------------------------------ statistics
def _stats(values: np.ndarray, axis: int | tuple[int, ...], count: int) -> dict[str, np.ndarray]:
    """LeRobot's per-feature statistics of `values` reduced over `axis` (exact quantiles)."""
    values = values.astype(np.float64)
    out = {"min": values.min(axis=axis), "max": values.max(axis=axis), "mean": values.mean(axis=axis),
           "std": values.std(axis=axis), "count": np.array([count])}
    for q in QUANTILES:
        out[f"q{round(q * 100):02d}"] = np.quantile(values, q, axis=axis)
    return out


def vector_stats(values: np.ndarray) -> dict[str, np.ndarray]:
    """[T, D] (or [T]) per-frame values -> stats of shape [D] (or [1]), count T."""
    values = values.reshape(len(values), -1)
    return _stats(values, 0, len(values))


def image_stats(frames: np.ndarray) -> dict[str, np.ndarray]:
    """[T, H, W, 3] uint8 -> per-channel stats in [0, 1], shape [3, 1, 1], over at most STATS_FRAMES frames
    (exact over the sampled pixels, from each channel's 256-level histogram; quantiles: the lowest level whose
    cumulative share reaches q)."""
    take = np.unique(np.linspace(0, len(frames) - 1, min(len(frames), STATS_FRAMES)).round().astype(int))
    stride = max(1, max(frames.shape[1:3]) // STATS_SIDE)
    sample = np.ascontiguousarray(frames[take, ::stride, ::stride])
    levels = np.arange(256) / 255.0
    per_channel: dict[str, list[float]] = {}
    for c in range(3):
        hist = np.bincount(sample[..., c].ravel(), minlength=256).astype(np.float64)
        share = hist / hist.sum()
        present = np.flatnonzero(hist)
        mean = float((share * levels).sum())
        values = {"min": levels[present[0]], "max": levels[present[-1]], "mean": mean,
                  "std": float(np.sqrt((share * (levels - mean) ** 2).sum()))}
        cdf = np.cumsum(share)
        for q in QUANTILES:
            values[f"q{round(q * 100):02d}"] = levels[min(255, int(np.searchsorted(cdf, q - 1e-12)))]
        for k, v in values.items():
            per_channel.setdefault(k, []).append(float(v))
    stats = {k: np.array(v).reshape(3, 1, 1) for k, v in per_channel.items()}
    return {"min": stats["min"], "max": stats["max"], "mean": stats["mean"], "std": stats["std"],
            "count": np.array([len(take)]), **{k: v for k, v in stats.items() if k.startswith("q")}}


def aggregate_stats(per_episode: Sequence[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Dataset stats from episode stats: count-weighted mean, pooled variance, min of mins, max of maxes,
    count-weighted quantiles (the same approximation LeRobot's aggregate uses)."""
    counts = np.array([s["count"][0] for s in per_episode], dtype=np.float64)
    total = counts.sum()
    weights = counts.reshape(-1, *([1] * np.ndim(per_episode[0]["mean"]))) / total
    means = np.stack([s["mean"] for s in per_episode])
    mean = (means * weights).sum(0)
    var = ((np.stack([s["std"] for s in per_episode]) ** 2 + (means - mean) ** 2) * weights).sum(0)
    out = {"min": np.min([s["min"] for s in per_episode], axis=0), "max": np.max([s["max"] for s in per_episode], axis=0),
           "mean": mean, "std": np.sqrt(var), "count": np.array([int(total)])}
    for key in per_episode[0]:
        if key.startswith("q"):
            out[key] = (np.stack([s[key] for s in per_episode]) * weights).sum(0)
    return out


def _jsonable(stats: dict[str, dict[str, np.ndarray]]) -> dict:
    return {feature: {k: np.asarray(v).tolist() for k, v in s.items()} for feature, s in stats.items()}


# ------------------------------------------------------------------------------------------ files
def _next_file(chunk: int, file: int) -> tuple[int, int]:
    return (chunk + 1, 0) if file == CHUNKS_SIZE - 1 else (chunk, file + 1)


class _VideoWriter:
    """One video feature: episodes appended to an ffmpeg process fed raw RGB frames; a new file once the
    current one reaches VIDEO_FILE_SIZE_MB. Knows where each episode's frames start (from_timestamp)."""

    def __init__(self, root: Path, key: str, size: tuple[int, int], rate: Fraction, codec: str, crf: int):
        self.root, self.key, (self.h, self.w), self.rate, self.codec, self.crf = root, key, size, rate, codec, crf
        self.chunk, self.file = 0, 0
        self.frames_in_file = 0
        self.proc: subprocess.Popen | None = None
        self.log: tempfile.TemporaryFile | None = None

    @property
    def path(self) -> Path:
        return self.root / VIDEO_PATH.format(video_key=self.key, chunk_index=self.chunk, file_index=self.file)

    def _open(self) -> None:
        import imageio_ffmpeg

        self.path.parent.mkdir(parents=True, exist_ok=True)
        options = ["-g", "2", "-crf", str(self.crf)]
        options += ["-preset", "12"] if self.codec == "libsvtav1" else ["-preset", "medium"]
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error",
             "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{self.w}x{self.h}",
             "-framerate", f"{self.rate.numerator}/{self.rate.denominator}", "-i", "-",
             "-c:v", VIDEO_CODECS[self.codec], "-pix_fmt", "yuv420p", *options, "-an", "-y", str(self.path)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self.log)
        self.frames_in_file = 0

    def _close(self) -> None:
        if self.proc is None:
            return
        self.proc.stdin.close()
        code = self.proc.wait()
        self.log.seek(0)
        message = self.log.read().decode(errors="replace").strip()
        self.log.close()
        self.proc, self.log = None, None
        if code != 0:
            raise ExportError(f"ffmpeg failed encoding {self.path.name} of {self.key}: "
                              f"{message.splitlines()[-1] if message else f'exit code {code}'}")

    def _bytes_written(self) -> int:
        """Size of the current file so far (ffmpeg creates it only once it has frames to write)."""
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def append(self, frames: np.ndarray) -> dict:
        """Add one episode's frames [T, H, W, 3] uint8; its episode-metadata columns."""
        if self.proc is not None and self._bytes_written() >= VIDEO_FILE_SIZE_MB * 1024 ** 2:
            self._close()
            self.chunk, self.file = _next_file(self.chunk, self.file)
        if self.proc is None:
            self._open()
        start = self.frames_in_file
        try:
            self.proc.stdin.write(np.ascontiguousarray(frames, dtype=np.uint8).tobytes())
        except BrokenPipeError:
            self._close()  # raises with ffmpeg's message
            raise
        self.frames_in_file += len(frames)
        return {f"videos/{self.key}/chunk_index": self.chunk, f"videos/{self.key}/file_index": self.file,
                f"videos/{self.key}/from_timestamp": float(start / self.rate),
                f"videos/{self.key}/to_timestamp": float(self.frames_in_file / self.rate)}

    def finish(self) -> None:
        self._close()

    def abort(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
        if self.log is not None:
            self.log.close()
            self.log = None


class _DataWriter:
    """Per-frame rows into data parquet files; a new file once the current one reaches DATA_FILE_SIZE_MB."""

    def __init__(self, root: Path, schema: pa.Schema):
        self.root, self.schema = root, schema
        self.chunk, self.file = 0, 0
        self.writer: pq.ParquetWriter | None = None
        self.path: Path | None = None

    def append(self, table: pa.Table) -> dict:
        if self.writer is not None and self.path.stat().st_size >= DATA_FILE_SIZE_MB * 1024 ** 2:
            self.writer.close()
            self.writer = None
            self.chunk, self.file = _next_file(self.chunk, self.file)
        if self.writer is None:
            self.path = self.root / DATA_PATH.format(chunk_index=self.chunk, file_index=self.file)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.writer = pq.ParquetWriter(self.path, self.schema, compression="snappy")
        self.writer.write_table(table)
        return {"data/chunk_index": self.chunk, "data/file_index": self.file}

    def finish(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def _tasks_table(tasks: list[str]) -> pa.Table:
    """meta/tasks.parquet as pandas writes a DataFrame indexed by the task text (what LeRobot reads with
    `pd.read_parquet`: `tasks.iloc[i].name` is the instruction); the pandas metadata follows Arrow's spec."""
    table = pa.table({"task_index": pa.array(range(len(tasks)), pa.int64()), "task": pa.array(tasks, pa.string())})
    pandas_meta = {
        "index_columns": ["task"],
        "column_indexes": [{"name": None, "field_name": None, "pandas_type": "unicode", "numpy_type": "object",
                            "metadata": {"encoding": "UTF-8"}}],
        "columns": [{"name": "task_index", "field_name": "task_index", "pandas_type": "int64", "numpy_type": "int64",
                     "metadata": None},
                    {"name": "task", "field_name": "task", "pandas_type": "unicode", "numpy_type": "object",
                     "metadata": None}],
        "creator": {"library": "pyarrow", "version": pa.__version__},
        "pandas_version": "2.2.3",
    }
    return table.replace_schema_metadata({b"pandas": json.dumps(pandas_meta).encode()})


# ------------------------------------------------------------------------------------------ export
def _select(store: DatasetStore, task: str | None, setting: str | None,
            episode_ids: Sequence[str] | None) -> list[str]:
    if episode_ids is not None:
        missing = [e for e in episode_ids if not store.has_episode(e)]
        if missing:
            raise ExportError(f"{store.url} has no complete episode {missing[0]!r}")
        return list(episode_ids)
    ids = store.episode_ids(task=task, setting=setting)
    if not ids:
        which = " ".join(f"{k}={v}" for k, v in (("task", task), ("setting", setting)) if v)
        raise ExportError(f"{store.url} has no complete episodes{' with ' + which if which else ''}: nothing to export")
    return ids


def _check_uniform(store: DatasetStore, ids: list[str]) -> list[EpisodeAttrs]:
    attrs = [store.read_attrs(e) for e in ids]
    first = attrs[0]
    for a in attrs[1:]:
        for name in ("image_size", "camera_names", "control_rate_hz"):
            if getattr(a, name) != getattr(first, name):
                raise ExportError(
                    f"episodes {first.episode_id} and {a.episode_id} differ in {name} ({getattr(first, name)} vs "
                    f"{getattr(a, name)}); a LeRobot dataset has one shape and rate per feature: export them "
                    "separately (--task/--setting)")
    return attrs


def check_export_args(out: str | Path, fmt: str = "lerobot", vcodec: str = "h264", crf: int = 18) -> None:
    """ExportError unless `fmt`, `vcodec` and `crf` are valid and `out` is absent or an empty folder in an
    existing one."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; available: {', '.join(FORMATS)}")
    if vcodec not in VIDEO_CODECS:
        raise ExportError(f"unknown video codec {vcodec!r}; choose one of {', '.join(VIDEO_CODECS)}")
    if not 0 <= crf <= MAX_CRF[vcodec]:
        raise ExportError(f"--crf for {vcodec} must lie in [0, {MAX_CRF[vcodec]}], got {crf}")
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"{out} exists and is not an empty folder; choose a new OUT (nothing was written)")
    if not out.parent.exists():
        raise ExportError(f"{out.parent} does not exist; create it or choose another OUT")


def _prepare_out(out: Path) -> Path:
    staging = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    return staging


def _schema(value_maps: bool) -> pa.Schema:
    d = len(ACTION_NAMES)
    fields = [pa.field("observation.state", pa.list_(pa.float32(), d)), pa.field("action", pa.list_(pa.float32(), d)),
              pa.field("observation.ee_pose", pa.list_(pa.float32(), len(EE_POSE_NAMES)))]
    if value_maps:
        fields.append(pa.field("value_phase", pa.int64()))
    fields += [pa.field("timestamp", pa.float32()), pa.field("frame_index", pa.int64()),
               pa.field("episode_index", pa.int64()), pa.field("index", pa.int64()), pa.field("task_index", pa.int64())]
    return pa.schema(fields)


def _fixed_list(values: np.ndarray) -> pa.FixedSizeListArray:
    values = np.ascontiguousarray(values, dtype=np.float32)
    return pa.FixedSizeListArray.from_arrays(pa.array(values.reshape(-1)), values.shape[1])


def export_lerobot(store: DatasetStore, out: str | Path, *, task: str | None = None, setting: str | None = None,
                   episode_ids: Sequence[str] | None = None, vcodec: str = "h264", crf: int = 18,
                   on_episode: Callable[[str], None] | None = None) -> ExportReport:
    """Write the complete episodes of `store` (optionally one task/setting, or the given ids) to `out` as a
    LeRobotDataset v3.0 (module docstring). ExportError (nothing left behind) on bad input."""
    started = time.perf_counter()
    check_export_args(out, vcodec=vcodec, crf=crf)
    out = Path(out)
    ids = _select(store, task, setting, episode_ids)
    attrs = _check_uniform(store, ids)
    annotated = [store.value_params(e) is not None for e in ids]
    value_maps = all(annotated)
    note = "" if value_maps else (
        f"value maps left out: {sum(annotated)} of {len(ids)} episodes are annotated (all must be; run aim-annotate)")
    cameras = list(attrs[0].camera_names)
    h, w = attrs[0].image_size
    rate_hz = attrs[0].control_rate_hz
    rate = Fraction(rate_hz).limit_denominator(1000)
    video_keys = [f"observation.images.{c}" for c in cameras] + ([f"value_map.{c}" for c in cameras] if value_maps else [])
    staging = _prepare_out(out)
    videos = {k: _VideoWriter(staging, k, (h, w), rate, vcodec, crf) for k in video_keys}
    data = _DataWriter(staging, _schema(value_maps))
    tasks: dict[str, int] = {}
    episode_rows: list[dict] = []
    per_feature: dict[str, list[dict]] = {}
    frame_base = 0
    try:
        for index, (eid, a) in enumerate(zip(ids, attrs)):
            names = ["rgb", "qpos", "action", "ee_pose"] + (["value/map", "value/phase"] if value_maps else [])
            arrays = store.read_episode(eid, names).arrays
            steps = a.num_steps
            task_index = tasks.setdefault(a.instruction, len(tasks))
            columns = {
                "observation.state": _fixed_list(arrays["qpos"]),
                "action": _fixed_list(arrays["action"]),
                "observation.ee_pose": _fixed_list(arrays["ee_pose"].reshape(steps, -1)),
            }
            ep_stats = {"observation.state": vector_stats(arrays["qpos"]), "action": vector_stats(arrays["action"]),
                        "observation.ee_pose": vector_stats(arrays["ee_pose"].reshape(steps, -1))}
            if value_maps:
                phase = arrays["value/phase"].astype(np.int64)
                columns["value_phase"] = pa.array(phase)
                ep_stats["value_phase"] = vector_stats(phase)
            frame_index = np.arange(steps, dtype=np.int64)
            timestamp = (frame_index / rate_hz).astype(np.float32)
            columns |= {"timestamp": pa.array(timestamp), "frame_index": pa.array(frame_index),
                        "episode_index": pa.array(np.full(steps, index, np.int64)),
                        "index": pa.array(frame_base + frame_index), "task_index": pa.array(np.full(steps, task_index, np.int64))}
            for name, values in (("timestamp", timestamp), ("frame_index", frame_index),
                                 ("episode_index", np.full(steps, index)), ("index", frame_base + frame_index),
                                 ("task_index", np.full(steps, task_index))):
                ep_stats[name] = vector_stats(values)
            row = {"episode_index": index, "tasks": [a.instruction], "length": steps}
            row |= data.append(pa.table(columns, schema=data.schema))
            row |= {"dataset_from_index": frame_base, "dataset_to_index": frame_base + steps}
            for v, cam in enumerate(cameras):
                frames = arrays["rgb"][:, v]
                row |= videos[f"observation.images.{cam}"].append(frames)
                ep_stats[f"observation.images.{cam}"] = image_stats(frames)
                if value_maps:
                    grey = np.rint(np.clip(arrays["value/map"][:, v].astype(np.float32), 0, 1) * 255).astype(np.uint8)
                    grey = np.repeat(grey[..., None], 3, axis=-1)
                    row |= videos[f"value_map.{cam}"].append(grey)
                    ep_stats[f"value_map.{cam}"] = image_stats(grey)
            meta_chunk, meta_file = divmod(index // EPISODES_PER_META_FILE, CHUNKS_SIZE)
            row |= {"meta/episodes/chunk_index": meta_chunk, "meta/episodes/file_index": meta_file}
            row |= {f"stats/{feature}/{k}": np.asarray(v).tolist() for feature, s in ep_stats.items() for k, v in s.items()}
            row |= {"aim/episode_id": eid, "aim/task": a.task, "aim/setting": a.setting, "aim/seed": a.seed,
                    "aim/success": bool(a.success)}
            episode_rows.append(row)
            for feature, s in ep_stats.items():
                per_feature.setdefault(feature, []).append(s)
            frame_base += steps
            if on_episode is not None:
                on_episode(eid)
        for writer in videos.values():
            writer.finish()
        data.finish()
        _write_meta(staging, attrs[0], rate_hz, rate, cameras, video_keys, value_maps, vcodec, episode_rows, tasks,
                    per_feature, frame_base)
        if out.exists():
            out.rmdir()  # empty (checked before): replaced by the finished export
        staging.rename(out)
    except BaseException:
        for writer in videos.values():
            writer.abort()
        data.finish()
        shutil.rmtree(staging, ignore_errors=True)
        raise
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return ExportReport(out=out, episodes=len(ids), frames=frame_base, tasks=len(tasks), video_keys=video_keys,
                        value_maps=value_maps, note=note, seconds=time.perf_counter() - started, bytes=size,
                        episode_ids=list(ids))


def _write_meta(root: Path, first: EpisodeAttrs, rate_hz: float, rate: Fraction, cameras: list[str],
                video_keys: list[str], value_maps: bool, vcodec: str, episode_rows: list[dict], tasks: dict[str, int],
                per_feature: dict[str, list[dict]], total_frames: int) -> None:
    h, w = first.image_size
    video_info = {"video.height": h, "video.width": w, "video.codec": "h264" if vcodec == "h264" else "av1",
                  "video.pix_fmt": "yuv420p", "video.is_depth_map": False, "video.fps": rate_hz,
                  "video.channels": 3, "has_audio": False}
    features: dict[str, dict] = {}
    for key in video_keys:
        features[key] = {"dtype": "video", "shape": [h, w, 3], "names": ["height", "width", "channels"],
                         "info": dict(video_info)}
    features["observation.state"] = {"dtype": "float32", "shape": [len(ACTION_NAMES)], "names": ACTION_NAMES}
    features["action"] = {"dtype": "float32", "shape": [len(ACTION_NAMES)], "names": ACTION_NAMES}
    features["observation.ee_pose"] = {"dtype": "float32", "shape": [len(EE_POSE_NAMES)], "names": EE_POSE_NAMES}
    if value_maps:
        features["value_phase"] = {"dtype": "int64", "shape": [1], "names": None}
    features |= {"timestamp": {"dtype": "float32", "shape": [1], "names": None},
                 "frame_index": {"dtype": "int64", "shape": [1], "names": None},
                 "episode_index": {"dtype": "int64", "shape": [1], "names": None},
                 "index": {"dtype": "int64", "shape": [1], "names": None},
                 "task_index": {"dtype": "int64", "shape": [1], "names": None}}
    info = {
        "codebase_version": CODEBASE_VERSION, "robot_type": first.embodiment,
        "total_episodes": len(episode_rows), "total_frames": total_frames, "total_tasks": len(tasks),
        "chunks_size": CHUNKS_SIZE, "data_files_size_in_mb": DATA_FILE_SIZE_MB,
        "video_files_size_in_mb": VIDEO_FILE_SIZE_MB, "fps": rate_hz,
        "splits": {"train": f"0:{len(episode_rows)}"}, "data_path": DATA_PATH, "video_path": VIDEO_PATH,
        "features": features,
        "aim": {"source": "aim-dataset export", "cameras": cameras, "fps_fraction": f"{rate.numerator}/{rate.denominator}",
                "value_maps": value_maps, "value_map_encoding": "grey = round(255 * value); value = mean(rgb) / 255"},
    }
    (root / "meta").mkdir(parents=True, exist_ok=True)
    (root / "meta" / "info.json").write_text(json.dumps(info, indent=4))
    stats = {feature: aggregate_stats(s) for feature, s in per_feature.items()}
    (root / "meta" / "stats.json").write_text(json.dumps(_jsonable(stats), indent=4))
    pq.write_table(_tasks_table(sorted(tasks, key=tasks.get)), root / "meta" / "tasks.parquet")
    for start in range(0, len(episode_rows), EPISODES_PER_META_FILE):
        rows = episode_rows[start:start + EPISODES_PER_META_FILE]
        path = root / EPISODES_PATH.format(chunk_index=rows[0]["meta/episodes/chunk_index"],
                                           file_index=rows[0]["meta/episodes/file_index"])
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows), path)
