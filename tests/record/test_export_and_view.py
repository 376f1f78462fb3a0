"""`aim-dataset export --format lerobot` and `aim-dataset view` on a small real store.

The store: the real expert episode of `recorded_episode` (stack_blocks_two, 32x48 cameras) annotated by the
real annotator, plus a second episode made from it with inverted colours, shifted joints, another
instruction and mirrored value maps (so a mix-up between episodes cannot pass), both in one store.

LeRobot check. `lerobot` cannot live in the project's environment (0.4.4, the newest for Python 3.11, pins
torch<2.11 and diffusers<0.36; we pin torch 2.13 and diffusers 0.42). So the `lerobot_python` fixture builds
a separate virtualenv with a plain `pip install lerobot==0.4.4` (scripts/lerobot_env.sh; cached in
~/.cache/aim/lerobot-0.4.4 or $AIM_LEROBOT_ENV, about 7 GB, minutes the first time) and `lerobot_reader.py`
loads the export there with `lerobot.datasets.lerobot_dataset.LeRobotDataset`, item by item, as a training
loop would. The test skips only when that environment cannot be created because no package index
answers; any other failure fails.

Viewer check: the .rrd written by `aim-dataset view --save` is read back with `rerun.dataframe`.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from pipeline.export.lerobot import ACTION_NAMES, export_lerobot
from pipeline.record.store import DatasetStore
from pipeline.record.synthetic import synthetic_episode, synthetic_value_maps
from tests.record.test_cli import BIN, run

pytestmark = pytest.mark.slow  # a SAPIEN rollout (shared with the other recorder tests), and lerobot's environment

REPO = Path(__file__).resolve().parents[2]
COPY_ID = "stack_blocks_two-hard-000099"
COPY_INSTRUCTION = "Stack the two blocks (a copy with inverted colours)."
NO_INDEX = ("No matching distribution", "Could not find a version", "NewConnectionError", "Name or service not known",
            "Temporary failure in name resolution", "Network is unreachable", "Connection refused")


@pytest.fixture(scope="module")
def real_store(tmp_path_factory, recorded_episode) -> tuple[Path, dict]:
    """(store path, {episode id: arrays as the export must reproduce them})."""
    from pipeline.annotate.dataset import annotate_stored_episode
    from pipeline.annotate.params import AnnotationParams

    path = tmp_path_factory.mktemp("export") / "ds.zarr"
    store = DatasetStore.open(path, mode="a")
    store.write_episode(recorded_episode)
    annotate_stored_episode(store, recorded_episode.episode_id, AnnotationParams())
    source = store.read_episode(recorded_episode.episode_id).arrays
    arrays = dict(recorded_episode.arrays)
    arrays |= {"rgb": 255 - arrays["rgb"], "qpos": arrays["qpos"] + 1.0, "action": arrays["action"] - 1.0}
    copy = recorded_episode.attrs.model_copy(update={"episode_id": COPY_ID, "seed": 99, "setting": "hard",
                                                     "instruction": COPY_INSTRUCTION})
    store.write_episode(type(recorded_episode)(attrs=copy, arrays=arrays))
    mirrored = {n: np.ascontiguousarray(source[n][:, :, :, ::-1]) for n in ("value/map", "value/rgb")}
    store.write_value(COPY_ID, {**mirrored, "value/phase": source["value/phase"]}, {"digest": "mirrored"})
    store.update_index()
    expected = {eid: store.read_episode(eid, ["rgb", "qpos", "action", "value/map", "value/phase"]).arrays
                for eid in (recorded_episode.episode_id, COPY_ID)}
    assert expected[recorded_episode.episode_id]["value/map"].max() == 1.0  # the real annotator drew something
    return path, expected


@pytest.fixture(scope="session")
def lerobot_python() -> str:
    """The python of the separate lerobot environment (built on first use, then cached)."""
    try:
        done = subprocess.run(["bash", str(REPO / "scripts" / "lerobot_env.sh")], capture_output=True, text=True,
                              timeout=3000)
    except subprocess.TimeoutExpired:
        pytest.fail("creating the lerobot environment took over 50 minutes")
    if done.returncode != 0:
        log = done.stdout + done.stderr
        reason = next((n for n in NO_INDEX if n in log), None)
        if reason is not None:
            pytest.skip(f"cannot create the lerobot environment (no package index serves lerobot==0.4.4: {reason})")
        pytest.fail(f"scripts/lerobot_env.sh failed:\n{log[-3000:]}")
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.timeout(3600)
def test_lerobot_loads_the_export_with_the_source_frames_and_actions(real_store, lerobot_python, tmp_path):
    path, expected = real_store
    out = tmp_path / "lerobot"
    done = run("aim-dataset", "export", str(path), str(out), "--format", "lerobot", timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 episodes" in done.stdout, done.stdout

    info, items = _read_with_lerobot(lerobot_python, out, tmp_path / "items.npz")  # every frame
    ids = list(expected)
    lengths = [len(expected[e]["action"]) for e in ids]
    assert info["codebase_version"] == "v3.0" and info["num_episodes"] == 2 and info["len"] == sum(lengths)
    cams = ("head", "left_wrist", "right_wrist")
    assert sorted(info["video_keys"]) == sorted([f"observation.images.{c}" for c in cams] +
                                                [f"value_map.{c}" for c in cams])
    assert abs(info["fps"] - 250 / 15) < 1e-9
    assert info["episodes"][1]["videos/observation.images.head/from_timestamp"] == pytest.approx(lengths[0] * 15 / 250)
    assert info["tasks"][0] != COPY_INSTRUCTION and info["tasks"][-1] == COPY_INSTRUCTION and info["total_tasks"] == 2

    episode, frame = items["episode_index"], items["frame_index"]
    checked_moves = 0
    for e, eid in enumerate(ids):
        src, mine = expected[eid], episode == e
        t = frame[mine]
        np.testing.assert_array_equal(t, np.arange(lengths[e]))
        # vectors exactly (float32 in, float32 out)
        np.testing.assert_array_equal(items["action"][mine], src["action"][t])
        np.testing.assert_array_equal(items["observation.state"][mine], src["qpos"][t])
        np.testing.assert_array_equal(items["value_phase"][mine], src["value/phase"][t])
        for v, cam in enumerate(cams):
            decoded = items[f"observation.images.{cam}"][mine].astype(np.int16)
            truth = src["rgb"][t, v].astype(np.int16)
            error = np.abs(decoded - truth).mean(axis=(1, 2, 3))
            assert error.max() < 6 and error.mean() < 3, (eid, cam, error.mean(), error.max())
            value = items[f"value_map.{cam}"][mine].astype(np.float32).mean(-1) / 255
            value_error = np.abs(value - src["value/map"][t, v].astype(np.float32))
            assert value_error.mean() < 0.01 and np.percentile(value_error, 99.9) < 0.2, (eid, cam, value_error.mean())
            # the right frame, not a neighbour: where the camera image changes from one step to the next, each
            # decoded frame is closer to its own source frame than to the previous one
            moving = np.abs(truth[1:] - truth[:-1]).mean(axis=(1, 2, 3)) > 4
            previous = np.abs(decoded[1:] - truth[:-1]).mean(axis=(1, 2, 3))
            assert (error[1:][moving] < previous[moving]).all(), (eid, cam)
            checked_moves += int(moving.sum())
    assert checked_moves >= 10  # 14 such steps in this 32x48 episode pair
    # delta_timestamps (an action chunk of 4, one frame of image history), as LeRobot policies load it
    first, last = expected[ids[0]]["action"], expected[ids[-1]]["action"]
    np.testing.assert_array_equal(items["chunk_action"][0], first[1:5])
    np.testing.assert_array_equal(items["chunk_action"][1], np.repeat(last[-1:], 4, axis=0))
    assert not items["chunk_action_is_pad"][0].any() and items["chunk_action_is_pad"][1].tolist() == [0, 1, 1, 1]
    assert items["chunk_observation.images.head_is_pad"][0].tolist() == [0, 0]
    assert "observation.state" in info["stats_keys"] and "observation.images.head" in info["stats_keys"]
    np.testing.assert_allclose(info["state_stats_mean"],
                               np.concatenate([expected[e]["qpos"] for e in ids]).mean(0), rtol=1e-4, atol=1e-5)


def _read_with_lerobot(python: str, export: Path, dump: Path, *indices: int) -> tuple[dict, dict]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env |= {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(dump.parent / "hf")}  # no hub
    loaded = subprocess.run([python, str(REPO / "tests" / "record" / "lerobot_reader.py"), str(export), str(dump),
                             *map(str, indices)], capture_output=True, text=True, timeout=1800, env=env)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr[-4000:]
    return json.loads(Path(str(dump) + ".json").read_text()), dict(np.load(dump))


@pytest.mark.timeout(3600)
def test_lerobot_reads_an_export_split_over_chunks_and_files(real_store, lerobot_python, tmp_path, monkeypatch):
    """Size limits of 0 MB and one file per chunk: every episode in its own data, video and episode-metadata
    file, each in its own chunk folder (the layout a dataset of 200 MB videos x 1000 files reaches)."""
    import pipeline.export.lerobot as exporter

    path, expected = real_store
    for name, value in (("VIDEO_FILE_SIZE_MB", 0), ("DATA_FILE_SIZE_MB", 0), ("CHUNKS_SIZE", 1),
                        ("EPISODES_PER_META_FILE", 1)):
        monkeypatch.setattr(exporter, name, value)
    out = tmp_path / "split"
    exporter.export_lerobot(DatasetStore.open(path), out)
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.suffix in (".parquet", ".mp4"))
    for stem, ext in (("data", "parquet"), ("meta/episodes", "parquet"), ("videos/observation.images.head", "mp4"),
                      ("videos/value_map.right_wrist", "mp4")):
        assert [f for f in files if f.startswith(stem + "/")] == [f"{stem}/chunk-00{c}/file-000.{ext}" for c in (0, 1)]
    ids = list(expected)
    n0 = len(expected[ids[0]]["action"])
    info, items = _read_with_lerobot(lerobot_python, out, tmp_path / "split.npz", 0, n0 - 1, n0, n0 + 1, 2 * n0 - 1)
    assert info["episodes"][1]["videos/observation.images.head/from_timestamp"] == 0.0
    assert info["episodes"][1]["data/chunk_index"] == 1 and info["episodes"][1]["meta/episodes/chunk_index"] == 1
    for row, (e, t) in enumerate([(0, 0), (0, n0 - 1), (1, 0), (1, 1), (1, n0 - 1)]):
        src = expected[ids[e]]
        assert items["episode_index"][row] == e and items["frame_index"][row] == t
        np.testing.assert_array_equal(items["action"][row], src["action"][t])
        error = np.abs(items["observation.images.left_wrist"][row].astype(np.int16) - src["rgb"][t, 1]).mean()
        assert error < 6, (e, t, error)


def test_export_refusals_are_one_line_with_exit_2(tmp_path):
    store = DatasetStore.open(tmp_path / "ds.zarr", mode="a")
    store.write_episode(synthetic_episode(seed=0, image_size=(32, 48)))
    full = tmp_path / "full"
    full.mkdir()
    (full / "x").write_text("keep me")
    for args, needle in [((str(tmp_path / "missing.zarr"), str(tmp_path / "a")), "no AIM dataset"),
                         ((str(tmp_path / "ds.zarr"), str(full)), "not an empty folder"),
                         ((str(tmp_path / "ds.zarr"), str(tmp_path / "b"), "--format", "rlds"), "unknown export format"),
                         ((str(tmp_path / "ds.zarr"), str(tmp_path / "c"), "--task", "nope"), "no complete episodes")]:
        done = run("aim-dataset", "export", *args)
        text = (done.stdout + done.stderr).strip()
        assert done.returncode == 2 and needle in text and "Traceback" not in text, text
        assert len(text.splitlines()[-1]) and text.splitlines()[-1].startswith("error:"), text
    assert (full / "x").read_text() == "keep me" and sorted(p.name for p in full.iterdir()) == ["x"]
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())  # no staging folder left behind


def test_value_maps_are_left_out_unless_every_episode_is_annotated(tmp_path):
    store = DatasetStore.open(tmp_path / "ds.zarr", mode="a")
    for seed in (0, 1):
        store.write_episode(synthetic_episode(seed=seed, image_size=(32, 48)))
    first = synthetic_episode(seed=0, image_size=(32, 48))
    store.write_value(first.episode_id, synthetic_value_maps(first), {"digest": "d"})
    report = export_lerobot(store, tmp_path / "out")
    info = json.loads((tmp_path / "out" / "meta" / "info.json").read_text())
    assert not report.value_maps and "1 of 2" in report.note
    assert not any(k.startswith("value") for k in info["features"])
    assert info["features"]["action"]["names"] == ACTION_NAMES and info["total_frames"] == 24


def test_view_of_an_unannotated_episode_has_no_overlays(tmp_path):
    import rerun.dataframe as rdf

    from pipeline.export.rerun_view import log_episode

    store = DatasetStore.open(tmp_path / "ds.zarr", mode="a")
    episode = synthetic_episode(seed=0, image_size=(32, 48), num_steps=7)
    store.write_episode(episode)
    result = log_episode(store, episode.episode_id, tmp_path / "e.rrd")
    recording = rdf.load_recording(str(result.path))
    entities = {c.entity_path for c in recording.schema().component_columns()}
    assert "/world/cameras/head/rgb" in entities and not any("value" in e for e in entities)
    assert recording.view(index="step", contents="/world/cameras/right_wrist/rgb").select().read_all().num_rows == 7


def test_view_saves_an_rrd_with_every_step(real_store, tmp_path):
    import rerun.dataframe as rdf

    path, expected = real_store
    eid = COPY_ID
    steps = len(expected[eid]["action"])
    rrd = tmp_path / "episode.rrd"
    done = run("aim-dataset", "view", str(path), "--episode", eid, "--save", str(rrd))
    assert done.returncode == 0, done.stdout + done.stderr
    recording = rdf.load_recording(str(rrd))
    entities = {c.entity_path for c in recording.schema().component_columns()}
    cams = ("head", "left_wrist", "right_wrist")
    wanted = {"/instruction", "/episode", "/world/contacts", "/world/ee", "/value/phase"}
    wanted |= {f"/world/cameras/{c}/{kind}" for c in cams for kind in ("rgb", "value_overlay")}
    wanted |= {f"/joints/{kind}/{joint}" for kind in ("qpos", "action") for joint in ACTION_NAMES}
    assert wanted <= entities, wanted - entities
    for entity in [f"/world/cameras/{c}/{kind}" for c in cams for kind in ("rgb", "value_overlay")] + \
                  ["/joints/qpos/left_arm_1", "/joints/action/right_gripper", "/world/contacts"]:
        table = recording.view(index="step", contents=entity).select().read_all()
        assert table.num_rows == steps, (entity, table.num_rows)
        assert sorted(table.column("step").to_pylist()) == list(range(steps))
    table = recording.view(index="step", contents="/joints/action/left_arm_1").select().read_all()
    column = next(n for n in table.column_names if n.endswith(":Scalars:scalars") or n.endswith("Scalar"))
    logged = np.array([v[0] if isinstance(v, list) else v for v in table.column(column).to_pylist()])
    np.testing.assert_allclose(logged, expected[eid]["action"][:, 0], rtol=1e-6)
    missing = run("aim-dataset", "view", str(path), "--episode", "nope", "--save", str(tmp_path / "x.rrd"))
    assert missing.returncode == 2 and "no complete episode 'nope'" in missing.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening(port: int) -> set[str]:
    """Local IPv4 addresses (hex, as /proc/net/tcp writes them) listening on `port`."""
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return {r.split()[1].split(":")[0] for r in rows if r.split()[3] == "0A" and int(r.split()[1].split(":")[1], 16) == port}


def test_view_serves_the_web_viewer_on_loopback_only(tmp_path):
    store = DatasetStore.open(tmp_path / "ds.zarr", mode="a")
    store.write_episode(synthetic_episode(seed=0, image_size=(32, 48), num_steps=5))
    web, grpc = _free_port(), _free_port()
    proc = subprocess.Popen([str(BIN / "aim-dataset"), "view", str(tmp_path / "ds.zarr"), "--serve", "--web-port",
                             str(web), "--grpc-port", str(grpc)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        deadline, page = time.monotonic() + 90, None
        while page is None and time.monotonic() < deadline and proc.poll() is None:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{web}/", timeout=2).read()
            except OSError:
                time.sleep(0.5)
        assert page and b"<html" in page.lower(), proc.poll()
        assert _listening(web) == {"0100007F"} and _listening(grpc) == {"0100007F"}  # 127.0.0.1 only
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C
        output = proc.communicate(timeout=30)[0]
    assert f"http://127.0.0.1:{web}/" in output and proc.returncode == 0, output
