"""Task registry: `get_task(name)` returns a `Task` subclass, `list_tasks()` the known names.

Register a task with `@register_task` on its class (the class attribute `name` is the key) in its
own module of this package: every module here is imported (sorted by name), no list to edit.
"""
from __future__ import annotations

from pipeline.tasks.base import Task

_TASKS: dict[str, type[Task]] = {}


def register_task(cls: type[Task]) -> type[Task]:
    if cls.name in _TASKS:
        raise ValueError(f"task {cls.name!r} is already registered")
    _TASKS[cls.name] = cls
    return cls


def list_tasks() -> list[str]:
    return sorted(_TASKS)


def get_task(name: str) -> type[Task]:
    try:
        return _TASKS[name]
    except KeyError:
        raise KeyError(f"unknown task {name!r}; available tasks: {', '.join(list_tasks())}") from None


import importlib  # noqa: E402
import pkgutil  # noqa: E402

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")
