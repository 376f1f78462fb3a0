"""Evaluation in worker processes plays the same episodes as one process: same seeds, steps, outcomes."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest

from aim_core.eval.cli import main as aim_eval
from aim_core.eval.evaluate import EvalConfig, checkpoint_sim_config, evaluate_checkpoints


def episodes(out) -> list[tuple]:
    return [(e["policy"], e["seed"], e["success"], e["steps"], e["first_arm"])
            for e in json.loads((out / "episodes.json").read_text())]


@pytest.mark.slow
def test_two_worker_processes_give_the_episodes_of_one(tmp_path):
    from tests.training.test_grpo import make_bundle  # a tiny random-weight bundle (32x48 cameras)

    bundle = make_bundle(tmp_path)
    config = EvalConfig(tasks=["click_bell"], out_dir=str(tmp_path / "one"), settings=["easy"], episodes=3,
                        step_limit_factor=0.4, sim=checkpoint_sim_config(bundle))
    serial = evaluate_checkpoints({"aim": bundle}, config)
    pooled = evaluate_checkpoints({"aim": bundle}, replace(config, out_dir=str(tmp_path / "two"), workers=2))
    assert episodes(tmp_path / "two") == episodes(tmp_path / "one")
    rows = episodes(tmp_path / "one")
    assert [r[0] for r in rows] == ["aim"] * 3 + ["expert"] * 3 + ["hold"] * 3  # row order, then seed order
    limit = json.loads((tmp_path / "one" / "seeds.json").read_text())["click_bell/easy"]["step_limit"]
    assert all(r[3] == limit for r in rows) and not any(r[2] for r in rows)  # 0.4 x the expert: all cut short
    assert any(r[4] for r in rows if r[0] == "aim"), "the random policy should move an arm"
    assert pooled.seeds == serial.seeds and len(serial.seeds["click_bell/easy"]) == 3
    stated = "AIM rows: the bundle's denoising steps per chunk, each chunk executed whole, one chunk per plan"
    assert stated in (tmp_path / "one" / "success.md").read_text()  # under the protocol: how the AIM rows sampled
    assert json.loads((tmp_path / "one" / "seeds.json").read_text())["policy"].startswith(stated)
    assert sorted(p.name for p in pooled.videos) == sorted(p.name for p in serial.videos)
    assert all(p.stat().st_size > 0 for p in pooled.videos) and len(pooled.videos) == 3  # one per row


def test_bad_worker_counts_are_refused(tmp_path, capsys):
    with pytest.raises(ValueError, match="workers must be >= 1"):
        EvalConfig(tasks=["click_bell"], out_dir=str(tmp_path), workers=0)
    assert aim_eval(["--tasks", "click_bell", "--out", str(tmp_path / "x"), "--workers", "0"]) == 2
    assert "workers must be >= 1" in capsys.readouterr().err
    assert aim_eval(["--tasks", "click_bell", "--out", str(tmp_path / "x"), "--workers", "2",
                     "--robotwin-policy", "policies/aim"]) == 2
    assert "one process" in capsys.readouterr().err
    assert aim_eval(["--tasks", "click_bell", "--out", str(tmp_path / "x"), "--chunk-samples", "0"]) == 2
    assert "chunk_samples must be >= 1" in capsys.readouterr().err
    assert aim_eval(["--tasks", "click_bell", "--out", str(tmp_path / "x"), "--temporal-ensemble", "inf"]) == 2
    assert "temporal_ensemble must be a finite coefficient" in capsys.readouterr().err


@pytest.mark.slow
def test_worker_processes_find_the_seeds_one_process_finds(tmp_path):
    """The expert's seed search in the workers keeps seed order and skips the seeds it cannot solve
    (move_stapler_pad's evaluation build of seed 23 fails its check) exactly as one process does."""
    from aim_core.eval.evaluate import solvable_seeds, worker_pool
    from aim_core.inference.policy import PolicyConfig
    from pipeline.sim.config import SimConfig
    from pipeline.sim.task_env import TaskEnv

    config = EvalConfig(tasks=["move_stapler_pad"], out_dir=str(tmp_path), settings=["easy"], episodes=2,
                        seed_start=22, sim=SimConfig(image_size=(48, 64)), workers=2)
    env = TaskEnv(config.sim)
    try:
        serial = solvable_seeds(env, config, "move_stapler_pad", "easy")
        with worker_pool({}, config, PolicyConfig()) as pool:
            pooled = solvable_seeds(env, config, "move_stapler_pad", "easy", pool)
    finally:
        env.close()
    assert [r.seed for r in serial] == [22, 24]
    assert [(r.seed, r.success, r.steps) for r in pooled] == [(r.seed, r.success, r.steps) for r in serial]
    assert all((p.actions == s.actions).all() for p, s in zip(pooled, serial))
