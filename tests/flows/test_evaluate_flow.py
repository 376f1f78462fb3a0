"""The `evaluate` deployment runs a RoboTwin policy folder as one more row, under the same protocol and
reports as checkpoints, and refuses a folder named like another row."""
import json

import numpy as np
import pytest

from aim_core.eval.evaluate import EvalConfig, solvable_seeds
from pipeline.sim.task_env import TaskEnv
from tests.eval.test_robotwin_policy import REPLAY_POLICY, SIM, TASK, write_policy
from tests.flows.test_progress_reports import _artifact


def test_evaluate_runs_a_robotwin_policy_folder_beside_the_references(prefect_api, tmp_path):
    from flows.evaluate import evaluate

    env = TaskEnv(SIM)
    try:
        seeds = EvalConfig(tasks=[TASK], out_dir=str(tmp_path / "seeds"), settings=["easy"], episodes=1, sim=SIM)
        actions = tmp_path / "actions.npy"
        np.save(actions, solvable_seeds(env, seeds, TASK, "easy")[0].actions)
    finally:
        env.close()
    folder = write_policy(tmp_path / "replay", REPLAY_POLICY)
    out = tmp_path / "eval"
    result = evaluate(tasks=[TASK], out_dir=str(out), settings=["easy"], episodes=1, videos=0,
                      image_size=SIM.image_size, step_limit_factor=1.5, robotwin_policy=str(folder),
                      policy_args={"actions": str(actions)})
    episodes = {e["policy"]: e for e in json.loads((out / "episodes.json").read_text())}
    assert set(episodes) == {"replay", "expert", "hold"}
    assert episodes["replay"]["success"] and episodes["expert"]["success"] and not episodes["hold"]["success"]
    assert result["summary"]["replay"]["easy"] == 1.0
    assert "finished at 3/3 episodes" in _artifact("evaluate-progress").description
    assert "Protocol: RoboTwin 2.0" in (out / "success.md").read_text()
    assert "AIM rows" not in (out / "success.md").read_text()  # no bundle evaluated: no sampling settings to state
    alone = evaluate(tasks=[TASK], out_dir=str(tmp_path / "alone"), settings=["easy"], episodes=1, videos=0,
                     image_size=SIM.image_size, step_limit_factor=1.5, robotwin_policy=str(folder),
                     policy_args={"actions": str(actions)}, reference_policies=False)
    assert alone["summary"] == {"replay": {"easy": 1.0, "average": 1.0}}  # the folder is a row of its own, with no others


def test_evaluate_samples_the_bundle_as_its_parameters_say_and_reports_how(prefect_api, tmp_path):
    """The deployment's sampling parameters reach the AIM policy: one episode of a tiny random bundle, ensembled."""
    from flows.evaluate import evaluate
    from tests.training.test_grpo import make_bundle  # a tiny random-weight bundle (32x48 cameras)

    out = tmp_path / "eval"
    evaluate(tasks=["click_bell"], out_dir=str(out), checkpoint=str(make_bundle(tmp_path)), settings=["easy"],
             episodes=1, videos=0, step_limit_factor=0.05, reference_policies=False, sampling_steps=1,
             execute_frames=1, temporal_ensemble=0.01)
    assert [e["policy"] for e in json.loads((out / "episodes.json").read_text())] == ["aim"]
    assert ("AIM rows: 1 denoising steps per chunk, 1 latent frame(s) of each chunk executed, one chunk per plan, "
            "temporal ensembling, m = 0.01") in (out / "success.md").read_text()
    with pytest.raises(ValueError, match="overlapping chunks"):  # a bundle with 2-frame chunks executed whole
        evaluate(tasks=["click_bell"], out_dir=str(tmp_path / "bad"), checkpoint=str(make_bundle(tmp_path / "b")),
                 settings=["easy"], episodes=1, execute_frames=2, temporal_ensemble=0.01)


def test_a_folder_named_like_a_reference_row_is_refused(prefect_api, tmp_path):
    from flows.evaluate import evaluate

    folder = write_policy(tmp_path / "hold", REPLAY_POLICY)
    with pytest.raises(ValueError, match="has the name of another row"):
        evaluate(tasks=[TASK], out_dir=str(tmp_path / "eval"), settings=["easy"], episodes=1,
                 robotwin_policy=str(folder))
