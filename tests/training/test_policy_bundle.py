"""Checkpoints are policy bundles: they act alone, and a policy sees exactly a training window."""
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from aim_core.data.windows import history_length
from aim_core.eval.evaluate import EvalConfig, checkpoint_sim_config, evaluate_checkpoints
from aim_core.inference.bundle import BUNDLE_PARTS, check_bundle
from data_schemas.observation import Observation
from aim_core.inference.policy import AIMPolicy, PolicyConfig
from aim_core.models.intent_mask import TokenMeta, dense_mask
from aim_core.training.data_source import open_training_data
from aim_core.training.trainer import train_stage1


def test_a_copied_bundle_acts_after_the_run_is_deleted(tiny_config, tmp_path):
    config = tiny_config(steps=2, checkpoint_every=2)
    bundle = train_stage1(config).checkpoint
    assert sorted(p.name for p in bundle.iterdir()) == sorted(BUNDLE_PARTS)
    copy = tmp_path / "elsewhere" / "policy"
    shutil.copytree(bundle, copy)
    shutil.rmtree(config.out_dir)  # the run, its encoders and its latent cache folder are gone
    base = str(tmp_path.parent.parent)  # pytest's base folder: holds the run, the latent cache and the copy
    for path in copy.rglob("*.json"):  # no absolute path inside: nothing refers back to the run
        assert base not in path.read_text(), path
    check_bundle(copy)
    sim = checkpoint_sim_config(copy)
    assert sim.image_size == (32, 48) and sim.record_every == 15 and sim.physics_rate_hz == 250.0  # its episodes' rates
    outcome = evaluate_checkpoints({"aim": copy}, EvalConfig(
        tasks=["place_shoe"], out_dir=str(tmp_path / "eval"), settings=["easy"], episodes=1, videos=0,
        reference_policies=False, step_limit_factor=0.2, sim=sim), PolicyConfig(num_inference_steps=2))
    assert [(r.policy, r.task) for r in outcome.results] == [("aim", "place_shoe")] and outcome.results[0].steps > 0


def test_the_policy_sees_exactly_the_training_windows(tiny_config):
    """Teacher-forced through a recorded episode, the policy's history windows, text, tokens and
    attention mask at every plan equal those of the training windows anchored at the same steps."""
    config = tiny_config(steps=1, checkpoint_every=1)
    bundle = train_stage1(config).checkpoint
    data = open_training_data(config)
    windows = data.windows
    policy = AIMPolicy.from_pretrained(bundle, PolicyConfig(num_inference_steps=1, execute_frames=1))
    model, mode = policy.model, policy.model.config.mask
    planned = []
    sample = policy.sampler.sample
    policy.sampler.sample = (lambda text, obs, past, **kw:
                             planned.append((text, obs, past)) or sample(text, obs, past, **kw))

    episode = windows.episodes[0]
    rgb, actions = episode.array("rgb")[...], episode.array("action")[...]
    for t in range(len(rgb)):
        policy.select_action(Observation(rgb[t], np.zeros(16, np.float32), episode.attrs.instruction, t))
        policy.observe_executed(actions[t])  # teacher forcing: the recorded command was executed
    anchors = [anchor for index, anchor, _ in windows.table if index == 0]
    assert len(planned) >= len(anchors) == 4 and anchors[0] == 0

    for anchor, (text, obs, past) in zip(anchors, planned):
        item = windows[windows.table.index((0, anchor, history_length(anchor, model.config.layout)))]
        assert obs.shape[2] == min(anchor + 1, model.config.layout.history_frames)
        assert torch.equal(obs[0], item["obs_latents"].float()), f"history latents differ at anchor {anchor}"
        if anchor == 0:
            assert past is None and item["past_actions"].shape[0] == 0
        else:
            torch.testing.assert_close(past[0], item["past_actions"], rtol=0, atol=1e-6)
        assert torch.equal(text[0], item["text_embeds"])
        train_past = item["past_actions"][None] if anchor else None
        history = model.embed_history(item["obs_latents"][None].float(), train_past)
        live = model.embed_history(obs, past)
        for a, b in zip(history, live):
            assert torch.equal(a.hidden, b.hidden) and torch.equal(a.meta.role, b.meta.role)
            assert torch.equal(a.meta.step, b.meta.step) and torch.equal(a.rope[0], b.rope[0])
        future = TokenMeta.cat([s.meta for s in model.embed_future(
            obs.shape[2], item["rgb_latents"][None].float(), item["value_latents"][None].float(),
            item["actions"][None], t_video=500.0, t_action=500.0)])
        past_meta = TokenMeta.cat([s.meta for s in history])
        full = TokenMeta.cat([past_meta, future])
        training_rows = dense_mask(full, full, mode)[len(past_meta):]  # the future queries of a training forward
        inference = dense_mask(future, TokenMeta.cat([TokenMeta.cat([s.meta for s in live]), future]), mode)
        assert torch.equal(training_rows, inference)


@pytest.mark.parametrize("action_space", ["joints", "tcp"])
def test_relative_targets_start_from_the_state_measured_at_the_training_windows_frame(tiny_config, action_space):
    """A run with relative targets writes its offsets' statistics into the bundle, and the policy, teacher-forced
    through a recorded episode, commands each plan's chunk from the measured state (joints, or TCP poses in TCP space)
    of the frame the training window anchored at that step starts from (`LatentWindowDataset.reference`)."""
    config = tiny_config(steps=1, checkpoint_every=1, relative_targets=True, action_space=action_space)
    bundle = train_stage1(config).checkpoint
    windows = open_training_data(config).windows
    policy = AIMPolicy.from_pretrained(bundle, PolicyConfig(num_inference_steps=1, execute_frames=1))
    assert policy.codec.config.relative_targets and policy.action_space == action_space
    torch.testing.assert_close(policy.codec.offset_high, windows.codec.offset_high)
    chunks = []
    sample = policy.sampler.sample
    policy.sampler.sample = lambda *args, **kw: chunks.append(sample(*args, **kw)) or chunks[-1]
    episode = windows.episodes[0]
    rgb, qpos, ee = episode.array("rgb")[...], episode.array("qpos")[...], episode.array("ee_pose")[...]
    actions = windows.raw_actions[0].numpy()  # what the policy commands and its history holds, in its action space
    apf = policy.model.config.layout.actions_per_frame
    commands = []
    for t in range(len(rgb)):
        commands.append(policy.select_action(Observation(rgb[t], qpos[t], episode.attrs.instruction, t, ee_pose=ee[t])))
        policy.observe_executed(actions[t])
    anchors = [anchor for index, anchor, _ in windows.table if index == 0]
    for anchor, chunk in zip(anchors, chunks):
        index = windows.table.index((0, anchor, history_length(anchor, policy.model.config.layout)))
        expected = windows.codec.denormalize_targets(chunk.actions[0, :apf], windows.reference(index))
        np.testing.assert_allclose(np.stack(commands[anchor * apf:(anchor + 1) * apf]), expected.numpy(), atol=1e-4)


def test_inference_and_evaluation_never_import_training():
    code = ("import sys, aim_core.inference.policy, aim_core.eval.evaluate, aim_core.eval.cli; "
            "bad = sorted(m for m in sys.modules if m.startswith('aim_core.training')); "
            "print(json.dumps(bad))")
    out = subprocess.run([sys.executable, "-c", "import json; " + code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
