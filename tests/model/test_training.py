"""Flow-matching loss on a real tiny AIM: it trains (overfits a fixed batch), checks its input, and
checkpoints round-trip exactly."""
import pytest
import torch

from aim_core.models.action_codec import ActionStats
from aim_core.models.aim_model import AIMModel
from aim_core.models.config import aim_tiny_config
from aim_core.training.flow_matching import FlowMatchingConfig, flow_matching_loss, sample_sigmas, shift_sigmas


def test_tiny_model_overfits_a_fixed_batch(tiny_model, tiny_config, batch_factory):
    batch = batch_factory(tiny_config, batch=2, grid=(2, 4))
    cfg = FlowMatchingConfig(timestep_sampling="uniform", lambda_map=1.0, lambda_act=1.0, clean_world_prob=0.0)
    model = tiny_model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.0)

    def loss_at(seed):  # the same noise and noise levels every step: a fixed regression problem
        return flow_matching_loss(model, batch, cfg, generator=torch.Generator().manual_seed(seed))

    first, terms = loss_at(0)
    assert set(terms) == {"rgb", "map", "act"}
    for _ in range(40):
        loss, _ = loss_at(0)
        opt.zero_grad()
        loss.backward()
        opt.step()
    final, final_terms = loss_at(0)
    assert final.item() < first.item() / 10, (first.item(), final.item(), final_terms)
    assert all(final_terms[k] < terms[k] / 10 for k in terms), (terms, final_terms)  # every stream learns


def test_gradient_checkpointing_gives_the_same_gradients(tiny_model, tiny_config, batch_factory):
    batch = batch_factory(tiny_config)
    grads = []
    for flag in (False, True):
        tiny_model.zero_grad()
        tiny_model.gradient_checkpointing = flag
        loss, _ = flow_matching_loss(tiny_model, batch, FlowMatchingConfig(), generator=torch.Generator().manual_seed(0))
        loss.backward()
        grads.append(torch.cat([p.grad.flatten() for p in tiny_model.parameters() if p.grad is not None]))
    assert grads[0].abs().sum() > 0
    torch.testing.assert_close(grads[1], grads[0], rtol=1e-5, atol=1e-6)


def test_unified_model_has_no_value_loss(tiny_config, batch_factory):
    model = AIMModel(aim_tiny_config(layout=tiny_config.layout, mask="unified"))
    loss, terms = flow_matching_loss(model, batch_factory(tiny_config), FlowMatchingConfig())
    assert set(terms) == {"rgb", "act"} and loss.requires_grad
    assert model.value_embed is None and model.blocks[0].value is None
    assert model.stream_parameters("value") == []


def test_every_parameter_belongs_to_exactly_one_stream(tiny_model):
    streams = [{id(p) for p in tiny_model.stream_parameters(s)} for s in ("video", "value", "action")]
    assert all(streams) and not (streams[0] & streams[1]) and not (streams[1] & streams[2])
    assert set().union(*streams) == {id(p) for p in tiny_model.parameters()}


def test_loss_refuses_mismatched_batches(tiny_model, tiny_config, batch_factory):
    batch = batch_factory(tiny_config)
    short = batch_factory(tiny_config)
    short.actions = short.actions[:, :-1]
    with pytest.raises(ValueError, match=r"batch.actions has shape \[2, 3, 16\].*expects \[2, 4, 16\]"):
        flow_matching_loss(tiny_model, short, FlowMatchingConfig())
    bad = batch_factory(tiny_config)
    bad.value_latents[0, 0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="value_latents contains NaN"):
        flow_matching_loss(tiny_model, bad, FlowMatchingConfig())
    as_dict = {k: v for k, v in vars(batch).items() if k != "text_embeds"}
    with pytest.raises(ValueError, match="text_embeds"):
        flow_matching_loss(tiny_model, as_dict, FlowMatchingConfig())


def test_clean_world_samples_train_actions_only(tiny_model, tiny_config, batch_factory):
    seen = []
    hook = tiny_model.register_forward_pre_hook(lambda m, a, kw: seen.append(kw["t_video"]), with_kwargs=True)
    try:
        loss, terms = flow_matching_loss(tiny_model, batch_factory(tiny_config), FlowMatchingConfig(clean_world_prob=1.0))
    finally:
        hook.remove()
    assert torch.equal(seen[0], torch.zeros(2))  # the world is given clean
    assert terms["rgb"] == 0.0 and terms["map"] == 0.0 and terms["act"] > 0
    _, mixed = flow_matching_loss(tiny_model, batch_factory(tiny_config), FlowMatchingConfig(clean_world_prob=0.0))
    assert mixed["rgb"] > 0


def test_timestep_sampling_and_shift():
    cfg = FlowMatchingConfig(timestep_sampling="logit_normal", logit_mean=0.0, logit_std=1.0)
    s = sample_sigmas(20000, cfg, 1.0, "cpu", torch.Generator().manual_seed(0))
    assert 0 < s.min() and s.max() < 1 and abs(s.mean().item() - 0.5) < 0.01
    shifted = sample_sigmas(20000, cfg, 3.0, "cpu", torch.Generator().manual_seed(0))
    torch.testing.assert_close(shifted, shift_sigmas(s, 3.0))
    assert shifted.mean() > 0.6
    with pytest.raises(ValueError, match="timestep_sampling"):
        FlowMatchingConfig(timestep_sampling="cosine")
    with pytest.raises(ValueError, match="clean_world_prob"):
        FlowMatchingConfig(clean_world_prob=1.5)


def test_save_load_round_trip_is_exact(tmp_path, tiny_config, batch_factory):
    torch.manual_seed(1)
    model = AIMModel(aim_tiny_config(layout=tiny_config.layout, action_width=20, mask="intent")).eval()
    model.action_codec.set_stats(ActionStats(low=tuple(range(16)), high=tuple(range(1, 17)), count=10))
    model.save_pretrained(tmp_path / "ckpt")
    loaded = AIMModel.from_pretrained(tmp_path / "ckpt").eval()
    assert loaded.config == model.config
    raw = torch.full((1, 16), 0.5) + torch.arange(16.0)  # the checkpoint decodes with its training statistics
    torch.testing.assert_close(loaded.action_codec.denormalize(torch.zeros(1, 16)), raw)
    for (name, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), name
    batch = batch_factory(tiny_config)
    kwargs = dict(obs_latents=batch.obs_latents, past_actions=batch.past_actions, rgb_latents=batch.rgb_latents,
                  value_latents=batch.value_latents, actions=batch.actions, text_embeds=batch.text_embeds,
                  t_video=500.0, t_action=250.0)
    with torch.no_grad():
        a, b = model(**kwargs), loaded(**kwargs)
    assert torch.equal(a.rgb, b.rgb) and torch.equal(a.value, b.value) and torch.equal(a.action, b.action)
    with pytest.raises(FileNotFoundError, match="config.json is missing"):
        AIMModel.from_pretrained(tmp_path)
