"""The train-stage2 Prefect flow on a real (test-harness) Prefect server and the real simulator."""
from pathlib import Path

import pytest
from prefect.testing.utilities import prefect_test_harness

from aim_core.training.checkpoint import read_checkpoint_state
from aim_core.training.stage2 import Stage2InputError, read_stage2_metrics
from flows.registry import deployments, load_flow
from tests.training.test_grpo import make_bundle

SERVER_STARTUP_S = 240
"""Generous: the two cores are shared by the whole suite."""


@pytest.fixture(scope="module")
def prefect_server():
    with prefect_test_harness(server_startup_timeout=SERVER_STARTUP_S):
        yield


def test_flow_is_registered_and_deployed_under_its_name():
    assert load_flow("train-stage2").name == "train-stage2"
    (deployment,) = deployments(["train-stage2"])
    assert (deployment.flow_name, deployment.name) == ("train-stage2", "train-stage2")
    assert set(load_flow("train-stage2").parameters.required) == {"checkpoint", "tasks"}


def test_bad_input_fails_before_any_rollout(prefect_server, tmp_path):
    flow = load_flow("train-stage2")
    bundle = make_bundle(tmp_path / "a")
    out = tmp_path / "run"
    with pytest.raises(Stage2InputError, match="no value stream"):
        flow(checkpoint=str(make_bundle(tmp_path / "b", variant="no-value")), tasks=["click_bell"], out_dir=str(out))
    with pytest.raises(Stage2InputError, match="fold_towel"):
        flow(checkpoint=str(bundle), tasks=["fold_towel"], out_dir=str(out))
    with pytest.raises(ValueError, match="must be >= 2"):
        flow(checkpoint=str(bundle), tasks=["click_bell"], out_dir=str(out), group_size=1)
    assert not out.exists()


def test_flow_trains_resumes_and_its_bundle_is_evaluated(prefect_server, tmp_path):
    flow = load_flow("train-stage2")
    bundle = make_bundle(tmp_path)
    out = tmp_path / "run"
    common = dict(checkpoint=str(bundle), tasks=["click_bell"], out_dir=str(out), group_size=2, sampling_steps=2,
                  max_steps=8, checkpoint_every=1)
    first = flow(iterations=1, **common)
    assert read_checkpoint_state(first).step == 1
    second = flow(iterations=2, **common)  # resume: continues at iteration 1
    assert read_checkpoint_state(second).step == 2 and Path(second).parent.parent == out
    assert [r["iteration"] for r in read_stage2_metrics(out)] == [1, 2]
    evaluated = load_flow("evaluate")(tasks=["click_bell"], out_dir=str(tmp_path / "eval"), checkpoint=second,
                                      settings=["easy"], episodes=1, videos=0, reference_policies=False,
                                      step_limit_factor=0.1, sampling_steps=2)
    assert set(evaluated["summary"]) == {"aim"}
