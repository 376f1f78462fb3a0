"""Task registry: `get_task(name)` returns a `Task` subclass, `list_tasks()` the known names.

Register a task with `@register_task` on its class (the class attribute `name` is the key) and
import its module below.
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


from pipeline.tasks import place_shoe, stack_blocks_two  # noqa: E402,F401  (registration)
from pipeline.tasks import beat_block_hammer, click_bell, place_empty_cup  # noqa: E402,F401  (registration)
from pipeline.tasks import handover_block, lift_pot, open_laptop  # noqa: E402,F401  (registration)
