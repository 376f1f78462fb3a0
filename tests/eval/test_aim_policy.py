"""The AIM policy on a real tiny model and real tiny encoders, fed synthetic camera frames."""
import numpy as np
import pytest
import torch

from data_schemas import ARM_JOINT_DIMS
from aim_core.inference.bundle import PolicySpec
from data_schemas.observation import Observation
from aim_core.inference.policy import AIMPolicy, PolicyConfig
from aim_core.models.action_codec import ActionCodec, ActionStats
from aim_core.models.aim_model import AIMModel
from aim_core.models.config import ChunkLayout, aim_tiny_config
from aim_core.models.schedule import NoiseSchedule
from aim_core.training.encoders import run_encoders

INSTRUCTION = "put the shoe on the mat"
SPEC = PolicySpec(image_size=(32, 48), frame_stride=1, camera_hw=(32, 48))


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    config = aim_tiny_config(layout=ChunkLayout(history_frames=2, future_frames=2, actions_per_frame=4))
    torch.manual_seed(0)
    model = AIMModel(config)
    encoders = run_encoders(tmp_path_factory.mktemp("run"), None, config, [INSTRUCTION])
    codec = ActionCodec(action_dim=16)
    codec.set_stats(ActionStats((-1.0,) * 16, (2.0,) * 16, 100))
    return model, codec, encoders


def make_policy(parts, **config) -> AIMPolicy:
    model, codec, encoders = parts
    return AIMPolicy(model, codec, encoders.vae, encoders.text, NoiseSchedule(), SPEC,
                     PolicyConfig(num_inference_steps=2, **config))


def _obs(step: int) -> Observation:
    images = np.full((3, 32, 48, 3), 10 * step % 255, np.uint8)
    return Observation(images=images, qpos=np.zeros(16, np.float32), instruction=INSTRUCTION, step=step)


def test_policy_plans_per_latent_frame_with_a_training_window_history(parts):
    policy = make_policy(parts, execute_frames=1)
    seen = []
    sample = policy.sampler.sample
    policy.sampler.sample = (lambda text, obs, past, **kw:
                             seen.append((obs.shape[2], past)) or sample(text, obs, past, **kw))
    actions = [policy.select_action(_obs(t)) for t in range(9)]
    # plans at t=0 (latent 0 alone), t=4 and t=8 (one new latent frame each, 4 executed actions before it);
    # the history never exceeds F_h = 2 frames and holds the 4 actions between them
    assert [frames for frames, _ in seen] == [1, 2, 2]
    assert seen[0][1] is None and all(p.shape == (1, 4, 16) for _, p in seen[1:])
    assert all(a.shape == (16,) and a.dtype == np.float32 and np.isfinite(a).all() for a in actions)
    assert len({a.tobytes() for a in actions}) > 1
    assert policy.value_images.shape == (3, 32, 48, 3) and policy.value_images.dtype == np.uint8
    policy.reset()
    assert policy.history.seen == 0 and policy.value_images is None  # the next episode starts clean
    np.testing.assert_array_equal(policy.select_action(_obs(0)), actions[0])  # same seed and frame: same action


def test_executed_commands_enter_the_history(parts):
    """Teacher forcing: what `observe_executed` reports is what the next window's past actions hold."""
    policy = make_policy(parts, execute_frames=1)
    for t in range(4):
        policy.select_action(_obs(t))
        policy.observe_executed(np.full(16, 0.5, np.float32))  # normalised: (0.5 + 1) / 3 * 2 - 1 = 0
    policy.select_action(_obs(4))
    _, past = policy.history.tensors()
    torch.testing.assert_close(past, torch.zeros(1, 4, 16))


def test_inconsistent_stride_or_missing_statistics_is_refused(parts):
    model, codec, encoders = parts
    with pytest.raises(ValueError, match="actions per latent frame"):
        AIMPolicy(model, codec, encoders.vae, encoders.text, NoiseSchedule(),
                  PolicySpec(image_size=(32, 48), frame_stride=2))
    with pytest.raises(ValueError, match="no action statistics"):
        AIMPolicy(model, ActionCodec(action_dim=16), encoders.vae, encoders.text, NoiseSchedule(), SPEC)
    with pytest.raises(ValueError, match="execute_frames"):
        make_policy(parts, execute_frames=3)


def test_queued_actions_are_the_rest_of_the_plan_in_order(parts):
    policy = make_policy(parts, execute_frames=2)
    assert policy.queued_actions().shape == (0, 16)  # nothing planned before the first observation
    policy.select_action(_obs(0))
    queued = policy.queued_actions()
    assert queued.shape == (7, 16) and queued.dtype == np.float32  # 2 latent frames x 4 actions, one taken
    returned = [policy.select_action(_obs(t)) for t in range(1, 8)]
    np.testing.assert_allclose(np.stack(returned), queued, rtol=1e-6, atol=1e-6)


def test_averaged_chunks_are_the_mean_of_draws_planned_together(parts):
    """chunk_samples=N: one batch of N chunks from independent noise, the queue holds their mean; N=1 is the
    single-draw policy bit for bit, and the mean varies less from noise seed to noise seed than one draw."""
    np.testing.assert_array_equal(make_policy(parts, chunk_samples=1).select_action(_obs(0)),
                                  make_policy(parts).select_action(_obs(0)))
    policy = make_policy(parts, chunk_samples=4)
    drawn = []
    sample = policy.sampler.sample
    policy.sampler.sample = lambda text, obs, past, **kw: drawn.append(sample(text, obs, past, **kw)) or drawn[-1]
    first = policy.select_action(_obs(0))
    actions = drawn[0].actions
    assert actions.shape[0] == 4 and not torch.allclose(actions[0], actions[1])  # independent draws
    np.testing.assert_allclose(first, policy.codec.denormalize(actions.mean(0)[0]).numpy(), rtol=1e-6, atol=1e-6)

    def spread(n: int) -> float:
        firsts = []
        for seed in range(6):
            p = make_policy(parts, chunk_samples=n, seed=seed)
            firsts.append(p.select_action(_obs(0)))
        return float(np.std(np.stack(firsts), axis=0).mean())

    assert spread(8) < 0.6 * spread(1)


def test_averaging_chunks_is_refused_where_it_cannot_apply():
    from aim_core.inference.sampler import FlowSDE

    with pytest.raises(ValueError, match="chunk_samples must be >= 1"):
        PolicyConfig(chunk_samples=0)
    with pytest.raises(ValueError, match="log-probability"):
        PolicyConfig(chunk_samples=2, action_sde=FlowSDE(noise_level=0.5, steps=(0,)))


def test_relative_targets_are_commanded_from_the_measured_joints(parts):
    """A relative-target bundle commands each arm joint as the measured joint plus the predicted offset: the same
    frames with the arm measured elsewhere give the same chunk moved by exactly that much (grippers unmoved), and the
    history holds the commands as normalised absolute actions, as training's past actions are."""
    model, _, encoders = parts
    codec = ActionCodec(action_dim=16, relative_targets=True)
    codec.set_stats(ActionStats((-1.0,) * 16, (2.0,) * 16, 100), ActionStats((-0.2,) * 16, (0.2,) * 16, 100))
    shift = np.zeros(16, np.float32)
    shift[list(ARM_JOINT_DIMS)] = np.linspace(-0.5, 0.5, len(ARM_JOINT_DIMS))
    runs = []
    for offset in (np.zeros(16, np.float32), shift):
        policy = AIMPolicy(model, codec, encoders.vae, encoders.text, NoiseSchedule(), SPEC,
                           PolicyConfig(num_inference_steps=2, execute_frames=1))
        commands = []
        for t in range(5):
            obs = _obs(t)
            commands.append(policy.select_action(Observation(obs.images, obs.qpos + offset, obs.instruction, t)))
        runs.append((np.stack(commands), policy.history.tensors()[1]))
    (still, past_still), (moved, past_moved) = runs
    np.testing.assert_allclose(moved[:4] - still[:4], np.broadcast_to(shift, (4, 16)), atol=1e-5)
    torch.testing.assert_close(past_still[0], codec.normalize(torch.from_numpy(still[:4])), atol=1e-5, rtol=0)
    torch.testing.assert_close(past_moved[0], codec.normalize(torch.from_numpy(moved[:4])), atol=1e-5, rtol=0)


def test_temporal_ensemble_executes_the_weighted_mean_of_overlapping_chunks(parts):
    """ACT's temporal ensembling: chunks are planned every latent frame, and a step two chunks predict executes
    their mean weighted exp(-m * i) (i = 0 the older), compared as absolute commands: with relative targets each
    chunk is moved by the joints measured when it was planned, which differ here from frame to frame."""
    model, _, encoders = parts
    codec = ActionCodec(action_dim=16, relative_targets=True)
    codec.set_stats(ActionStats((-1.0,) * 16, (2.0,) * 16, 100), ActionStats((-0.2,) * 16, (0.2,) * 16, 100))
    m = 0.7
    policy = AIMPolicy(model, codec, encoders.vae, encoders.text, NoiseSchedule(), SPEC,
                       PolicyConfig(num_inference_steps=2, temporal_ensemble=m))
    plans = []
    sample = policy.sampler.sample
    policy.sampler.sample = lambda text, obs, past, **kw: plans.append(sample(text, obs, past, **kw)) or plans[-1]
    commands, references = [], []
    for t in range(12):
        obs = _obs(t)
        qpos = np.full(16, 0.05 * t, np.float32)
        references.append(torch.from_numpy(qpos))
        commands.append(policy.select_action(Observation(obs.images, qpos, obs.instruction, t)))
    assert len(plans) == 3  # one plan per latent frame (t = 0, 4, 8), not one per chunk of 2 frames
    absolute = [codec.targets_as_actions(plan.actions[0], references[4 * i]) for i, plan in enumerate(plans)]
    weights = np.exp(-m * np.arange(2))
    expected = [absolute[0][t] for t in range(4)]
    expected += [(weights[0] * absolute[i - 1][4 + k] + weights[1] * absolute[i][k]) / weights.sum()
                 for i in (1, 2) for k in range(4)]
    np.testing.assert_allclose(np.stack(commands), codec.denormalize(torch.stack(expected)).numpy(),
                               rtol=1e-5, atol=1e-5)
    assert not np.allclose(commands[4], codec.denormalize(absolute[1][0]).numpy(), atol=1e-3)  # blended, not newest
    policy.reset()
    np.testing.assert_array_equal(policy.select_action(_obs(0)), commands[0])  # no chunk of the last episode kept


def test_temporal_ensemble_is_refused_where_it_cannot_apply(parts):
    from aim_core.inference.sampler import FlowSDE

    with pytest.raises(ValueError, match="overlapping chunks"):
        make_policy(parts, temporal_ensemble=0.01, execute_frames=2)
    with pytest.raises(ValueError, match="finite"):
        PolicyConfig(temporal_ensemble=float("nan"))
    with pytest.raises(ValueError, match="log-probability"):
        PolicyConfig(temporal_ensemble=0.01, action_sde=FlowSDE(noise_level=0.5, steps=(0,)))


def test_policy_settings_are_described_for_reports():
    assert PolicyConfig().describe() == ("AIM rows: the bundle's denoising steps per chunk, each chunk executed whole, "
                                         "one chunk per plan; noise seed 0, fp32.")
    assert PolicyConfig(num_inference_steps=4, chunk_samples=4, temporal_ensemble=0.01).describe() == (
        "AIM rows: 4 denoising steps per chunk, 1 latent frame(s) of each chunk executed, the mean of 4 chunks per "
        "plan, temporal ensembling, m = 0.01; noise seed 0, fp32.")


def test_value_maps_are_decoded_only_when_read(parts):
    """Only a filmed episode reads `value_images`: planning keeps the predicted value latents, the first read after
    a plan decodes them once, a new plan replaces them."""
    policy = make_policy(parts, execute_frames=1)
    decoded = []
    decode = policy.vae.decode
    policy.vae.decode = lambda latents, stream="rgb": decoded.append(stream) or decode(latents, stream)
    try:
        for t in range(4):
            policy.select_action(_obs(t))
        assert decoded == []
        images = policy.value_images
        assert policy.value_images is images and decoded == ["value"]
        policy.select_action(_obs(4))  # plans again
        assert policy.value_images is not images and decoded == ["value", "value"]
    finally:
        policy.vae.decode = decode
