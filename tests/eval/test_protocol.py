"""RoboTwin 2.0's evaluation protocol as configuration: seeds, step limits, instructions, the world."""
import pytest

from aim_core.eval.evaluate import EVAL_SEED_START, EvalConfig, robotwin_seed_start
from pipeline.sim.config import SimConfig
from pipeline.sim.task_env import ExpertRun
from pipeline.tasks import get_task, list_tasks


def test_defaults_are_robotwins_protocol(tmp_path):
    config = EvalConfig(tasks=["click_bell"], out_dir=str(tmp_path))
    assert config.episodes == 100 and config.seed_start == EVAL_SEED_START == robotwin_seed_start(0)
    assert robotwin_seed_start(2) == 300_000
    assert config.instruction_type == config.texture_set == "unseen"
    assert config.step_limit_factor is None and config.sim == SimConfig()
    text = config.protocol()
    assert "100 expert-solvable seeds" in text and "RoboTwin step limit" in text and "unseen instructions" in text


def test_step_limits_are_the_tasks_own_at_robotwins_control_period(tmp_path):
    """RoboTwin counts policy actions at its control period of 15 physics steps; at another period the
    same physics time is allowed."""
    for task in list_tasks():
        assert get_task(task).step_limit, f"{task} declares no RoboTwin step limit"
    assert get_task("click_bell").step_limit == 400 and get_task("handover_block").step_limit == 800
    robotwin = EvalConfig(tasks=["click_bell"], out_dir=str(tmp_path))
    assert robotwin.step_limit("click_bell", []) == 400
    coarse = EvalConfig(tasks=["click_bell"], out_dir=str(tmp_path), sim=SimConfig(record_every=60))
    assert coarse.step_limit("click_bell", []) == 100
    runs = [ExpertRun("click_bell", "easy", s, True, [[0.0] * 16] * n) for s, n in ((1, 10), (2, 21))]
    relative = EvalConfig(tasks=["click_bell"], out_dir=str(tmp_path), step_limit_factor=1.5)
    assert relative.step_limit("click_bell", runs) == 32


def test_bad_protocol_settings_are_refused(tmp_path):
    with pytest.raises(ValueError, match="instruction_type"):
        EvalConfig(tasks=["click_bell"], out_dir=str(tmp_path), instruction_type="novel")
    with pytest.raises(ValueError, match="step_limit_factor"):
        EvalConfig(tasks=["click_bell"], out_dir=str(tmp_path), step_limit_factor=0)
    with pytest.raises(ValueError, match="seed"):
        robotwin_seed_start(-1)


def test_the_world_round_trips_through_its_saved_form():
    config = SimConfig(image_size=(64, 80), record_every=30)
    assert SimConfig.from_dict(config.to_dict()) == config
    legacy = {"image_size": [48, 64], "physics_rate_hz": 250.0, "record_every": 60, "segmentation": False,
              "surface_points": 16, "settle_s": 0.2}  # an episode's rollout_config attr before SimConfig
    assert SimConfig.from_dict(legacy) == SimConfig(image_size=(48, 64), record_every=60)
    with pytest.raises(ValueError, match="multiples"):
        SimConfig(image_size=(50, 64))
