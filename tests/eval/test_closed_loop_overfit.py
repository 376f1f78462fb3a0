"""Proof that the learning chain is aligned end to end: a small AIM overfit on one recorded episode.

One real click_bell episode is recorded in SAPIEN and annotated; a small AIM is trained on it for a
few CPU minutes and loaded back from its policy bundle. Then:
- teacher forcing: fed the recorded frames and commands, the policy predicts each recorded command
  (mean error < 0.01 rad, worst joint < 0.2 rad) - an action lagging or
  leading by one step, a history or normalisation mismatch shows up here even where success hides it;
- closed loop: on that episode's seed the policy drives the simulated robot to success, issuing the
  recorded commands (mean error < 0.02 rad; measured 0.002).
Both hold for a policy that acts in joint space and for one that acts in TCP space (`TrainConfig.action_space`:
the recorded joint targets read as the poses they put the grippers at, executed through inverse kinematics).
"""
from pathlib import Path

import numpy as np
import pytest
import torch

from aim_core.data.episodes import complete_episodes, open_dataset
from aim_core.data.window_dataset import episode_action_rows
from aim_core.eval.chain import ChainConfig, generate_annotated_dataset
from aim_core.eval.episode import run_episode
from aim_core.eval.evaluate import checkpoint_sim_config
from data_schemas.observation import Observation
from aim_core.inference.policy import AIMPolicy, PolicyConfig
from aim_core.training.config import OptimConfig, TrainConfig
from aim_core.training.trainer import train_stage1
from pipeline.sim.task_env import TaskEnv

TASK, SEED = "click_bell", 0
IMAGE_SIZE = (32, 48)
OVERFIT_MODEL = {"num_heads": 4, "head_dim": 16, "ffn_dim": 128, "action_width": 64, "action_ffn_dim": 128}
"""aim-tiny widened to a 64-wide attention: aim-tiny's 24 channels cannot memorise 25 chunks in minutes."""


@pytest.fixture(scope="module")
def demonstration(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("overfit")
    return generate_annotated_dataset(ChainConfig(out_dir=str(out), tasks=[TASK], episodes_per_task=1,
                                                  seed=SEED, image_size=IMAGE_SIZE))


@pytest.fixture(scope="module", params=["joints", "tcp"])
def overfit(request, demonstration) -> tuple[Path, Path]:
    config = TrainConfig(dataset=str(demonstration), out_dir=str(demonstration.parent / f"train-{request.param}"),
                         model="aim-tiny", model_overrides=OVERFIT_MODEL, steps=2000, batch_size=8, seed=0,
                         optim=OptimConfig(lr=2e-3, warmup_steps=50), checkpoint_every=10**6, val_every=0,
                         log_every=100, action_space=request.param)
    torch.set_num_threads(1)
    return demonstration, train_stage1(config).checkpoint


def recorded(dataset: Path, action_space: str):
    """The episode, its frames and its commands in `action_space`."""
    episode = complete_episodes(open_dataset(dataset))[0]
    assert episode.attrs.success and episode.attrs.seed == SEED
    return episode, episode.array("rgb")[...], episode_action_rows(episode, action_space)[0].numpy()


@pytest.mark.slow
def test_teacher_forced_predictions_match_the_recorded_commands(overfit):
    dataset, bundle = overfit
    policy = AIMPolicy.from_pretrained(bundle)
    episode, rgb, actions = recorded(dataset, policy.action_space)
    qpos, ee = episode.array("qpos")[...], episode.array("ee_pose")[...]
    predicted = []
    for t in range(len(rgb)):
        obs = Observation(rgb[t], qpos[t], episode.attrs.instruction, t, ee_pose=ee[t])
        predicted.append(policy.select_action(obs))
        policy.observe_executed(actions[t])
    error = np.abs(np.stack(predicted) - actions)
    assert error.mean() < 0.01 and error.max() < 0.2, f"mean {error.mean():.4f}, per joint max {error.max(0).round(3)}"
    # where the command changes, the prediction matches its own step, not the step before: a lagging
    # label would make "one step late" the near-zero one - measured 0.0030 vs 0.0056 rad on the 71-step
    # demonstration (0.0015 vs 0.0039 on the earlier 105-step one, which also went home)
    moving = np.nonzero(np.abs(np.diff(actions, axis=0)).max(axis=1) > 5e-3)[0] + 1
    late = np.abs(np.stack(predicted)[moving] - actions[moving - 1]).mean()
    assert late > 1.5 * error[moving].mean(), f"aligned {error[moving].mean():.4f} vs one step late {late:.4f}"


@pytest.mark.slow
def test_closed_loop_reproduces_the_episode_and_succeeds(overfit):
    dataset, bundle = overfit
    policy = AIMPolicy.from_pretrained(bundle)
    _, _, actions = recorded(dataset, policy.action_space)
    env = TaskEnv(checkpoint_sim_config(bundle))  # the world the bundle was trained in, from its policy.json
    env.reset(TASK, "easy", SEED)
    issued = []
    select = policy.select_action
    policy.select_action = lambda obs: issued.append(select(obs)) or issued[-1]
    result = run_episode(env, policy, max_steps=int(1.5 * len(actions)))
    assert result.success, f"no success within {result.steps} steps"
    error = np.abs(np.stack(issued) - actions[:len(issued)])
    assert error.mean() < 0.02, f"closed-loop commands differ from the recording by {error.mean():.4f} rad"
