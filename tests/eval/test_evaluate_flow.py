"""The evaluate flow on a real Prefect test server and the real simulator (reference rows only)."""
import csv

import pytest
from prefect.testing.utilities import prefect_test_harness

from flows.registry import load_flow

SERVER_STARTUP_S = 240
"""Generous: the two cores are shared by the whole suite."""


@pytest.fixture(scope="module")
def prefect_server():
    with prefect_test_harness(server_startup_timeout=SERVER_STARTUP_S):
        yield


def test_bad_selection_fails_before_any_simulation(prefect_server, tmp_path):
    flow = load_flow("evaluate")
    with pytest.raises(ValueError, match="unknown task 'fold_towel'"):
        flow(tasks=["fold_towel"], out_dir=str(tmp_path / "eval"))
    with pytest.raises(ValueError, match="nothing to evaluate"):
        flow(tasks=["stack_blocks_two"], out_dir=str(tmp_path / "eval"), reference_policies=False)
    with pytest.raises(ValueError, match="one process"):
        flow(tasks=["stack_blocks_two"], out_dir=str(tmp_path / "eval"), robotwin_policy="policies/aim", workers=2)
    assert not (tmp_path / "eval").exists()


@pytest.mark.slow
def test_reference_rows_on_expert_solvable_seeds(prefect_server, tmp_path):
    """Played by two worker processes (`workers`, started once for both tasks), as a user spreads a long
    evaluation over cores."""
    flow = load_flow("evaluate")
    out = flow(tasks=["stack_blocks_two", "click_bell"], out_dir=str(tmp_path / "eval"), settings=["easy"],
               episodes=1, image_size=(32, 48), videos=1, step_limit_factor=1.5, workers=2)
    assert out["summary"]["expert"]["easy"] == 1.0  # evaluation seeds are the ones the expert solves
    assert "Protocol: RoboTwin 2.0 evaluation; 1 expert-solvable seeds" in open(out["markdown"]).read()
    assert out["summary"]["hold"]["easy"] == 0.0
    rows = list(csv.DictReader(open(out["csv"])))
    assert {(r["policy"], r["task"]) for r in rows} == {(p, t) for p in ("expert", "hold")
                                                       for t in ("stack_blocks_two", "click_bell")}
    assert len(out["videos"]) == 4
