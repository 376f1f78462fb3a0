"""Every flow aim-serve deploys, one line each.

Why import paths and not imports: a flow of a later issue (train-stage1, evaluate) is listed
here before its module exists; it is served from the moment its module lands, and a flow
that is absent never stops the others from being served. Any other import error is raised.
"""
from __future__ import annotations

import importlib

from prefect import Flow
from prefect.types.entrypoint import EntrypointType

FLOWS: dict[str, str] = {
    "generate-dataset": "flows.generate_dataset:generate_dataset",
    "train-stage1": "flows.train_stage1:train_stage1",
    "evaluate": "flows.evaluate:evaluate",
    "train-stage2": "flows.train_stage2:train_stage2",
}
"""Flow name -> `module:attribute`. Each deployment is named after its flow."""


def load_flow(name: str) -> Flow | None:
    """The registered flow `name`, or None when its module does not exist (yet)."""
    if name not in FLOWS:
        raise KeyError(f"no flow named {name!r}; registered flows: {', '.join(FLOWS)}")
    module_name, _, attribute = FLOWS[name].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise
    found = getattr(module, attribute)
    if not isinstance(found, Flow) or found.name != name:
        raise TypeError(f"{FLOWS[name]} must be a Prefect flow named {name!r}, got {found!r}")
    return found


def available_flows(names: list[str] | None = None) -> list[Flow]:
    """The flows among `names` (default: all registered) whose modules exist."""
    return [f for f in map(load_flow, names or list(FLOWS)) if f is not None]


def deployments(names: list[str] | None = None) -> list:
    """One deployment per available flow, named after the flow: `prefect deployment run NAME/NAME`.

    Runs load their flow by module path (`flows.generate_dataset.generate_dataset`), not from
    a file: tasks then pickle by reference to an importable module, which a remote Dask
    scheduler and its workers can load.
    """
    return [f.to_deployment(name=f.name, entrypoint_type=EntrypointType.MODULE_PATH) for f in available_flows(names)]
