"""A tiny diffusers WanTransformer3DModel, saved and loaded into AIM by name, predicts the same video."""
import pytest
import torch
from diffusers import WanTransformer3DModel

from aim_core.models.aim_model import AIMModel
from aim_core.models.config import aim_tiny_config

WAN_TINY = dict(patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=16, in_channels=4, out_channels=4,
                text_dim=16, freq_dim=32, ffn_dim=48, num_layers=2, cross_attn_norm=True, eps=1e-6)


@pytest.fixture
def wan_dir(tmp_path):
    torch.manual_seed(3)
    wan = WanTransformer3DModel(**WAN_TINY).eval()
    with torch.no_grad():  # make every tensor (biases, norms, tables) non-trivial so a misplaced one shows
        for p in wan.parameters():
            p.add_(0.05 * torch.randn_like(p))
    wan.save_pretrained(tmp_path / "wan")
    return tmp_path / "wan", wan


def test_video_stream_reproduces_diffusers_wan(wan_dir):
    path, wan = wan_dir
    aim = AIMModel.from_wan(path, text_len=12).eval()
    g = torch.Generator().manual_seed(0)
    latents = torch.randn(2, 4, 3, 6, 8, generator=g)
    text = torch.randn(2, 7, 16, generator=g)
    t = torch.tensor([999.0, 137.0])
    with torch.no_grad():  # Wan's pipeline zero-pads the text states to its fixed length: AIM does it inside
        expected = wan(latents, t, torch.nn.functional.pad(text, (0, 0, 0, 12 - 7))).sample
        got = aim(rgb_latents=latents, text_embeds=text, t_video=t).rgb
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def test_value_stream_starts_from_the_same_weights_and_action_stream_is_resized(wan_dir):
    path, wan = wan_dir
    aim = AIMModel.from_wan(path, aim_tiny_config(head_dim=16), action_init="video")
    wan_state = wan.state_dict()
    block = aim.blocks[1]
    assert torch.equal(block.value.attn1.to_q.weight, wan_state["blocks.1.attn1.to_q.weight"])
    assert torch.equal(block.value.ffn.net[2].bias, wan_state["blocks.1.ffn.net.2.bias"])
    assert torch.equal(aim.value_embed.patch_embedding.weight, wan_state["patch_embedding.weight"])
    assert block.value.attn2 is None  # language enters the video stream only
    q_action, q_video = block.action.attn1.to_q.weight, wan_state["blocks.1.attn1.to_q.weight"]
    assert q_action.shape == (32, 16) and q_video.shape == (32, 32)
    # linear resize: end columns are kept (times the fan-in rescale sqrt(32/16))
    torch.testing.assert_close(q_action[:, 0], q_video[:, 0] * (32 / 16) ** 0.5)
    torch.testing.assert_close(q_action[:, -1], q_video[:, -1] * (32 / 16) ** 0.5)
    table = block.action.scale_shift_table
    torch.testing.assert_close(table[0, :, 0], wan_state["blocks.1.scale_shift_table"][0, :, 0])
    # the past-action stream initialises like the action stream
    assert torch.equal(block.past_action.attn1.to_q.weight, q_action)
    assert torch.equal(aim.past_action_embed.condition_embedder.time_proj.weight,
                       aim.action_embed.condition_embedder.time_proj.weight)
    scratch = AIMModel.from_wan(path, action_init="scratch")
    for stream in ("past_action", "action"):
        assert not torch.allclose(getattr(scratch.blocks[1], stream).scale_shift_table[0, :, 0],
                                  wan_state["blocks.1.scale_shift_table"][0, :, 0])


def test_mismatched_config_is_refused_with_the_fields(wan_dir):
    path, _ = wan_dir
    with pytest.raises(ValueError, match="ffn_dim"):
        AIMModel.from_wan(path, aim_tiny_config(head_dim=16, ffn_dim=64))
    with pytest.raises(FileNotFoundError, match="config.json"):
        AIMModel.from_wan(path.parent)
