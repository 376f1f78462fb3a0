"""A RoboTwin policy folder: `deploy_policy.py` (encode_obs, get_model, eval, reset_model) + `deploy_policy.yml`.

RoboTwin's `script/eval_policy.py` imports the policy folder as a package (so `deploy_policy.py` may import
its neighbours with `from .model import X`), builds the model once per run with `get_model(usr_args)`,
where `usr_args` is `deploy_policy.yml` updated by the command line's overrides (task_name, task_config,
ckpt_setting, seed, policy_name, ...) plus the arm dimensions, and then per episode calls
`reset_model(model)` and `eval(TASK_ENV, model, observation)` (`encode_obs` is the policy's own helper,
called from its `eval`). `load_policy_folder` does the import and checks; `PolicyFolder.usr_args` builds
the arguments of one evaluation run (a task and setting, as a RoboTwin run is one task and task config).
"""
from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

import yaml

from data_schemas.spec import ARM_DOF

POLICY_FILE = "deploy_policy.py"
ARGS_FILE = "deploy_policy.yml"
REQUIRED_FUNCTIONS = ("encode_obs", "get_model", "eval", "reset_model")
TASK_CONFIGS = {"easy": "demo_clean", "hard": "demo_randomized"}
"""Our settings -> RoboTwin 2.0's task configs of the same scenes (usr_args['task_config'])."""
PROTOCOL_ARGS = ("task_name", "task_config", "seed", "instruction_type", "left_arm_dim", "right_arm_dim", "setting")
"""usr_args the evaluation sets (the protocol's); overrides may not change them."""


class PolicyFolderError(ValueError):
    """A folder is not a usable RoboTwin policy folder (names what is missing or broken)."""


@dataclass
class PolicyFolder:
    """A loaded RoboTwin policy folder: its module's four functions and its deploy_policy.yml."""

    path: Path
    name: str
    module: ModuleType
    args: dict[str, Any]
    """deploy_policy.yml with the overrides applied."""
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def encode_obs(self) -> Callable:
        return self.module.encode_obs

    @property
    def get_model(self) -> Callable:
        return self.module.get_model

    @property
    def eval(self) -> Callable:
        return self.module.eval

    @property
    def reset_model(self) -> Callable:
        return self.module.reset_model

    def usr_args(self, task: str, setting: str, robotwin_seed: int, instruction_type: str) -> dict[str, Any]:
        """`get_model`'s argument for one evaluation run of (task, setting): deploy_policy.yml + overrides,
        and what RoboTwin's eval.sh and eval_policy.py add (task_name, task_config, seed, instruction_type,
        policy_name when the file leaves it empty, left_arm_dim / right_arm_dim), plus `setting`."""
        args = dict(self.args)
        if not args.get("policy_name"):
            args["policy_name"] = self.name
        args.update(task_name=task, task_config=TASK_CONFIGS[setting], setting=setting, seed=robotwin_seed,
                    instruction_type=instruction_type, left_arm_dim=ARM_DOF, right_arm_dim=ARM_DOF)
        return args


def _package_name(folder: Path) -> str:
    stem = re.sub(r"\W", "_", folder.name) or "policy"
    return f"robotwin_policy_{stem}_{hashlib.sha1(str(folder).encode()).hexdigest()[:8]}"


def load_policy_folder(folder: str | Path, overrides: dict[str, Any] | None = None) -> PolicyFolder:
    """Import `folder`'s deploy_policy.py as RoboTwin does (as a package module) and read its
    deploy_policy.yml, updated by `overrides`. A missing folder, file or function, a yml that is not a
    mapping, an import that fails or an override of a protocol argument -> `PolicyFolderError` naming it."""
    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise PolicyFolderError(f"{folder} is not a folder: give a RoboTwin policy folder holding {POLICY_FILE} "
                                f"and {ARGS_FILE}")
    missing_files = [f for f in (POLICY_FILE, ARGS_FILE) if not (folder / f).is_file()]
    if missing_files:
        raise PolicyFolderError(f"policy folder {folder} lacks {', '.join(missing_files)}")
    overrides = dict(overrides or {})
    fixed = sorted(set(overrides) & set(PROTOCOL_ARGS))
    if fixed:
        raise PolicyFolderError(f"policy arguments {', '.join(fixed)} are set by the evaluation protocol "
                                "(use --tasks, --settings, --seed, --instruction-type)")
    try:
        args = yaml.safe_load((folder / ARGS_FILE).read_text()) or {}
    except yaml.YAMLError as exc:
        raise PolicyFolderError(f"{folder / ARGS_FILE} is not valid YAML: {exc}") from None
    if not isinstance(args, dict):
        raise PolicyFolderError(f"{folder / ARGS_FILE} must hold a mapping of arguments, got {type(args).__name__}")
    args.update(overrides)

    package = _package_name(folder)
    if package not in sys.modules:
        module = types.ModuleType(package)
        module.__path__ = [str(folder)]  # a package over the folder: relative imports of its neighbours work
        sys.modules[package] = module
    name = f"{package}.deploy_policy"
    spec = importlib.util.spec_from_file_location(name, folder / POLICY_FILE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - any import failure of user code is reported as one line
        del sys.modules[name]
        raise PolicyFolderError(f"{folder / POLICY_FILE} failed to import: {type(exc).__name__}: {exc}") from exc
    missing = [f for f in REQUIRED_FUNCTIONS if not callable(getattr(module, f, None))]
    if missing:
        raise PolicyFolderError(f"{folder / POLICY_FILE} does not define {', '.join(missing)} "
                                f"(a RoboTwin policy defines {', '.join(REQUIRED_FUNCTIONS)})")
    return PolicyFolder(path=folder, name=folder.name, module=module, args=args, overrides=overrides)
