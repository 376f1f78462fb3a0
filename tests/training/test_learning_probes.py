"""benchmarks/learning.py's probes on real tiny trained bundles, each loaded once and shared by every probe:
predicted value-map mass on the contact region, the first chunk's arm, and how far images and history move
a chunk."""
import math
import sys

sys.path.insert(0, "benchmarks")
from learning import first_chunk_arm_choice, history_reliance, value_map_quality  # noqa: E402


def test_probes_share_one_loaded_policy(trained_policy, tiny_dataset, latent_cache):
    policy = trained_policy("aim")
    maps = value_map_quality(policy, tiny_dataset, latent_cache, max_windows=2)
    assert maps["windows"] == 2 and 0 < maps["area"] < 1
    assert 0 <= maps["predicted"] <= 1 and 0 <= maps["ground_truth_vae"] <= 1
    choice = first_chunk_arm_choice(policy, tiny_dataset)  # steps the policy closed loop, from its first frames
    assert choice["episodes"] == 3 and 0 <= choice["agree"] <= 3
    reliance = history_reliance(policy, tiny_dataset, latent_cache, anchors=(1, 2), pairs=2)
    assert set(reliance) == {"1", "2"}
    assert all(r["pairs"] >= 1 and r["image"] >= 0 and r["history"] >= 0 for r in reliance.values())
    # the policy's closed-loop state (its queue, history, sampler noise) does not reach the probes' own samplers
    assert value_map_quality(policy, tiny_dataset, latent_cache, max_windows=2) == maps


def test_no_value_bundle_has_no_value_map_figures(trained_policy, tiny_dataset, latent_cache):
    policy = trained_policy("no-value")
    maps = value_map_quality(policy, tiny_dataset, latent_cache, max_windows=2)
    assert maps["windows"] == 0 and all(math.isnan(maps[k]) for k in ("predicted", "ground_truth_vae", "area"))
    assert first_chunk_arm_choice(policy, tiny_dataset)["episodes"] == 3
