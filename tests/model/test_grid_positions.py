"""Absolute grid positions (AIMConfig.grid_position_table): zero at start, a token then says where it is."""
import pytest
import torch
from diffusers import WanTransformer3DModel

from aim_core.models.aim_model import AIMModel
from aim_core.models.config import aim_small_config, aim_tiny_config
from tests.model.test_wan_equivalence import WAN_TINY


def _pair(table: int) -> tuple[AIMModel, AIMModel]:
    """Two tiny models with the same weights, one without position tables and one with `table` rows."""
    torch.manual_seed(0)
    plain = AIMModel(aim_tiny_config())
    torch.manual_seed(0)
    placed = AIMModel(aim_tiny_config(grid_position_table=table))
    placed.load_state_dict(plain.state_dict(), strict=False)
    return plain.eval(), placed.eval()


def _window(g: torch.Generator) -> dict:
    return dict(obs_latents=torch.randn(1, 4, 2, 4, 6, generator=g), past_actions=torch.randn(1, 2, 16, generator=g),
                rgb_latents=torch.randn(1, 4, 2, 4, 6, generator=g), value_latents=torch.randn(1, 4, 2, 4, 6, generator=g),
                actions=torch.randn(1, 4, 16, generator=g), text_embeds=torch.randn(1, 5, 16, generator=g),
                t_video=500.0, t_action=500.0)


def test_zero_tables_leave_every_output_unchanged():
    plain, placed = _pair(8)
    window = _window(torch.Generator().manual_seed(1))
    with torch.no_grad():
        a, b = plain(**window), placed(**window)
    for name in ("rgb", "value", "action"):
        torch.testing.assert_close(getattr(b, name), getattr(a, name))


def test_same_content_in_two_cells_becomes_two_tokens():
    _, placed = _pair(8)
    with torch.no_grad():
        placed.video_embed.row_positions.normal_()
        placed.video_embed.col_positions.normal_()
        latents = torch.zeros(1, 4, 1, 4, 6)
        latents[..., 0:2, 0:2] = 1.0   # one patch of content at token (0, 0) ...
        moved = torch.zeros_like(latents)
        moved[..., 2:4, 4:6] = 1.0     # ... and the same patch at token (1, 2)
        here, there = placed.video_embed(latents), placed.video_embed(moved)
        plain_here = placed.video_embed.patch_embedding(latents).flatten(2).transpose(1, 2)
    cols = 3
    assert not torch.allclose(here[0, 0], there[0, 1 * cols + 2])  # the tokens now differ by where they are
    torch.testing.assert_close(here - plain_here, (placed.video_embed.row_positions[:2, None]
                                                   + placed.video_embed.col_positions[None, :3]).reshape(1, 6, -1))


def test_a_frame_larger_than_the_table_is_refused():
    _, placed = _pair(2)
    with pytest.raises(ValueError, match="grid_position_table"):
        placed.video_embed(torch.zeros(1, 4, 1, 4, 6))  # 2x3 tokens > 2x2


def test_wan_initialisation_keeps_the_tables_at_zero(tmp_path):
    torch.manual_seed(3)
    WanTransformer3DModel(**WAN_TINY).save_pretrained(tmp_path / "wan")
    aim = AIMModel.from_wan(tmp_path / "wan", aim_tiny_config(head_dim=16, grid_position_table=8))
    for embed in (aim.video_embed, aim.value_embed):
        assert embed.row_positions.abs().sum() == 0 and embed.col_positions.abs().sum() == 0


def test_aim_small_reads_positions_and_saves_them(tmp_path):
    model = AIMModel(aim_small_config())
    assert model.config.grid_position_table == 32
    with torch.no_grad():
        model.video_embed.row_positions.fill_(0.5)
    model.save_pretrained(tmp_path / "m")
    loaded = AIMModel.from_pretrained(tmp_path / "m")
    torch.testing.assert_close(loaded.video_embed.row_positions, model.video_embed.row_positions)
