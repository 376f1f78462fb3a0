"""benchmarks/open_loop.py on a real tiny trained bundle: teacher-forced chunks against the demonstrations."""
import math
import sys

sys.path.insert(0, "benchmarks")
from open_loop import open_loop_tracking  # noqa: E402

from aim_core.data import LatentWindowDataset  # noqa: E402
from aim_core.inference.policy import AIMPolicy  # noqa: E402
from aim_core.training.trainer import train_stage1  # noqa: E402


def test_open_loop_tracking_scores_every_full_history_window(tiny_config, tiny_dataset, latent_cache):
    bundle = train_stage1(tiny_config(steps=2, checkpoint_every=2)).checkpoint
    result = open_loop_tracking(bundle, tiny_dataset, latent_cache, episodes=2)
    layout = AIMPolicy.from_pretrained(bundle).model.config.layout  # the run's, fitted to the data
    windows = LatentWindowDataset(str(tiny_dataset), layout, cache=str(latent_cache))
    full = [e for e, _, history in windows.table if history == layout.history_frames and e in result["episodes"]]
    assert result["episodes"] == [0, 2] and result["moving_windows"] + result["still_windows"] == len(full) > 0
    assert result["cosine"] is None or -1.0 <= result["cosine"] <= 1.0
    assert result["jitter_ratio"] is None or (math.isfinite(result["jitter_ratio"]) and result["jitter_ratio"] > 0)
    assert open_loop_tracking(bundle, tiny_dataset, latent_cache, episodes=2) == result  # seeded sampling
    halves = open_loop_tracking(bundle, tiny_dataset, latent_cache, episodes=2, parts=2)
    assert {k: v for k, v in halves.items() if k != "parts"} == result  # the whole is the same windows
    first, second = halves["parts"]
    for key in ("moving_windows", "still_windows"):
        assert first[key] + second[key] == result[key]
    assert all(part["moving_windows"] + part["still_windows"] > 0 for part in (first, second))
