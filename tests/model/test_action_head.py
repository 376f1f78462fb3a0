"""Stage II trains the future-action head alone: no video or value output may depend on its parameters,
while executed past actions (their own stream) still shape the world the model predicts."""
import torch


def outputs(model, batch):
    with torch.no_grad():
        return model(obs_latents=batch.obs_latents, past_actions=batch.past_actions, rgb_latents=batch.rgb_latents,
                     value_latents=batch.value_latents, actions=batch.actions, text_embeds=batch.text_embeds,
                     t_video=600.0, t_action=600.0)


def perturb(params, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in params:
            p.add_(torch.randn(p.shape, generator=g))


def test_training_the_action_head_leaves_video_and_value_bitwise_unchanged(tiny_model, tiny_config, batch_factory):
    batch = batch_factory(tiny_config)
    before = outputs(tiny_model, batch)
    head = tiny_model.action_head_parameters()
    assert {id(p) for p in head} == {id(p) for p in tiny_model.stream_parameters("action")}
    perturb(head, seed=0)
    after = outputs(tiny_model, batch)
    assert torch.equal(before.rgb, after.rgb) and torch.equal(before.value, after.value)
    assert not torch.allclose(before.action, after.action, atol=1e-3)


def test_past_actions_still_shape_the_world(tiny_model, tiny_config, batch_factory):
    batch = batch_factory(tiny_config)
    before = outputs(tiny_model, batch)
    perturb(tiny_model.stream_parameters("past_action"), seed=1)
    after = outputs(tiny_model, batch)
    assert not torch.allclose(before.rgb, after.rgb, atol=1e-4)
