"""benchmarks/future_rgb_probe.py on real tiny trained bundles: the mask swap and the action queries' attention."""
import sys

import pytest
import torch

sys.path.insert(0, "benchmarks")
from future_rgb_probe import KEY_ROLES, other_mask, probe  # noqa: E402


def test_attention_shares_follow_each_variants_mask(trained_policy, tiny_dataset, latent_cache):
    results = {v: probe(trained_policy(v), tiny_dataset, latent_cache, windows=2, sampling_steps=2)
               for v in ("aim", "unified")}
    for variant, result in results.items():
        shares = result["action_attention"]
        assert result["variant"] == variant and result["windows"] > 0 and list(shares) == list(KEY_ROLES)
        assert sum(shares.values()) == pytest.approx(1.0, abs=1e-3)  # every query's weights, all keys counted
        assert shares["past obs"] == 0.0  # actions see the current observation only, under either rule
        assert result["swap_mask_distance"] > 0 and result["redraw_distance"] > 0
    assert results["aim"]["action_attention"]["future RGB"] == 0.0  # the intent-causal rule
    assert results["unified"]["action_attention"]["future RGB"] > 0.0


def test_other_mask_keeps_the_weights_and_refuses_no_value(trained_policy, tiny_dataset, latent_cache):
    model = trained_policy("unified").model
    swapped = other_mask(model)
    assert (model.config.variant, swapped.config.variant, swapped.config.mask) == ("unified", "aim", "intent")
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), swapped.state_dict().values()))
    no_value = trained_policy("no-value")
    with pytest.raises(ValueError, match="no-value"):
        other_mask(no_value.model)
    assert probe(no_value, tiny_dataset, latent_cache, windows=1, sampling_steps=1) is None
