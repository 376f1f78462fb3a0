"""Episode traces: an evaluation records, for the episodes it films, what was commanded and what the robot and the
objects did per step, in either action space, as .npz and a legible plot; the hook never outlives its episode."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from aim_core.eval.evaluate import EvalConfig, EpisodeFiles, evaluate_policies, play_episode
from aim_core.eval.episode import PolicyError
from aim_core.eval.report import first_per_policy, trace_sections
from aim_core.eval.trace import EpisodeTrace
from data_schemas import TCP_LAYOUT
from data_schemas.observation import tcp_states
from pipeline.sim.config import SimConfig
from pipeline.sim.task_env import ExpertRun, TaskEnv

SIM = SimConfig(image_size=(32, 48))


@pytest.fixture(scope="module")
def env():
    env = TaskEnv(SIM)
    yield env
    env.close()


def test_an_evaluation_traces_the_episodes_it_films(tmp_path):
    config = EvalConfig(tasks=["click_bell"], out_dir=str(tmp_path), settings=["easy"], episodes=2, videos=1,
                        step_limit_factor=1.0, sim=SIM)
    outcome = evaluate_policies(config, {})
    assert sorted(p.name for p in outcome.traces) == sorted(p.with_suffix(".png").name for p in
                                                          (tmp_path / "traces" / v.stem for v in outcome.videos))
    assert len(outcome.traces) == 2  # one filmed episode per row (expert, hold), not the second seed's
    results = {r.policy: r for r in outcome.results if r.seed == outcome.seeds["click_bell/easy"][0]}
    traces = {policy: np.load(png.with_suffix(".npz")) for policy, png in first_per_policy(outcome.traces).items()}
    expert, hold = traces["expert"], traces["hold"]
    assert len(expert["tcp"]) == results["expert"].steps and len(hold["tcp"]) == results["hold"].steps
    names = list(expert["condition_names"])
    assert expert["conditions"][-1, names.index("success")] and not hold["conditions"][:, names.index("success")].any()
    # the expert's joint targets are tracked: where its last command sends the grippers is where they are
    assert np.abs(expert["commanded"][-1] - expert["tcp"][-1]).max() < 0.02
    # holding still: the commands send the grippers where they started, and they stay there
    assert np.abs(hold["tcp"] - hold["tcp"][0]).max() < 0.005
    assert np.abs(hold["commanded"] - hold["tcp"][:1]).max() < 0.005 and (hold["command"] == 1).all()
    assert str(expert["action_space"]) == "joints" and str(expert["policy"]) == "expert"
    assert list(expert["object_names"]) == ["bell"] and expert["objects"].shape == (len(expert["tcp"]), 1, 3)
    image = cv2.imread(str(first_per_policy(outcome.traces)["expert"]))
    assert image is not None and image.shape[0] >= 800 and image.shape[1] >= 800
    assert "![expert trace](data:image/png;base64," in trace_sections(outcome.traces)


def test_a_trace_records_tcp_actions_as_commanded(env, tmp_path):
    obs = env.reset("click_bell", "easy", 3)
    trace = EpisodeTrace("probe")
    trace.begin(env)
    env.control_hooks.append(trace)
    try:
        action = tcp_states(obs.ee_pose, obs.qpos).astype(np.float64)
        action[TCP_LAYOUT["right_pose"].start + 2] -= 0.03
        for _ in range(4):
            env.step(action, action_space="tcp")
    finally:
        env.control_hooks.remove(trace)
    data, image = trace.save(tmp_path / "probe-click_bell-easy-3")
    saved = np.load(data)
    assert str(saved["action_space"]) == "tcp" and saved["commanded"].shape == (4, 2, 3)
    assert saved["commanded"][-1, 1, 2] == pytest.approx(obs.ee_pose[1, 2] - 0.03)  # the action's own position
    assert abs(saved["tcp"][-1, 1, 2] - saved["commanded"][-1, 1, 2]) < 0.005  # and the arm got there
    assert image.stat().st_size > 20_000


def test_a_trace_refuses_another_episode_and_an_empty_save(env, tmp_path):
    env.reset("click_bell", "easy", 0)
    trace = EpisodeTrace("probe")
    trace.begin(env)
    with pytest.raises(ValueError, match="no control step"):
        trace.save(tmp_path / "empty")
    obs = env.reset("click_bell", "easy", 1)
    env.control_hooks.append(trace)
    try:
        with pytest.raises(RuntimeError, match="call begin"):
            env.step(obs.qpos)
    finally:
        env.control_hooks.remove(trace)
    assert not list(tmp_path.iterdir())


def test_the_hook_is_removed_when_the_policy_fails(env, tmp_path):
    def failing(env, run, limit, video):
        env.step(env.observe().qpos)
        raise PolicyError("the policy failed")

    run = ExpertRun("click_bell", "easy", 0, True, np.zeros((1, 16)))
    config = EvalConfig(tasks=["click_bell"], out_dir=str(tmp_path), sim=SIM)
    with pytest.raises(PolicyError):
        play_episode(config, env, {"broken": failing}, "broken", run, 5, EpisodeFiles.of(tmp_path, "broken", run))
    assert env.control_hooks == []


def test_rows_named_with_hyphens_are_grouped_by_their_whole_name():
    files = [Path(f"{row}-click_bell-{setting}-{seed}.png") for row in ("aim-stage2", "aim")
             for setting, seed in (("hard", 100001), ("easy", 100000))]
    first = first_per_policy(files)
    assert first == {"aim": Path("aim-click_bell-easy-100000.png"),
                     "aim-stage2": Path("aim-stage2-click_bell-easy-100000.png")}
