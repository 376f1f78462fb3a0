"""Real SAPIEN scene on lavapipe: rendering, camera conventions, planning accuracy."""
import numpy as np
import pytest
import sapien

from data_schemas.spec import CAMERA_NAMES
from pipeline.assets import build_actor, make_asset
from pipeline.sim.appearance import EASY_APPEARANCE, sample_appearance
from pipeline.sim.config import SimConfig
from pipeline.sim.env import SimEnv
from pipeline.sim.poses import top_down_tcp
from pipeline.sim.primitives import Expert


@pytest.fixture(scope="module")
def env_with_block():
    env = SimEnv(SimConfig(image_size=(64, 80)), EASY_APPEARANCE)
    block = build_actor(env.scene, make_asset("block", np.random.default_rng(0), size=0.05),
                        sapien.Pose([0.05, 0.05, env.workspace.table_top_z]), name="probe")
    env.settle(0.2)
    return env, block


def test_scene_renders_every_camera(env_with_block):
    env, block = env_with_block
    lut = np.full(block.per_scene_id + 1, -1, dtype=np.int16)
    lut[block.per_scene_id] = 0
    frame = env.cameras.capture(lut)
    assert frame["rgb"].shape == (len(CAMERA_NAMES), 64, 80, 3) and frame["rgb"].dtype == np.uint8
    assert frame["depth"].dtype == np.uint16 and (frame["depth"][0] > 0).all()  # table/wall everywhere
    assert frame["rgb"][0].std() > 5  # not a blank image
    assert (frame["segmentation"][0] == 0).sum() > 4  # the probe block is seen by the head camera


def test_known_world_point_projects_where_it_renders(env_with_block):
    env, block = env_with_block
    lut = np.full(block.per_scene_id + 1, -1, dtype=np.int16)
    lut[block.per_scene_id] = 0
    frame = env.cameras.capture(lut)
    K, E = env.cameras.intrinsics()[0], env.cameras.extrinsics()[0]
    top_center = np.append(block.get_pose().p + [0, 0, 0.05], 1.0)
    cam = E @ top_center
    assert cam[2] > 0, "OpenCV z must point forward"
    u, v = (K @ (cam[:3] / cam[2]))[:2]
    row, col = int(round(v)), int(round(u))
    assert frame["segmentation"][0, row, col] == 0, "the block's top centre must render at its projection"
    assert abs(frame["depth"][0, row, col] / 1000.0 - cam[2]) < 0.01
    # off the block (12 cm to the side on the table) the pixel is not the block
    side = E @ (top_center + [0.12, 0, -0.05, 0])
    su, sv = (K @ (side[:3] / side[2]))[:2]
    assert frame["segmentation"][0, int(round(sv)), int(round(su))] == -1
    # agrees with SAPIEN's own OpenCV extrinsic for the static head camera
    assert np.allclose(E[:3], env.cameras.cameras[0].get_extrinsic_matrix(), atol=1e-4)


def test_intrinsics_follow_opencv_pixel_centres(env_with_block):
    """Every rendered surface point, projected through the stored K, lands on its own pixel's
    centre (u = col, v = row): OpenCV's convention, which the annotator and rewards rely on."""
    env, _ = env_with_block
    env.scene.update_render()
    for index, camera in enumerate(env.cameras.cameras):
        camera.take_picture()
        position = camera.get_picture("Position")  # OpenGL camera frame: x right, y up, z back
        rows, cols = np.nonzero(position[..., 3] < 1.0)
        gl = position[rows, cols, :3].astype(np.float64)
        cv = np.stack([gl[:, 0], -gl[:, 1], -gl[:, 2]], axis=1)
        uv = (cv @ env.cameras.intrinsics()[index].T.astype(np.float64))
        uv = uv[:, :2] / uv[:, 2:]
        assert np.abs(uv[:, 0] - cols).mean() < 0.05 and np.abs(uv[:, 1] - rows).mean() < 0.05, CAMERA_NAMES[index]


def test_planner_reaches_poses_with_both_arms_together(env_with_block):
    env, _ = env_with_block
    goals = {"left": top_down_tcp([-0.2, -0.05, env.workspace.table_top_z + 0.15], yaw=-0.2),
             "right": top_down_tcp([0.2, 0.0, env.workspace.table_top_z + 0.15], yaw=0.3)}
    start = env.num_steps
    Expert(env).move_to(goals)
    assert env.num_steps > start
    for arm, goal in goals.items():
        reached = env.robot[arm].tcp_pose()
        assert np.linalg.norm(reached.p - goal.p) < 0.01, arm
        angle = 2 * np.arccos(min(1.0, abs(float(np.dot(reached.q, goal.q)))))
        assert angle < np.deg2rad(3), arm
    # asking for the pose the arm already holds is a no-op path, not an mplib time-parameterisation crash
    here = env.robot["left"].tcp_pose()
    path = env.robot["left"].plan_to_tcp(here, 1 / 250, straight=True)
    assert path.shape == (1, 7) and np.allclose(path[0], env.robot["left"].arm_qpos())
    Expert(env).move_all_by({"left": (0, 0, 0.05), "right": (0, 0, 0.05)})
    assert np.linalg.norm(env.robot["left"].tcp_pose().p - goals["left"].p - [0, 0, 0.05]) < 0.01


def test_hard_setting_randomises_and_easy_is_fixed():
    looks = {sample_appearance("hard", np.random.default_rng(s)) for s in range(3)}
    assert len(looks) == 3
    assert all(-0.03 <= a.table_height_offset <= 0 for a in looks)
    assert sample_appearance("easy", np.random.default_rng(5)) == EASY_APPEARANCE
    with pytest.raises(ValueError, match="easy"):
        sample_appearance("medium", np.random.default_rng(0))


def test_move_table_moves_the_body_and_every_planners_slab():
    """RoboTwin's `table_xy_bias` (the dustbin tasks): the planners avoid the table where it now stands."""
    env = SimEnv(SimConfig(image_size=(64, 80)), EASY_APPEARANCE)
    before = env.workspace.table.get_pose().p.copy()
    env.move_table(0.3)
    assert np.allclose(env.workspace.table.get_pose().p, before + [0.3, 0.0, 0.0])
    for arm in env.robot.arms.values():
        slab = arm.planner.planning_world.get_object("table").pose
        assert np.allclose(slab.p, [0.3, 0.0, env.workspace.table_top_z - 0.05], atol=1e-6)
        assert arm.planner.planning_world.get_object_names().count("table") == 1
