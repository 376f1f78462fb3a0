"""Flow-matching loss on a real tiny AIM: it trains (overfits a fixed batch), checks its input, noises the
three future streams along one trajectory with the model's schedule, and checkpoints round-trip exactly."""
import pytest
import torch

from aim_core.inference.sampler import euler_sigmas
from aim_core.models.aim_model import AIMModel
from aim_core.models.config import AIMConfig, aim_tiny_config
from aim_core.models.schedule import NoiseSchedule
from aim_core.training.flow_matching import FlowMatchingConfig, flow_matching_loss, sample_sigmas
from aim_core.training.model_presets import MODEL_PRESETS, NOISE_SCHEDULES

SCHEDULE = NoiseSchedule(shift=1.0)


def test_tiny_model_overfits_a_fixed_batch(tiny_model, tiny_config, batch_factory):
    batch = batch_factory(tiny_config, batch=2, grid=(2, 4))
    cfg = FlowMatchingConfig(timestep_sampling="uniform", lambda_map=1.0, lambda_act=1.0)
    model = tiny_model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.0)

    def loss_at(seed):  # the same noise and noise levels every step: a fixed regression problem
        return flow_matching_loss(model, batch, cfg, SCHEDULE, generator=torch.Generator().manual_seed(seed))

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
        loss, _ = flow_matching_loss(tiny_model, batch, FlowMatchingConfig(), SCHEDULE,
                                     generator=torch.Generator().manual_seed(0))
        loss.backward()
        grads.append(torch.cat([p.grad.flatten() for p in tiny_model.parameters() if p.grad is not None]))
    assert grads[0].abs().sum() > 0
    torch.testing.assert_close(grads[1], grads[0], rtol=1e-5, atol=1e-6)


def test_no_value_model_has_no_value_loss(tiny_config, batch_factory):
    model = AIMModel(aim_tiny_config(layout=tiny_config.layout, variant="no-value"))
    loss, terms = flow_matching_loss(model, batch_factory(tiny_config), FlowMatchingConfig(), SCHEDULE)
    assert set(terms) == {"rgb", "act"} and loss.requires_grad
    assert model.value_embed is None and model.blocks[0].value is None
    assert model.stream_parameters("value") == []


def test_unified_variant_keeps_the_value_stream_and_loss(tiny_config, batch_factory):
    model = AIMModel(aim_tiny_config(layout=tiny_config.layout, variant="unified"))
    assert model.config.has_value_stream and model.config.mask == "unified"
    loss, terms = flow_matching_loss(model, batch_factory(tiny_config), FlowMatchingConfig(), SCHEDULE)
    assert set(terms) == {"rgb", "map", "act"} and loss.requires_grad
    assert model.stream_parameters("value")


def test_variant_is_saved_and_legacy_mask_configs_load():
    config = aim_tiny_config(variant="unified")
    assert AIMConfig.from_dict(config.to_dict()) == config and "mask" not in config.to_dict()
    legacy = {k: v for k, v in config.to_dict().items() if k != "variant"}
    assert AIMConfig.from_dict({**legacy, "mask": "unified"}).variant == "no-value"  # old unified: no value stream
    assert AIMConfig.from_dict({**legacy, "mask": "intent"}).variant == "aim"
    with pytest.raises(ValueError, match="variant must be one of"):
        aim_tiny_config(variant="intent")


def test_every_parameter_belongs_to_exactly_one_stream(tiny_model):
    streams = [{id(p) for p in tiny_model.stream_parameters(s)} for s in ("video", "value", "past_action", "action")]
    assert all(streams) and sum(map(len, streams)) == len(set().union(*streams))
    assert set().union(*streams) == {id(p) for p in tiny_model.parameters()}
    with pytest.raises(ValueError, match="unknown stream 'actions'"):
        tiny_model.stream_parameters("actions")


def test_loss_refuses_mismatched_batches(tiny_model, tiny_config, batch_factory):
    batch = batch_factory(tiny_config)
    short = batch_factory(tiny_config)
    short.actions = short.actions[:, :-1]
    with pytest.raises(ValueError, match=r"batch.actions has shape \[2, 3, 16\].*expects \[2, 4, 16\]"):
        flow_matching_loss(tiny_model, short, FlowMatchingConfig(), SCHEDULE)
    bad = batch_factory(tiny_config)
    bad.value_latents[0, 0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="value_latents contains NaN"):
        flow_matching_loss(tiny_model, bad, FlowMatchingConfig(), SCHEDULE)
    as_dict = {k: v for k, v in vars(batch).items() if k != "text_embeds"}
    with pytest.raises(ValueError, match="text_embeds"):
        flow_matching_loss(tiny_model, as_dict, FlowMatchingConfig(), SCHEDULE)


def test_one_noise_level_per_sample_for_all_three_streams(tiny_model, tiny_config, batch_factory):
    """World and actions are denoised together at inference, so training noises them together too."""
    seen = []
    hook = tiny_model.register_forward_pre_hook(lambda m, a, kw: seen.append(kw), with_kwargs=True)
    schedule = NoiseSchedule(shift=3.0, num_train_timesteps=500)
    cfg = FlowMatchingConfig()
    batch = batch_factory(tiny_config)
    for name in ("rgb_latents", "value_latents", "actions"):  # x_s = (1 - s) 1000 + s eps: s = 1 - mean / 1000
        setattr(batch, name, torch.full_like(getattr(batch, name), 1000.0))
    try:
        flow_matching_loss(tiny_model, batch, cfg, schedule, generator=torch.Generator().manual_seed(4))
    finally:
        hook.remove()
    t = seen[0]["t_video"]
    sigma = sample_sigmas(2, cfg, schedule, "cpu", torch.Generator().manual_seed(4))  # the loss draws these first
    torch.testing.assert_close(t, sigma * 500)
    assert torch.equal(seen[0]["t_action"], t)
    for name in ("rgb_latents", "value_latents", "actions"):
        level = 1 - seen[0][name].flatten(1).mean(dim=1) / 1000
        torch.testing.assert_close(level, sigma, atol=2e-3, rtol=0, msg=name)


def test_timestep_sampling_and_schedule():
    cfg = FlowMatchingConfig(timestep_sampling="logit_normal", logit_mean=0.0, logit_std=1.0)
    s = sample_sigmas(20000, cfg, NoiseSchedule(shift=1.0), "cpu", torch.Generator().manual_seed(0))
    assert 0 < s.min() and s.max() < 1 and abs(s.mean().item() - 0.5) < 0.01
    shifted = sample_sigmas(20000, cfg, NoiseSchedule(shift=3.0), "cpu", torch.Generator().manual_seed(0))
    torch.testing.assert_close(shifted, 3 * s / (1 + 2 * s))
    assert shifted.mean() > 0.6
    # the sampler integrates over the same shifted levels, from pure noise to data
    levels = euler_sigmas(4, NoiseSchedule(shift=3.0))
    torch.testing.assert_close(levels, torch.tensor([1.0, 0.9, 0.75, 0.5, 0.0]))
    with pytest.raises(ValueError, match="timestep_sampling"):
        FlowMatchingConfig(timestep_sampling="cosine")
    with pytest.raises(ValueError, match="shift"):
        NoiseSchedule(shift=0.0)


def test_schedule_round_trips_as_scheduler_json(tmp_path):
    schedule = NoiseSchedule(shift=5.0, num_train_timesteps=1000)
    assert schedule.save(tmp_path).name == "scheduler.json"
    assert NoiseSchedule.load(tmp_path) == schedule
    (tmp_path / "scheduler.json").write_text('{"shift": 5.0, "action_shift": 1.0}')
    with pytest.raises(ValueError, match="action_shift"):
        NoiseSchedule.load(tmp_path)
    with pytest.raises(FileNotFoundError, match="scheduler.json"):
        NoiseSchedule.load(tmp_path / "missing")
    assert set(NOISE_SCHEDULES) == set(MODEL_PRESETS)
    assert NOISE_SCHEDULES["aim-5b"].shift == 5.0  # Wan2.2-TI2V-5B's sample_shift


def test_save_load_round_trip_is_exact(tmp_path, tiny_config, batch_factory):
    torch.manual_seed(1)
    model = AIMModel(aim_tiny_config(layout=tiny_config.layout, action_width=20, variant="aim")).eval()
    model.save_pretrained(tmp_path / "ckpt")
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == ["config.json",
                                                                    "diffusion_pytorch_model.safetensors"]
    loaded = AIMModel.from_pretrained(tmp_path / "ckpt").eval()
    assert loaded.config == model.config
    for (name, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), name
    batch = batch_factory(tiny_config)
    kwargs = dict(obs_latents=batch.obs_latents, past_actions=batch.past_actions, rgb_latents=batch.rgb_latents,
                  value_latents=batch.value_latents, actions=batch.actions, text_embeds=batch.text_embeds,
                  t_video=500.0, t_action=500.0)
    with torch.no_grad():
        a, b = model(**kwargs), loaded(**kwargs)
    assert torch.equal(a.rgb, b.rgb) and torch.equal(a.value, b.value) and torch.equal(a.action, b.action)
    half = AIMModel.from_pretrained(tmp_path / "ckpt", dtype=torch.bfloat16)
    assert {p.dtype for p in half.parameters()} == {torch.bfloat16}
    with pytest.raises(FileNotFoundError, match="config.json is missing"):
        AIMModel.from_pretrained(tmp_path)
    other = AIMModel(aim_tiny_config(layout=tiny_config.layout, action_width=20, variant="no-value"))
    other.save_config(tmp_path / "ckpt")  # a config that does not fit the weights
    with pytest.raises(ValueError, match="does not hold this AIMModel's weights"):
        AIMModel.from_pretrained(tmp_path / "ckpt")


def test_plan_from_noise_trains_a_share_of_each_batch_at_the_first_sampling_step(tiny_model, tiny_config,
                                                                                   batch_factory):
    """plan_from_noise: the last n * share samples are at s = 1 for every stream (pure noise, as the
    sampler's first step sees them); the others keep the usual draw. A fractional count is rounded up
    with its own probability: batch 2 at 0.25 plans a quarter of its samples on average (round() gave 0)."""
    schedule = NoiseSchedule(shift=3.0)
    plain = sample_sigmas(8, FlowMatchingConfig(), schedule, "cpu", torch.Generator().manual_seed(1))
    planned = sample_sigmas(8, FlowMatchingConfig(plan_from_noise=0.25), schedule, "cpu",
                            torch.Generator().manual_seed(1))
    torch.testing.assert_close(planned[:6], plain[:6])
    assert planned[6:].tolist() == [1.0, 1.0] and plain[6:].max() < 1.0
    assert euler_sigmas(8, schedule)[0] == 1.0  # the level the sampler starts from
    generator = torch.Generator().manual_seed(2)
    small = torch.stack([sample_sigmas(2, FlowMatchingConfig(plan_from_noise=0.25), schedule, "cpu", generator)
                         for _ in range(4000)])
    assert (small[:, 0] < 1.0).all() and abs((small == 1.0).float().mean().item() - 0.25) < 0.02
    seen = []
    hook = tiny_model.register_forward_pre_hook(lambda m, a, kw: seen.append(kw), with_kwargs=True)
    batch = batch_factory(tiny_config, batch=4)
    for name in ("rgb_latents", "value_latents", "actions"):
        setattr(batch, name, torch.full_like(getattr(batch, name), 1000.0))
    try:
        flow_matching_loss(tiny_model, batch, FlowMatchingConfig(plan_from_noise=0.5), schedule,
                           generator=torch.Generator().manual_seed(4))
    finally:
        hook.remove()
    for name in ("rgb_latents", "value_latents", "actions"):  # no trace of the data in the planned samples
        assert seen[0][name][2:].abs().max() < 10 and seen[0][name][:2].mean() > 10, name
    assert seen[0]["t_action"][2:].tolist() == [1000.0, 1000.0]
    with pytest.raises(ValueError, match="plan_from_noise"):
        FlowMatchingConfig(plan_from_noise=1.5)


@pytest.mark.parametrize("prior_keypoints", [0, 3], ids=["no-prior", "action-prior"])
def test_history_noise_perturbs_the_past_actions_the_model_reads(tiny_config, batch_factory, prior_keypoints):
    """history_noise: every sample's past actions get Gaussian noise of its own std in [0, history_noise], the
    same perturbed history in the action prior's input (where the model has one) and in the model's; 0 changes
    nothing."""
    torch.manual_seed(0)
    model = AIMModel(aim_tiny_config(layout=tiny_config.layout, action_keypoints=prior_keypoints,
                                     action_prior_keypoints=prior_keypoints)).eval()
    schedule = NoiseSchedule(shift=3.0)
    batch = batch_factory(model.config, batch=64)
    assert batch.past_actions.shape[1] > 0
    calls = 2 if prior_keypoints else 1  # the prior's own forward, then the model's
    seen = []
    hook = model.register_forward_pre_hook(lambda m, a, kw: seen.append(kw["past_actions"]), with_kwargs=True)
    try:
        flow_matching_loss(model, batch, FlowMatchingConfig(), schedule, generator=torch.Generator().manual_seed(0))
        flow_matching_loss(model, batch, FlowMatchingConfig(history_noise=0.5), schedule,
                           generator=torch.Generator().manual_seed(0))
    finally:
        hook.remove()
    assert len(seen) == 2 * calls
    for clean in seen[:calls]:
        torch.testing.assert_close(clean, batch.past_actions)
    for noisy in seen[calls + 1:]:
        assert noisy is seen[calls]
    per_sample = (seen[calls] - batch.past_actions).flatten(1).std(dim=1)
    assert per_sample.max() < 0.5 * 1.3 and per_sample.max() > 0.35 and per_sample.min() < 0.1
    assert per_sample.std() > 0.08  # the std differs per sample, clean-ish histories included
    with pytest.raises(ValueError, match="history_noise"):
        FlowMatchingConfig(history_noise=-0.1)
