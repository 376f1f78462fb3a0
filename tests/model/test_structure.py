"""Structural guarantees of the intent-causal MoT, checked on every layer's outputs of a real tiny model."""
import pytest
import torch

from aim_core.models.aim_model import AIMModel
from aim_core.models.config import aim_tiny_config
from aim_core.models.intent_mask import Role


def layer_outputs(model: AIMModel, hold: dict[int, dict[Role, torch.Tensor]] | None = None, **inputs):
    """Per layer: (inputs, outputs) hidden states of each token role. ``hold[layer][role]`` replaces that
    role's input to that layer (to hold a stream fixed while another is perturbed)."""
    inputs_seen, outputs_seen = [], []

    def pre_hook(module, args):
        layer = len(inputs_seen)
        hiddens, segments = list(args[0]), args[1]
        for i, s in enumerate(segments):
            role = Role(int(s.meta.role[0]))
            if hold and role in hold.get(layer, {}):
                hiddens[i] = hold[layer][role]
        inputs_seen.append({Role(int(s.meta.role[0])): h.detach().clone() for s, h in zip(segments, hiddens)})
        return (hiddens, *args[1:])

    def hook(module, args, output):
        outputs_seen.append({Role(int(s.meta.role[0])): h.detach().clone() for s, h in zip(args[1], output[0])})

    handles = [h for b in model.blocks for h in (b.register_forward_pre_hook(pre_hook), b.register_forward_hook(hook))]
    try:
        with torch.no_grad():
            model(**inputs)
    finally:
        for h in handles:
            h.remove()
    return inputs_seen, outputs_seen


def model_inputs(model, batch, drop_value=False):
    return dict(obs_latents=batch.obs_latents, past_actions=batch.past_actions, rgb_latents=batch.rgb_latents,
                value_latents=None if drop_value else batch.value_latents, actions=batch.actions,
                text_embeds=batch.text_embeds, t_video=torch.tensor([700.0, 250.0]), t_action=torch.tensor([400.0, 900.0]))


@pytest.mark.parametrize("variant", ["aim", "unified", "no-value"])
def test_future_rgb_reaches_actions_only_in_the_ablations(variant, tiny_config, batch_factory):
    torch.manual_seed(0)
    model = AIMModel(aim_tiny_config(layout=tiny_config.layout, variant=variant)).eval()
    mask = model.config.mask
    batch = batch_factory(model.config)
    inputs = model_inputs(model, batch, drop_value=not model.config.has_value_stream)
    before_in, before = layer_outputs(model, **inputs)
    inputs["rgb_latents"] = inputs["rgb_latents"] + 3.0 * torch.randn_like(inputs["rgb_latents"])
    held = ({layer: {Role.VALUE: x[Role.VALUE]} for layer, x in enumerate(before_in)}
            if model.config.has_value_stream else None)  # holding the value stream: only direct paths count
    _, after = layer_outputs(model, held, **inputs)
    assert len(before) == model.config.num_layers
    for layer, (b, a) in enumerate(zip(before, after)):
        assert not torch.allclose(b[Role.RGB], a[Role.RGB])  # the perturbation is real
        if mask == "intent":
            assert torch.equal(b[Role.ACTION], a[Role.ACTION]), f"future RGB leaked into actions at layer {layer}"
        else:
            assert not torch.allclose(b[Role.ACTION], a[Role.ACTION], atol=1e-6)
        for role in (Role.OBS, Role.PAST_ACTION):  # history never sees the future (cache soundness)
            assert torch.equal(b[role], a[role])


def test_without_holding_the_value_stream_rgb_reaches_actions_through_it(tiny_model, tiny_config, batch_factory):
    inputs = model_inputs(tiny_model, batch_factory(tiny_config))
    _, before = layer_outputs(tiny_model, **inputs)
    inputs["rgb_latents"] = inputs["rgb_latents"] + 3.0 * torch.randn_like(inputs["rgb_latents"])
    _, after = layer_outputs(tiny_model, **inputs)
    assert torch.equal(before[0][Role.ACTION], after[0][Role.ACTION])  # no direct path ...
    assert not torch.allclose(before[0][Role.VALUE], after[0][Role.VALUE])  # ... the value map reads RGB ...
    assert not torch.allclose(before[-1][Role.ACTION], after[-1][Role.ACTION], atol=1e-6)  # ... and passes it on


def test_value_map_is_the_actions_window_to_the_future(tiny_model, tiny_config, batch_factory):
    batch = batch_factory(tiny_config)
    inputs = model_inputs(tiny_model, batch)
    _, before = layer_outputs(tiny_model, **inputs)
    inputs["value_latents"] = inputs["value_latents"] + torch.randn_like(inputs["value_latents"])
    _, after = layer_outputs(tiny_model, **inputs)
    assert not torch.allclose(before[0][Role.ACTION], after[0][Role.ACTION], atol=1e-6)
    assert torch.equal(before[-1][Role.RGB], after[-1][Role.RGB])  # RGB does not read the value map


def test_actions_do_not_read_past_observation_frames_directly(tiny_model, tiny_config, batch_factory):
    batch = batch_factory(tiny_config)
    inputs = model_inputs(tiny_model, batch)
    _, before = layer_outputs(tiny_model, **inputs)
    obs = inputs["obs_latents"].clone()
    obs[:, :, :-1] += torch.randn_like(obs[:, :, :-1])  # every frame but the current one
    inputs["obs_latents"] = obs
    _, after = layer_outputs(tiny_model, **inputs)
    # layer 0 reads keys computed from the raw inputs: past frames are invisible to actions
    assert torch.equal(before[0][Role.ACTION], after[0][Role.ACTION])
    assert not torch.allclose(before[0][Role.RGB], after[0][Role.RGB])
