"""The mask is exactly the paper's visible sets (built here independently, token by token), and the
FlexAttention form of it attends exactly like the dense SDPA form."""
import pytest
import torch
from torch.nn.attention.flex_attention import flex_attention

from aim_core.models.intent_mask import FUTURE_STEP, Role, TokenMeta, dense_mask, flex_block_mask

# history: obs frame 0, actions 0->1, obs frame 1, actions 1->2, obs frame 2 (current); then the future
HISTORY = [(Role.OBS, 0), (Role.OBS, 0), (Role.PAST_ACTION, 1), (Role.OBS, 2), (Role.OBS, 2),
           (Role.PAST_ACTION, 3), (Role.PAST_ACTION, 3), (Role.OBS, 4), (Role.OBS, 4)]
FUTURE = [(Role.RGB, FUTURE_STEP)] * 3 + [(Role.VALUE, FUTURE_STEP)] * 3 + [(Role.ACTION, FUTURE_STEP)] * 2


def layout(tokens):
    return TokenMeta(torch.tensor([int(r) for r, _ in tokens]), torch.tensor([s for _, s in tokens]))


def expected_visible(tokens, mode):
    """The visible sets written out as sets of token kinds per query."""
    current = max(s for r, s in tokens if r == Role.OBS)
    kind = []
    for r, s in tokens:
        if r == Role.OBS:
            kind.append("current_obs" if s == current else "past_obs")
        else:
            kind.append({Role.PAST_ACTION: "past_action", Role.RGB: "rgb", Role.VALUE: "value",
                         Role.ACTION: "action"}[r])
    sets = {"rgb": {"current_obs", "past_obs", "past_action", "rgb"},
            "value": {"current_obs", "past_obs", "rgb", "value"},
            "action": ({"current_obs", "past_action", "value", "action"} if mode == "intent"
                       else {"current_obs", "past_action", "rgb", "value", "action"})}
    out = torch.zeros(len(tokens), len(tokens), dtype=torch.bool)
    for i, (qr, qs) in enumerate(tokens):
        for j, (kr, ks) in enumerate(tokens):
            if qr in (Role.OBS, Role.PAST_ACTION):  # history: causal over the history only
                out[i, j] = kr in (Role.OBS, Role.PAST_ACTION) and ks <= qs
            else:
                out[i, j] = kind[j] in sets[kind[i]]
    return out


@pytest.mark.parametrize("mode, value_stream", [("intent", True), ("unified", True), ("unified", False)])
def test_mask_equals_visible_sets_entry_by_entry(mode, value_stream):
    """intent = aim; unified with value tokens = the `unified` variant; without = `no-value`."""
    tokens = HISTORY + (FUTURE if value_stream else [t for t in FUTURE if t[0] != Role.VALUE])
    meta = layout(tokens)
    mask = dense_mask(meta, meta, mode)
    assert torch.equal(mask, expected_visible(tokens, mode))
    assert mask.any(dim=1).all()


def test_action_never_sees_future_rgb_or_past_obs():
    meta = layout(HISTORY + FUTURE)
    mask = dense_mask(meta, meta, "intent")
    action_rows = meta.role == Role.ACTION
    assert not mask[action_rows][:, meta.role == Role.RGB].any()
    past_obs = (meta.role == Role.OBS) & (meta.step < 4)
    assert not mask[action_rows][:, past_obs].any()
    assert mask[action_rows][:, (meta.role == Role.OBS) & (meta.step == 4)].all()


def test_cached_queries_use_the_same_rule_as_the_full_layout():
    full = layout(HISTORY + FUTURE)
    n_hist = len(HISTORY)
    queries = layout(FUTURE)
    assert torch.equal(dense_mask(queries, full, "intent"), dense_mask(full, full, "intent")[n_hist:])


def test_fully_masked_row_is_refused():
    # an action query with no key it may see (only future RGB keys)
    with pytest.raises(ValueError, match="ACTION"):
        dense_mask(layout([(Role.ACTION, FUTURE_STEP)]), layout([(Role.RGB, FUTURE_STEP)]), "intent")


def test_flex_attention_block_mask_gives_the_sdpa_result():
    """The GPU path (FlexAttention + block mask) runs forward on CPU too: same output as dense SDPA."""
    meta = layout(HISTORY + FUTURE)
    q, k, v = torch.randn(3, 1, 2, len(meta), 12, generator=torch.Generator().manual_seed(0)).unbind(0)
    dense = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=dense_mask(meta, meta, "intent"))
    flex = flex_attention(q, k, v, block_mask=flex_block_mask(meta, meta, "intent", torch.device("cpu")))
    torch.testing.assert_close(flex, dense, rtol=1e-5, atol=1e-5)


def test_model_flex_backend_matches_sdpa_backend(tiny_model, tiny_config, batch_factory):
    b = batch_factory(tiny_config)
    kwargs = dict(obs_latents=b.obs_latents, past_actions=b.past_actions, rgb_latents=b.rgb_latents,
                  value_latents=b.value_latents, actions=b.actions, text_embeds=b.text_embeds,
                  t_video=500.0, t_action=200.0)
    with torch.no_grad():
        tiny_model.attention_backend = "sdpa"
        dense = tiny_model(**kwargs)
        tiny_model.attention_backend = "flex"
        flex = tiny_model(**kwargs)
    for name in ("rgb", "value", "action"):
        torch.testing.assert_close(getattr(flex, name), getattr(dense, name), rtol=1e-5, atol=1e-5)
