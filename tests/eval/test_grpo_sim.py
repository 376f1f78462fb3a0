"""Stage II in the real simulator: the dense value-map reward's geometry and a short click_bell GRPO run."""
from __future__ import annotations

import json

import numpy as np
import pytest

from aim_core.eval.grpo_rollouts import (HEAD_CAMERA, project, read_value_map, scale_intrinsics, sim_source,
                                         value_from_colour)
from aim_core.inference.policy import AIMPolicy
from aim_core.training.checkpoint import read_checkpoint_state
from aim_core.training.grpo import GRPOHyper
from aim_core.training.stage2 import Stage2Config, read_stage2_metrics, train_stage2
from pipeline.annotate.colorize import colorize
from pipeline.sim.config import SimConfig
from pipeline.sim.task_env import TaskEnv

IMAGE = (120, 160)


@pytest.fixture(scope="module")
def env():
    env = TaskEnv(SimConfig(image_size=IMAGE))
    env.reset("click_bell", "easy", 0)
    yield env
    env.close()


def blob(shape, centre_uv, width=1.5) -> np.ndarray:
    rows, cols = np.mgrid[:shape[0], :shape[1]]
    return np.exp(-((cols - centre_uv[0]) ** 2 + (rows - centre_uv[1]) ** 2) / (2 * width ** 2))


def test_dense_reward_reads_a_blob_at_the_landing_points_projection(env):
    intrinsics, extrinsics = env.camera_geometry()
    home = env.tcp_targets(env.sim.robot.action())  # commanded = home joints after reset
    point = home[:1] + np.array([[0.05, 0.10, -0.05]])  # a point in front of the left gripper
    map_hw = (IMAGE[0] // 4, IMAGE[1] // 4)  # the policy's smaller canvas views
    k = scale_intrinsics(intrinsics[HEAD_CAMERA], IMAGE, map_hw)
    uv, z = project(point, k, extrinsics[HEAD_CAMERA])
    assert z[0] > 0 and 0 <= uv[0, 0] < map_hw[1] and 0 <= uv[0, 1] < map_hw[0]
    value = blob(map_hw, uv[0])
    decoded = value_from_colour(colorize(value, "inferno"))  # what the VAE's colour maps turn back into
    assert np.abs(decoded - value).max() < 3 / 255
    assert read_value_map(decoded, k, extrinsics[HEAD_CAMERA], point) > 0.9
    moved = value_from_colour(colorize(blob(map_hw, uv[0] + np.array([8.0, 6.0])), "inferno"))
    assert read_value_map(moved, k, extrinsics[HEAD_CAMERA], point) < 0.05
    assert read_value_map(decoded, k, extrinsics[HEAD_CAMERA], point + np.array([[0, 0, 50.0]])) == 0.0  # off-image


def test_home_gripper_point_projects_onto_the_rendered_gripper(env):
    """FK of commanded joints, projected with the stored K/extrinsics, lands on pixels the renderer
    attributes to that arm's hand or fingers (head camera). At the home pose both grippers sit just
    outside the head view (measured u = -16 and 175 of 160 columns), so each arm is checked at home
    and then turned towards the table centre about its base joint, where the head camera sees it."""
    intrinsics, extrinsics = env.camera_geometry()
    sim = env.sim
    home_command = sim.robot.action()
    home = env.tcp_targets(home_command)
    for arm in sim.robot.arms.values():  # FK at the home joints = the TCP where the robot really is
        np.testing.assert_allclose(home[arm.index], arm.tcp_pose().p, atol=2e-3)
    uv_home, _ = project(home, intrinsics[HEAD_CAMERA], extrinsics[HEAD_CAMERA])
    assert all(u < 0 or u >= IMAGE[1] for u in uv_home[:, 0]), uv_home  # out of view: a dense reward of 0
    camera = sim.cameras.cameras[HEAD_CAMERA]
    for arm, turn in zip(sim.robot.arms.values(), (-0.5, 0.5)):
        qpos = arm.full_qpos()
        qpos[0] += turn
        arm.articulation.set_qpos(qpos)
        command = home_command.copy()
        command[arm.index * 8] += turn  # ACTION_LAYOUT: arm joints 0..6 then the gripper, per arm
        point = env.tcp_targets(command)[arm.index]
        sim.cameras.scene.update_render()
        camera.take_picture()
        ids = camera.get_picture("Segmentation")[..., 1]
        (col, row), = np.round(project(point[None], intrinsics[HEAD_CAMERA], extrinsics[HEAD_CAMERA])[0]).astype(int)
        assert 0 <= row < IMAGE[0] and 0 <= col < IMAGE[1], (arm.name, row, col)
        gripper = {arm.hand_link.entity.per_scene_id, *(link.entity.per_scene_id for link in arm.finger_links)}
        # within 6 px (about 4 cm at this depth, half a gripper): the TCP lies between the fingertips, so the
        # pixel itself may show what is behind; the hand's own pixels are measured 3-5 px away
        window = ids[max(row - 6, 0):row + 7, max(col - 6, 0):col + 7]
        assert gripper & set(np.unique(window).tolist()), f"{arm.name}: no gripper pixel near ({row}, {col})"
        qpos[0] -= turn
        arm.articulation.set_qpos(qpos)


def test_a_short_click_bell_grpo_run_in_the_simulator(tmp_path):
    from tests.training.test_grpo import make_bundle  # a tiny random-weight bundle (32x48 cameras)

    bundle = make_bundle(tmp_path)
    config = Stage2Config(checkpoint=str(bundle), out_dir=str(tmp_path / "out"), tasks=["click_bell"], iterations=1,
                          sampling_steps=2, grpo=GRPOHyper(group_size=2, lr=1e-3))
    source = sim_source(bundle, 2, None, config.sde, workers=1, max_steps=16)
    try:
        result = train_stage2(config, source)
    finally:
        source.close()
    row = read_stage2_metrics(config.out_dir)[0]
    assert row["iteration"] == 1 and row["chunks"] >= 0 and row["episode_steps"] == 16
    assert 0.0 <= row["dense_mean"] <= 1.0 and row["ratio_max_dev_first"] == 0.0
    assert read_checkpoint_state(result.checkpoint).config["stage"] == 2
    assert json.loads((result.checkpoint / "policy.json").read_text())["image_size"] == [32, 48]
    assert AIMPolicy.from_pretrained(result.checkpoint).model.config.variant == "aim"  # a bundle aim-eval loads


def test_cli_refuses_bad_input_and_writes_bundles_and_the_curve(tmp_path, capsys):
    from aim_core.training.stage2_cli import main
    from tests.training.test_grpo import make_bundle

    out = tmp_path / "out"
    no_value = make_bundle(tmp_path / "b", variant="no-value")
    assert main(["--checkpoint", str(no_value), "--tasks", "click_bell", "--out", str(out)]) == 2
    assert "no value stream" in capsys.readouterr().err
    bundle = make_bundle(tmp_path / "a")
    assert main(["--checkpoint", str(bundle), "--tasks", "click_bell", "--out", str(out), "-G", "1"]) == 2
    assert "must be >= 2" in capsys.readouterr().err and not out.exists()
    assert main(["--checkpoint", str(bundle), "--tasks", "click_bell", "--out", str(out), "-G", "2", "--iterations", "1",
                 "--steps", "2", "--max-steps", "8"]) == 0
    assert (out / "stage2_curve.png").stat().st_size > 1000
    assert read_checkpoint_state(out / "checkpoints" / "step-000001").step == 1


@pytest.mark.slow
def test_parallel_rollout_processes_give_exact_log_probs(tmp_path):
    """Two spawned rollout processes sample; the trainer recomputes the same log-probabilities bit for bit."""
    from tests.training.test_grpo import make_bundle

    bundle = make_bundle(tmp_path)
    config = Stage2Config(checkpoint=str(bundle), out_dir=str(tmp_path / "out"), tasks=["click_bell"], iterations=1,
                          sampling_steps=2, grpo=GRPOHyper(group_size=2))
    source = sim_source(bundle, 2, None, config.sde, workers=2, max_steps=8)
    try:
        train_stage2(config, source)
    finally:
        source.close()
    row = read_stage2_metrics(config.out_dir)[0]
    assert row["episode_steps"] == 8 and row["ratio_max_dev_first"] == 0.0
