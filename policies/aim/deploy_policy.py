"""AIM as a RoboTwin policy folder: RoboTwin's four functions over `aim_core.inference.policy.AIMPolicy`.

    aim-eval --robotwin-policy policies/aim --policy-arg checkpoint=RUN/checkpoints/step-001000 \
        --tasks click_bell --settings easy --episodes 10 --out out/aim-robotwin

`deploy_policy.yml` holds the arguments (checkpoint, sampling_steps, execute_frames, device). The
world the evaluation builds must be the bundle's: its camera size unless the bundle resizes views
(`policy.json` camera_hw), and its control period (aim-eval's `--sim-from BUNDLE`).
AIM plans chunks internally and wants every observation, so `eval` executes one action per call: joint targets
(`qpos`), or for a bundle trained in TCP space (`TrainConfig.action_space="tcp"`) both end poses (`ee`).
"""
import numpy as np

from aim_core.inference.policy import AIMPolicy, PolicyConfig
from data_schemas.observation import Observation
from data_schemas.spec import ARMS, ROBOTWIN_ACTION_TYPES

CAMERAS = ("head_camera", "left_camera", "right_camera")
"""RoboTwin's camera keys in our CAMERA_NAMES order (head, left_wrist, right_wrist)."""


def encode_obs(observation):
    """RoboTwin observation -> (images uint8 [3, H, W, 3] in CAMERA_NAMES order, measured joints [16], both end
    poses [2, 7] (left, right; xyz + wxyz, world frame) or None where the observation has no `endpose`)."""
    images = np.stack([observation["observation"][camera]["rgb"] for camera in CAMERAS])
    joints = observation["joint_action"]
    qpos = np.asarray(joints.get("measured_vector", joints["vector"]), dtype=np.float32)
    ends = observation.get("endpose")
    ee_pose = np.asarray([ends[f"{arm}_endpose"] for arm in ARMS], dtype=np.float32) if ends else None
    return images, qpos, ee_pose


def get_model(usr_args):
    checkpoint = usr_args.get("checkpoint")
    if not checkpoint:
        raise ValueError("no checkpoint: set `checkpoint` in deploy_policy.yml or pass "
                         "--policy-arg checkpoint=RUN/checkpoints/step-NNNNNN")
    config = PolicyConfig(num_inference_steps=usr_args.get("sampling_steps"),
                          execute_frames=usr_args.get("execute_frames"),
                          chunk_samples=usr_args.get("chunk_samples") or PolicyConfig.chunk_samples,
                          temporal_ensemble=usr_args.get("temporal_ensemble"),
                          precision=usr_args.get("precision") or "fp32")
    return AIMPolicy.from_pretrained(checkpoint, config, device=usr_args.get("device") or "cpu",
                                     name=usr_args.get("policy_name") or "aim")


def eval(TASK_ENV, model, observation):  # noqa: A001 - RoboTwin's name
    images, qpos, ee_pose = encode_obs(observation)
    if model.camera_hw is None and tuple(images.shape[1:3]) != tuple(model.spec.image_size):
        raise ValueError(f"cameras give {images.shape[1]}x{images.shape[2]} images, the bundle was trained on "
                         f"{model.spec.image_size[0]}x{model.spec.image_size[1]} without resizing: evaluate in "
                         "its world (aim-eval --sim-from BUNDLE)")
    obs = Observation(images=images, qpos=qpos, instruction=TASK_ENV.get_instruction(),
                      step=TASK_ENV.take_action_cnt, ee_pose=ee_pose)
    TASK_ENV.take_action(model.select_action(obs), action_type=ROBOTWIN_ACTION_TYPES[model.action_space])


def reset_model(model):
    model.reset()
