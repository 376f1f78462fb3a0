"""Text states are padded to the model's fixed text length, so an instruction's outputs do not depend on
the other instructions of its batch (training pads a batch to its longest; a rollout has one instruction)."""
import pytest
import torch


def test_outputs_do_not_depend_on_batch_padding(tiny_model, tiny_config, batch_factory):
    b = batch_factory(tiny_config, batch=2)
    g = torch.Generator().manual_seed(7)
    short, long = torch.randn(5, tiny_config.text_dim, generator=g), torch.randn(12, tiny_config.text_dim, generator=g)
    padded = torch.zeros(2, 12, tiny_config.text_dim)  # the collate's zero padding to the longest instruction
    padded[0, :5], padded[1] = short, long
    inputs = dict(obs_latents=b.obs_latents, past_actions=b.past_actions, rgb_latents=b.rgb_latents,
                  value_latents=b.value_latents, actions=b.actions, t_video=300.0, t_action=300.0)
    with torch.no_grad():
        together = tiny_model(**inputs, text_embeds=padded)
        alone = tiny_model(**{k: v[:1] if torch.is_tensor(v) else v for k, v in inputs.items()},
                           text_embeds=short[None])
    for name in ("rgb", "value", "action"):
        torch.testing.assert_close(getattr(together, name)[:1], getattr(alone, name), rtol=0, atol=1e-6, msg=name)


def test_text_longer_than_text_len_is_refused(tiny_model, tiny_config):
    assert tiny_model.text_context(torch.zeros(1, 3, tiny_config.text_dim)).shape[1] == tiny_config.text_len
    with pytest.raises(ValueError, match=f"more than text_len={tiny_config.text_len}"):
        tiny_model.text_context(torch.zeros(1, tiny_config.text_len + 1, tiny_config.text_dim))
