"""Wall-time accounting split into render / physics / planning, reported in `attrs.timing`."""
from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager


class Timer:
    """Accumulates wall seconds per category; `measure` is cheap enough to wrap every step."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    @contextmanager
    def measure(self, category: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[category] += time.perf_counter() - start

    def as_dict(self, total_s: float) -> dict[str, float]:
        return {"render_s": round(self.seconds["render"], 4), "physics_s": round(self.seconds["physics"], 4),
                "planning_s": round(self.seconds["planning"], 4), "total_s": round(total_s, 4)}
