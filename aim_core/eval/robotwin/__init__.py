"""RoboTwin 2.0's policy interface on our tasks: the `TASK_ENV` adapter, policy folders and their evaluation.

    from aim_core.eval.robotwin import evaluate_robotwin_policy
    evaluate_robotwin_policy(EvalConfig(tasks=["click_bell"], out_dir="out"), "policies/aim",
                             {"checkpoint": "RUN/checkpoints/step-001000"})
"""
from aim_core.eval.robotwin.folder import (PolicyFolder, PolicyFolderError, load_policy_folder)
from aim_core.eval.robotwin.run import evaluate_robotwin_policy, refuse_workers, robotwin_row, run_robotwin_episode
from aim_core.eval.robotwin.task_env import ACTION_TYPES, ROBOTWIN_CAMERAS, ActionError, RoboTwinTaskEnv

__all__ = ["ACTION_TYPES", "ROBOTWIN_CAMERAS", "ActionError", "PolicyFolder", "PolicyFolderError", "RoboTwinTaskEnv",
           "evaluate_robotwin_policy", "load_policy_folder", "refuse_workers", "robotwin_row", "run_robotwin_episode"]
