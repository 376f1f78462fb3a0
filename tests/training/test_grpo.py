"""Stage II GRPO on CPU with tiny models: the stochastic sampler, its exact log-probabilities, the
frozen world, group advantages, and GRPO raising the reward of a stub environment."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from aim_core.inference.bundle import PolicySpec
from aim_core.inference.experience import EpisodeRollout, RolloutRequest
from data_schemas.observation import Observation
from aim_core.inference.policy import AIMPolicy, PolicyConfig
from aim_core.inference.rollout import ChunkSampler, SamplingConfig
from aim_core.inference.sampler import FlowSDE, euler_sample, euler_sigmas, flow_step, gaussian_log_prob
from aim_core.models.action_codec import ActionCodec, ActionStats
from aim_core.models.aim_model import AIMModel
from aim_core.models.config import ChunkLayout, aim_tiny_config
from aim_core.models.schedule import NoiseSchedule
from aim_core.training.checkpoint import BundleParts, save_checkpoint
from aim_core.training.encoders import run_encoders
from aim_core.training.grpo import GRPOHyper, freeze_world, group_advantages, grpo_loss
from aim_core.training.stage2 import (Stage2Config, Stage2InputError, Stage2Trainer, check_stage2_inputs,
                                      read_stage2_metrics)

SCHEDULE = NoiseSchedule(shift=3.0)
LAYOUT = ChunkLayout(history_frames=2, future_frames=2, actions_per_frame=4)
INSTRUCTION = "press the bell"
SPEC = PolicySpec(image_size=(32, 48), frame_stride=1, camera_hw=(32, 48), num_inference_steps=3)


def window(model: AIMModel, frames: int = 2, seed: int = 5):
    g = torch.Generator().manual_seed(seed)
    c = model.config
    past = (frames - 1) * c.layout.actions_per_frame
    return (torch.randn(1, 5, c.text_dim, generator=g), torch.randn(1, c.latent_channels, frames, 4, 6, generator=g),
            torch.randn(1, past, c.action_dim, generator=g) if past else None)


@pytest.fixture(params=[0, 3], ids=["paper", "action-prior"])
def model(request) -> AIMModel:
    """The paper's action stream, and one that refines an action prior (its likelihoods are of the residual)."""
    torch.manual_seed(0)
    return AIMModel(aim_tiny_config(layout=LAYOUT, action_keypoints=request.param,
                                    action_prior_keypoints=request.param)).eval()


def test_zero_noise_sde_is_the_deterministic_sampler(model):
    history = window(model)
    plain = ChunkSampler(model, SCHEDULE, SamplingConfig(num_steps=4)).sample(*history)
    sde = ChunkSampler(model, SCHEDULE, SamplingConfig(num_steps=4)).sample(*history, sde=FlowSDE(0.0, (0, 1, 2, 3)))
    assert torch.equal(plain.actions, sde.actions) and torch.equal(plain.rgb_latents, sde.rgb_latents)
    assert torch.equal(plain.value_latents, sde.value_latents) and len(sde.trace.steps) == 4
    noisy = ChunkSampler(model, SCHEDULE, SamplingConfig(num_steps=4)).sample(*history, sde=FlowSDE(0.7, (0, 1)))
    assert not torch.equal(noisy.actions, plain.actions)
    # the world is denoised exactly as without noise: it never reads future actions
    assert torch.equal(noisy.rgb_latents, plain.rgb_latents) and torch.equal(noisy.value_latents, plain.value_latents)


def test_log_prob_is_the_normal_density_of_the_transition():
    g = torch.Generator().manual_seed(1)
    x, v, x_next = (torch.randn(3, 8, 16, generator=g) for _ in range(3))
    sigmas = euler_sigmas(5, SCHEDULE)
    sde = FlowSDE(0.7, (0, 2))
    for index in sde.steps:
        sigma, sigma_next = float(sigmas[index]), float(sigmas[index + 1])
        mean, std = flow_step(x, v, sigma, sigma_next, sde.step_std(sigmas, index))
        expected = torch.distributions.Normal(mean, std).log_prob(x_next).flatten(1).sum(1)
        torch.testing.assert_close(gaussian_log_prob(x_next, mean, std), expected, rtol=1e-5, atol=1e-3)
        assert std == pytest.approx(sde.step_std(sigmas, index) * math.sqrt(sigma - sigma_next))


def test_stochastic_and_deterministic_endpoints_agree_on_a_toy_2d_flow():
    """Data N(m, s^2) per axis: the exact rectified-flow velocity is known in closed form; the ODE and
    the SDE (every step stochastic) must both end at mean m and std s."""
    m, s = torch.tensor([1.5, -0.5]), torch.tensor([0.3, 0.8])

    def velocity(sigma, x):
        var = (1 - sigma) ** 2 * s ** 2 + sigma ** 2
        dev = x - (1 - sigma) * m
        return (sigma / var * dev - (m + (1 - sigma) * s ** 2 / var * dev),)

    sigmas = euler_sigmas(60, NoiseSchedule())
    g = torch.Generator().manual_seed(0)
    start = torch.randn(40000, 2, generator=g, dtype=torch.float64)
    ode = euler_sample(start, velocity, sigmas)[0]
    sde = FlowSDE(0.7, tuple(range(60)))

    def transition(i, sigma, sigma_next, states, v):
        mean, std = flow_step(states[0], v[0], sigma, sigma_next, sde.step_std(sigmas, i))
        return (mean + std * torch.randn(mean.shape, generator=g, dtype=mean.dtype),)

    stochastic = euler_sample(start, velocity, sigmas, transition)[0]
    for end in (ode, stochastic):
        torch.testing.assert_close(end.mean(0).float(), m, atol=0.05, rtol=0)
        torch.testing.assert_close(end.std(0).float(), s, atol=0.05, rtol=0)


@pytest.mark.parametrize("use_cache", [True, False])
def test_ratio_is_exactly_one_before_any_update(model, use_cache):
    freeze_world(model)
    sampler = ChunkSampler(model, SCHEDULE, SamplingConfig(num_steps=3, use_cache=use_cache, seed=4))
    history = window(model)
    chunk = sampler.sample(*history, sde=FlowSDE(0.7, (0, 1)))
    log_probs = sampler.action_log_probs(*history, chunk.trace)
    assert log_probs.requires_grad  # differentiable in the action head
    assert torch.equal(log_probs.detach(), chunk.trace.log_probs)
    terms = grpo_loss(log_probs, chunk.trace.log_probs, torch.tensor([1.0]), clip_eps=0.2)
    assert terms.ratio_max_dev == 0.0 and terms.ratio_mean == 1.0


def test_only_the_action_head_learns_and_the_world_stays_bitwise(model):
    head = freeze_world(model)
    head_ids = {id(p) for p in head}
    frozen = {n: p.detach().clone() for n, p in model.named_parameters() if id(p) not in head_ids}
    sampler = ChunkSampler(model, SCHEDULE, SamplingConfig(num_steps=3, seed=2))
    history = window(model)
    before = sampler.sample(*history, sde=FlowSDE(0.7, (0,)))
    sampler.reset()
    optimizer = torch.optim.AdamW(head, lr=1e-2)
    for update in range(2):
        optimizer.zero_grad()
        lp = sampler.action_log_probs(*history, before.trace)
        grpo_loss(lp, before.trace.log_probs, torch.tensor([1.0 if update == 0 else -1.0]), 0.2).loss.backward()
        grads = {n: p.grad for n, p in model.named_parameters()}
        assert all(grads[n] is None for n in frozen)
        if update == 0:  # (after a step the ratio may leave the clip range: no gradient then, as PPO wants)
            assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in head)
        optimizer.step()
    assert all(torch.equal(p, frozen[n]) for n, p in model.named_parameters() if n in frozen)
    after = sampler.sample(*history, sde=FlowSDE(0.7, (0,)))
    assert torch.equal(after.rgb_latents, before.rgb_latents) and torch.equal(after.value_latents, before.value_latents)
    assert not torch.equal(after.actions, before.actions)  # the head did move


def test_group_advantages():
    assert all(np.array_equal(a, np.zeros(3)) for a in group_advantages([np.full(3, 0.7), np.full(3, 0.7)]))
    adv = group_advantages([np.array([1.0, 1.0]), np.array([0.0])])
    assert adv[0][0] > 0 > adv[1][0] and abs(np.concatenate(adv).mean()) < 1e-12
    with pytest.raises(ValueError, match=">= 2"):
        group_advantages([np.ones(2)])


# ------------------------------------------------------------------ a stub environment, end to end
def make_bundle(root, variant: str = "aim", **overrides):
    config = aim_tiny_config(layout=LAYOUT, variant=variant, **overrides)
    torch.manual_seed(0)
    model = AIMModel(config)
    encoders = run_encoders(root / "stage1", None, config, [INSTRUCTION])
    codec = ActionCodec(action_dim=16)
    codec.set_stats(ActionStats((-1.0,) * 16, (1.0,) * 16, 100))
    optimizer = torch.optim.AdamW(model.parameters())
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: 1.0)
    return save_checkpoint(root / "stage1", 1, model, optimizer, scheduler, {}, BundleParts(
        codec, SCHEDULE, SPEC, encoders.source))


class StubEnv:
    """Synthetic camera frames behind `TaskEnv`'s interface; the reward of a chunk depends only on its actions."""

    success = False

    def reset(self, task, setting, seed):
        self.episode, self.steps = (task, setting, seed), 0
        return self.observe()

    def observe(self):
        return Observation(np.full((3, 32, 48, 3), 20 * self.steps % 255, np.uint8), np.zeros(16, np.float32),
                           INSTRUCTION, self.steps)

    def step(self, action, action_space="joints"):
        assert action_space == "joints"
        self.steps += 1
        return self.observe()

    def object_positions(self):
        return {}  # no objects in synthetic frames

    def close(self):
        pass


class StubSource:
    """Episodes of 8 steps (one chunk) with dense reward = -mean |a - 0.5| of the executed normalised actions."""

    def __init__(self, bundle):
        self.policy = AIMPolicy.from_pretrained(bundle, PolicyConfig(action_sde=FlowSDE(0.7, (0, 1))))
        self.env = StubEnv()

    def validate(self, tasks, settings):
        if "no_such_task" in tasks:
            raise KeyError("unknown task 'no_such_task'")

    def collect(self, head_state, requests):
        from aim_core.eval.grpo_rollouts import run_stochastic_episode

        self.policy.load_action_head(head_state)
        reward = lambda policy, chunk: -float((chunk.actions - 0.5).abs().mean())  # noqa: E731
        return [run_stochastic_episode(self.env, self.policy, r, 8, reward) for r in requests]


def test_bad_inputs_are_refused_before_any_rollout(tmp_path):
    bundle = make_bundle(tmp_path / "a")
    no_value = make_bundle(tmp_path / "b", variant="no-value")
    base = dict(out_dir=str(tmp_path / "out"), tasks=["click_bell"])
    with pytest.raises(Stage2InputError, match="no value stream"):
        check_stage2_inputs(Stage2Config(checkpoint=str(no_value), **base))
    with pytest.raises(Stage2InputError, match="no_such_task"):
        check_stage2_inputs(Stage2Config(checkpoint=str(bundle), **base | {"tasks": ["no_such_task"]}),
                            StubSource(bundle))
    with pytest.raises(ValueError, match="must be >= 2"):
        Stage2Config(checkpoint=str(bundle), grpo=GRPOHyper(group_size=1), **base)
    with pytest.raises(Stage2InputError, match="not a folder"):
        check_stage2_inputs(Stage2Config(checkpoint=str(tmp_path / "none"), **base))
    assert not (tmp_path / "out").exists()


@pytest.mark.slow  # ~60-90 s on the shared 2 cores
def test_grpo_raises_the_reward_of_a_stub_environment_and_resumes(tmp_path):
    bundle = make_bundle(tmp_path)
    config = Stage2Config(checkpoint=str(bundle), out_dir=str(tmp_path / "out"), tasks=["click_bell"],
                          iterations=30, groups_per_iteration=2, checkpoint_every=10,
                          grpo=GRPOHyper(group_size=4, lr=3e-3, lambda_sparse=0.0, updates_per_iteration=2))
    source = StubSource(bundle)
    first = Stage2Trainer(config, source)
    first.config = Stage2Config(**{**config.__dict__, "iterations": 12})  # stop early: an interruption
    first.run()
    result = Stage2Trainer(config, source).run()  # resumes from iteration 10
    rows = read_stage2_metrics(tmp_path / "out")
    assert [r["iteration"] for r in rows] == list(range(1, 31)) and result.iteration == 30
    assert rows[0]["ratio_max_dev_first"] == 0.0  # exactly 1 before the first update
    dense = np.array([r["dense_mean"] for r in rows])
    assert dense[-5:].mean() > dense[:5].mean() + 0.05, dense.round(3)
    # the checkpoint is a policy bundle that acts on its own
    policy = AIMPolicy.from_pretrained(result.checkpoint)
    assert policy.select_action(StubEnv().reset("click_bell", "easy", 0)).shape == (16,)


def test_grpo_on_a_pixel_prior_policy_trains_the_residual_and_keeps_the_prior(tmp_path):
    """The stack_blocks_two recipe's policy (an action prior that reads the head camera): Stage II rolls it out
    with the head view, trains the flow head on the residual's likelihoods and leaves the prior as it was."""
    bundle = make_bundle(tmp_path, action_keypoints=2, action_prior_keypoints=2, action_prior_grid=(2, 3),
                         action_prior_pixels=(8, 12))
    config = Stage2Config(checkpoint=str(bundle), out_dir=str(tmp_path / "out"), tasks=["click_bell"], iterations=2,
                          groups_per_iteration=1, checkpoint_every=2,
                          grpo=GRPOHyper(group_size=2, lr=3e-3, updates_per_iteration=1))
    source = StubSource(bundle)
    before = AIMPolicy.from_pretrained(bundle).model
    result = Stage2Trainer(config, source).run()
    rows = read_stage2_metrics(tmp_path / "out")
    assert [r["iteration"] for r in rows] == [1, 2] and rows[0]["ratio_max_dev_first"] == 0.0
    after = AIMPolicy.from_pretrained(result.checkpoint)
    prior = dict(before.action_prior_head.named_parameters())
    assert all(torch.equal(p, prior[n]) for n, p in after.model.action_prior_head.named_parameters())
    trained = {id(p) for p in before.action_head_parameters()}
    moved = [n for n, p in before.named_parameters() if id(p) in trained
             and not torch.equal(p, dict(after.model.named_parameters())[n])]
    assert moved  # the flow head learned
    # the post-trained policy's chunk still moves with the head camera alone (same latents and history)
    _, latents, past = window(after.model)
    views = [torch.full((1, 3, 8, 12), level) for level in (0.1, 0.9)]
    plans = [after.model.action_prior(latents, past, view) for view in views]
    assert not torch.allclose(*plans)
