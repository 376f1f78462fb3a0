"""Speed and memory of the AIM network: aim-tiny train step and rollout on this machine, aim-5b sizes.

CPU: aim-tiny training step (forward + backward + AdamW) and the latency of one chunk (a full history
window, joint denoising of RGB, value map and actions) with and without the KV cache. Meta device: aim-5b parameter counts per stream and memory of weights, training state and
KV cache. On a CUDA machine (``--device cuda``) the same step/rollout runs in bf16 autocast with the
FlexAttention block mask (not measured on the 2-core development VM).

    .venv/bin/python benchmarks/model.py [--device cpu|cuda] [--write-results]
"""
from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import time

import torch
from rich.progress import track

from aim_core.inference.rollout import ChunkSampler, SamplingConfig
from aim_core.models.aim_model import AIMModel
from aim_core.models.batch import AIMBatch
from aim_core.models.config import AIMConfig, aim_5b_config, aim_tiny_config
from aim_core.models.schedule import NoiseSchedule
from aim_core.training.flow_matching import FlowMatchingConfig, flow_matching_loss
from results import write_section

SECTION = "Model"
TINY_GRID = (8, 10)        # latent canvas of the tiny benchmark (4 x 5 tokens per frame)
CANVAS_5B_GRID = (30, 40)  # 480x640 T-pose canvas of three 240x320 views, Wan VAE 16x -> 30x40 latents


def random_batch(config: AIMConfig, batch: int, grid: tuple[int, int], device) -> AIMBatch:
    """Random latents/actions/text of the benchmark's shapes."""
    lay, c = config.layout, config.latent_channels
    r = lambda *s: torch.randn(*s, device=device)  # noqa: E731
    return AIMBatch(r(batch, c, lay.history_frames, *grid), r(batch, lay.past_actions, config.action_dim),
                    r(batch, c, lay.future_frames, *grid), r(batch, c, lay.future_frames, *grid),
                    r(batch, lay.future_actions, config.action_dim), r(batch, 16, config.text_dim))


def autocast(device: torch.device):
    return torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else contextlib.nullcontext()


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def bench_train_step(config: AIMConfig, device: torch.device, grid: tuple[int, int], batch: int, steps: int
                     ) -> dict[str, float]:
    model = AIMModel(config).to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    data = random_batch(config, batch, grid, device)
    times = []
    for i in track(range(steps + 2), description="train steps"):
        sync(device)
        start = time.perf_counter()
        with autocast(device):
            loss, _ = flow_matching_loss(model, data, FlowMatchingConfig(), NoiseSchedule())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sync(device)
        if i >= 2:  # warm-up
            times.append(time.perf_counter() - start)
    tokens = sum(len(s.meta) for s in model.embed_history(data.obs_latents, data.past_actions)
                 + model.embed_future(config.layout.history_frames, data.rgb_latents, data.value_latents,
                                      data.actions, 0.5, 0.5))
    return {"step_ms": 1000 * statistics.median(times), "tokens": tokens,
            "params": sum(p.numel() for p in model.parameters())}


def bench_rollout(config: AIMConfig, device: torch.device, grid: tuple[int, int], chunks: int) -> dict[str, float]:
    """Chunk latency with a full history window (F_h frames, the (F_h - 1) * apf actions between them), with
    and without the KV cache, interleaved chunk by chunk so that both see the same machine load."""
    torch.manual_seed(0)
    model = AIMModel(config).to(device).eval()
    samplers = {cache: ChunkSampler(model, NoiseSchedule(), SamplingConfig(num_steps=10, use_cache=cache))
                for cache in (True, False)}
    lay = config.layout
    text = torch.randn(1, 16, config.text_dim, device=device)
    obs = torch.randn(1, config.latent_channels, lay.history_frames, *grid, device=device)
    past = torch.randn(1, lay.past_actions, config.action_dim, device=device)
    times: dict[bool, list[float]] = {True: [], False: []}
    for _ in track(range(chunks), description="chunks (cache / no cache)"):
        for cache, sampler in samplers.items():
            sync(device)
            start = time.perf_counter()
            with autocast(device):
                sampler.sample(text, obs, past)
            sync(device)
            times[cache].append(time.perf_counter() - start)
    cached, full = (statistics.median(times[c][1:]) for c in (True, False))
    return {"cached_ms": 1000 * cached, "full_ms": 1000 * full, "speedup": full / cached}


def meta_sizes(config: AIMConfig) -> dict[str, float]:
    with torch.device("meta"):
        model = AIMModel(config)
    params = {s: sum(p.numel() for p in model.stream_parameters(s)) for s in ("video", "value", "past_action", "action")}
    total = sum(p.numel() for p in model.parameters())
    tokens_per_frame = (CANVAS_5B_GRID[0] // 2) * (CANVAS_5B_GRID[1] // 2)
    lay = config.layout
    video_tokens = tokens_per_frame * (lay.history_frames + lay.future_frames)
    value_tokens = tokens_per_frame * lay.future_frames + config.value_noise_tokens
    window = video_tokens + value_tokens + lay.past_actions + lay.future_actions
    # forward FLOPs: 2 x (stream parameters x its tokens) + dense upper bound of the shared attention
    matmul = 2 * (params["video"] * video_tokens + params["value"] * value_tokens
                  + params["past_action"] * lay.past_actions + params["action"] * lay.future_actions)
    attention = config.num_layers * 4 * window * window * config.width
    return {"total_b": total / 1e9, **{f"{k}_b": v / 1e9 for k, v in params.items()},
            "bf16_gb": total * 2 / 1e9,
            "train_state_gb": total * (2 + 4 + 4 + 8) / 1e9,  # bf16 weights, fp32 master + grads, Adam moments
            "kv_mb_per_frame": config.num_layers * 2 * tokens_per_frame * config.width * 2 / 1e6,
            "window_tokens": window, "train_tflop": 3 * (matmul + attention) / 1e12}


def render(tiny: AIMConfig, grid: tuple[int, int], train: dict, rollout: dict, sizes: dict, device: str) -> str:
    lay = tiny.layout
    return f"""## {SECTION}

Machine: 2-core CPU VM, lavapipe (no GPU), shared with other jobs (1-min load average {os.getloadavg()[0]:.1f} when
written, so figures are upper bounds); device `{device}`, fp32, {torch.get_num_threads()} torch thread(s).
Script: `benchmarks/model.py --write-results`.

measured model ({train['params'] / 1e6:.3f} M parameters: {tiny.num_layers} layers, width {tiny.width}, action width
{tiny.action_width}; window {lay.history_frames} history + {lay.future_frames} future latent frames of
{grid[0]}x{grid[1]} latents, {lay.actions_per_frame} actions per frame; {train['tokens']} tokens):

| measure | value |
|---|---|
| training step, batch 2 (fwd + bwd + AdamW), median | {train['step_ms']:.1f} ms |
| chunk (full history window re-encoded, 10 joint Euler steps), KV cache, median | {rollout['cached_ms']:.1f} ms |
| chunk by full recomputation at every Euler step, median | {rollout['full_ms']:.1f} ms |
| KV cache speed-up (interleaved, same run) | {rollout['speedup']:.2f}x |

aim-5b on the meta device (video stream = Wan2.2-TI2V-5B; T-pose canvas 480x640 -> 30x40 latents -> 300
tokens per latent frame; window {sizes['window_tokens']} tokens):

| measure | value |
|---|---|
| parameters: total / video / value / past action / action | {sizes['total_b']:.2f} B / {sizes['video_b']:.2f} B / {sizes['value_b']:.2f} B / {sizes['past_action_b']:.2f} B / {sizes['action_b']:.2f} B |
| weights in bf16 | {sizes['bf16_gb']:.1f} GB |
| training state (bf16 weights + fp32 master, grads, AdamW moments), before sharding | {sizes['train_state_gb']:.0f} GB |
| KV cache per history latent frame (bf16, 30 layers) | {sizes['kv_mb_per_frame']:.0f} MB |
| training compute per window (3 x forward, estimated, not measured) | {sizes['train_tflop']:.0f} TFLOP |

GPU figures (bf16 autocast, FlexAttention block mask, aim-5b step time and rollout latency): not
measured - no GPU was lent to this task; `--device cuda` runs the same benchmark there.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--preset", choices=("aim-tiny", "aim-5b"), default="aim-tiny",
                        help="aim-5b needs a large GPU (use --layers to fit one)")
    parser.add_argument("--layers", type=int, default=None, help="override the number of layers")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (1 is fastest for aim-tiny)")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--chunks", type=int, default=21)
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.set_num_threads(args.threads)
    layers = {} if args.layers is None else {"num_layers": args.layers}
    if args.preset == "aim-tiny":
        config, grid = aim_tiny_config(layout={"history_frames": 2, "future_frames": 2, "actions_per_frame": 4},
                                       **layers), TINY_GRID
    else:
        config, grid = aim_5b_config(**layers), CANVAS_5B_GRID
    train = bench_train_step(config, device, grid, batch=2, steps=args.steps)
    rollout = bench_rollout(config, device, grid, args.chunks)
    text = render(config, grid, train, rollout, meta_sizes(aim_5b_config()), args.device)
    print(text)
    if args.write_results:
        write_section(SECTION, text.split("\n", 1)[1])


if __name__ == "__main__":
    main()
