"""Learning test: a chunk sampled from pure noise must follow what the current frame shows.

A synthetic bimanual choice in miniature: a bright cell on the left or right half of the first frame says
which way every action goes, the future value map marks the same cell (as a contact map would), and
nothing else tells. A tiny AIM trained with the recipe of the learning benchmark (spatial-softmax
keypoints for the action tokens, a share of each batch at pure noise) must, on cells it never saw, sample
chunks that go the right way (measured 32/32; 14/32 without keypoints). On click_bell the same decision
(which arm) is still left to the initial noise with this recipe: there the flow loss did not move the
keypoints onto the bell (benchmarks/RESULTS.md, Learning, fourth session).
"""
import torch

from aim_core.inference.rollout import ChunkSampler, SamplingConfig
from aim_core.models.aim_model import AIMModel
from aim_core.models.config import aim_tiny_config
from aim_core.models.schedule import NoiseSchedule
from aim_core.training.flow_matching import FlowMatchingConfig, flow_matching_loss

SCHEDULE = NoiseSchedule(shift=3.0)
ROWS, COLS = 4, 8


def scenes(n: int, g: torch.Generator, train: bool) -> dict[str, torch.Tensor]:
    """n first-frame windows; training cells use even rows, held-out cells odd rows (never seen)."""
    model_config = aim_tiny_config()
    c, lay = model_config.latent_channels, model_config.layout
    side = torch.randint(0, 2, (n,), generator=g)  # 0: left half, 1: right half
    row = 2 * torch.randint(0, ROWS // 2, (n,), generator=g) + (0 if train else 1)
    col = torch.randint(0, COLS // 2, (n,), generator=g) + side * (COLS // 2)
    obs = 0.1 * torch.randn(n, c, 1, ROWS, COLS, generator=g)
    value = torch.zeros(n, c, lay.future_frames, ROWS, COLS)
    for i in range(n):
        obs[i, 0, 0, row[i], col[i]] += 3.0
        value[i, 0, :, row[i], col[i]] = 3.0
    direction = (1.0 - 2.0 * side.float()).view(n, 1, 1)
    return dict(obs_latents=obs, past_actions=torch.zeros(n, 0, model_config.action_dim),
                rgb_latents=obs.expand(-1, -1, lay.future_frames, -1, -1).clone(), value_latents=value,
                actions=direction.expand(n, lay.future_actions, model_config.action_dim).clone(),
                text_embeds=torch.zeros(n, 5, model_config.text_dim), side=side)


def test_a_chunk_sampled_from_noise_goes_where_the_frame_says():
    torch.manual_seed(0)
    model = AIMModel(aim_tiny_config(action_keypoints=4)).train()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.0)
    cfg, g = FlowMatchingConfig(plan_from_noise=0.25), torch.Generator().manual_seed(1)
    for _ in range(300):
        batch = scenes(16, g, train=True)
        batch.pop("side")
        loss, _ = flow_matching_loss(model, batch, cfg, SCHEDULE, generator=g)
        opt.zero_grad()
        loss.backward()
        opt.step()
    held_out = scenes(32, torch.Generator().manual_seed(2), train=False)
    chunk = ChunkSampler(model.eval(), SCHEDULE, SamplingConfig(num_steps=6, seed=3)).sample(
        held_out["text_embeds"], held_out["obs_latents"], None)
    went_left = chunk.actions.mean(dim=(1, 2)) > 0
    agree = int((went_left == (held_out["side"] == 0)).sum())
    assert agree >= 29, f"{agree}/32 chunks went the way the frame says"
