"""GPU figures of AIM in one run (called by benchmarks/gpu_check.sh): aim-5b train step, aim-5b chunk latency,
aim-small train step.

1. aim-5b with random weights, bf16 weights/optimizer states (fp32 would not fit one GPU), bf16 autocast, AdamW,
   activation checkpointing, FlexAttention: training step
   time, peak memory and MFU on a realistic window (480x640 canvases -> 30x40 latents, F_h = F_f = 4, apf 4).
   MFU = (6 x parameters x tokens + attention FLOPs) / step time / peak bf16 FLOP/s (--peak-tflops; H100/H200
   SXM dense bf16: 989).
2. KV-cached chunk latency of aim-5b in bf16 at the same canvases (10 Euler steps, full history window).
3. aim-small's training step on random data as the trainer runs it, per attention backend (SDPA / FlexAttention)
   and with / without bf16 autocast: set beside the learning run's step time it separates model from data cost.
4. aim-small's fp32 SDPA step at batches 4, 16, 64, 256: how far a GPU step stays launch-bound.

`--smoke` runs the same code on CPU with aim-tiny at toy shapes (what CI / a CPU machine can check).
Each section writes its figures as soon as it has them; a failing section records its error and the
next one still runs.

    python benchmarks/gpu_check.py --out gpu_check.json [--smoke] [--sections small_train_step ...]
"""
from __future__ import annotations

import argparse
import json
import time
import traceback
from pathlib import Path

import torch

from aim_core.inference.rollout import ChunkSampler, SamplingConfig
from aim_core.models.aim_model import AIMModel
from aim_core.models.batch import AIMBatch
from aim_core.models.config import AIMConfig, aim_5b_config, aim_small_config, aim_tiny_config
from aim_core.models.schedule import AIM_5B_SCHEDULE
from aim_core.training.flow_matching import FlowMatchingConfig, flow_matching_loss

GRID_5B = (30, 40)     # 480x640 canvas (three 240x320 views), 16x VAE
GRID_SMALL = (12, 16)  # aim-small's 192x256 canvas (96x128 views)
TEXT_TOKENS = 64


def batch_of(config: AIMConfig, batch: int, grid: tuple[int, int], device) -> AIMBatch:
    lay, c = config.layout, config.latent_channels
    r = lambda *s: torch.randn(*s, device=device)  # noqa: E731
    return AIMBatch(r(batch, c, lay.history_frames, *grid), r(batch, lay.past_actions, config.action_dim),
                    r(batch, c, lay.future_frames, *grid), r(batch, c, lay.future_frames, *grid),
                    r(batch, lay.future_actions, config.action_dim), r(batch, TEXT_TOKENS, config.text_dim))


def token_count(config: AIMConfig, grid: tuple[int, int]) -> tuple[int, int]:
    """(video/value tokens, action tokens) of one window."""
    lay = config.layout
    per_frame = (grid[0] // config.patch_size[1]) * (grid[1] // config.patch_size[2])
    latent = per_frame * (lay.history_frames + 2 * lay.future_frames) + config.value_noise_tokens
    return latent, lay.past_actions + lay.future_actions


def flops_per_step(model: AIMModel, grid: tuple[int, int], batch: int) -> float:
    """6 N T (dense) + attention (QK^T and AV, forward x3 for backward, every layer, full square bound)."""
    c = model.config
    latent, actions = token_count(c, grid)
    params = {s: sum(p.numel() for p in model.stream_parameters(s)) for s in ("video", "value", "past_action", "action")}
    dense = 6 * (params["video"] + params["value"]) / 2 * latent + 6 * (params["past_action"] + params["action"]) / 2 * actions
    # each latent token uses one of the two latent streams' weights (rgb/obs -> video, value -> value): halve the sum
    tokens = latent + actions
    attention = 3 * 4 * c.num_layers * tokens * tokens * c.width
    return batch * (dense + attention)


def sync(device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def train_step_section(config: AIMConfig, grid, batch: int, steps: int, device, peak_tflops: float,
                       bf16_weights: bool = True, autocast: bool = True, checkpointing: bool = True,
                       backend: str = "auto") -> dict:
    torch.manual_seed(0)
    with torch.device(device):  # initialise on the device: billions of parameters are slow to build on the host
        model = AIMModel(config)
    if device.type == "cuda" and bf16_weights:
        # aim-5b is 9.7 B parameters with the action streams: fp32 weights + AdamW states (16 B/param, 155 GB) do
        # not fit one 141 GB GPU. Here weights, grads and states are bf16 (8 B/param, ~78 GB): the step time and
        # activation memory of one GPU; real runs shard fp32 masters with FSDP2 over several GPUs.
        model = model.to(torch.bfloat16)
    model.gradient_checkpointing = checkpointing
    model.attention_backend = backend
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5, betas=(0.9, 0.95), foreach=device.type == "cuda")
    data = batch_of(config, batch, grid, device)
    times = []
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    for i in range(steps):
        sync(device)
        start = time.perf_counter()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast and device.type == "cuda"):
            loss, _ = flow_matching_loss(model, data, FlowMatchingConfig(), AIM_5B_SCHEDULE)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        sync(device)
        times.append(time.perf_counter() - start)
    measured = times[2:] or times
    step_s = sum(measured) / len(measured)
    flops = flops_per_step(model, grid, batch)
    latent, actions = token_count(config, grid)
    out = {"parameters": sum(p.numel() for p in model.parameters()), "batch": batch, "grid": list(grid),
           "tokens_per_window": latent + actions, "step_s": round(step_s, 4), "first_step_s": round(times[0], 2),
           "tflop_per_step": round(flops / 1e12, 2), "achieved_tflops": round(flops / step_s / 1e12, 1),
           "mfu": round(flops / step_s / (peak_tflops * 1e12), 4), "loss": float(loss.detach())}
    if device.type == "cuda":
        out["peak_memory_gib"] = round(torch.cuda.max_memory_allocated() / 2 ** 30, 2)
    del model, optimizer
    if device.type == "cuda":
        torch.cuda.empty_cache()
    return out


def small_step_section(device, peak_tflops: float, steps: int) -> dict:
    """aim-small as the trainer runs it (fp32 weights, no activation checkpointing, batch 4, 12x16 latents) under
    each attention backend, with and without bf16 autocast: is a GPU step bound by the model or by launches?"""
    config, out = aim_small_config(), {}
    for backend in ("sdpa", "flex") if device.type == "cuda" else ("sdpa",):  # no FlexAttention backward on CPU
        for autocast in (True, False):
            figures = train_step_section(config, GRID_SMALL, 4, steps, device, peak_tflops, bf16_weights=False,
                                         autocast=autocast, checkpointing=False, backend=backend)
            out[f"{backend}_{'bf16' if autocast else 'fp32'}"] = {k: figures[k] for k in ("step_s", "first_step_s")}
    out.update(parameters=figures["parameters"], tokens_per_window=figures["tokens_per_window"], batch=4)
    return out


def small_batch_section(device, peak_tflops: float, steps: int, batches: tuple[int, ...]) -> dict:
    """aim-small's step (fp32, SDPA, as the trainer runs it) by batch size: up to which batch does a GPU step cost
    what batch 4's does (launch-bound), i.e. how many more windows a step could learn from for free?"""
    out = {}
    for batch in batches:
        figures = train_step_section(aim_small_config(), GRID_SMALL, batch, steps, device, peak_tflops,
                                     bf16_weights=False, autocast=False, checkpointing=False, backend="sdpa")
        out[f"batch_{batch}"] = {k: figures.get(k) for k in ("step_s", "achieved_tflops", "peak_memory_gib")}
    return out


@torch.no_grad()
def chunk_latency_section(config: AIMConfig, grid, device, repeats: int, num_steps: int) -> dict:
    torch.manual_seed(0)
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    with torch.device(device):
        model = AIMModel(config).to(dtype).eval()
    model.attention_backend = "auto"
    data = batch_of(config, 1, grid, device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()  # this section's peak, not the training section's
    out = {}
    for use_cache in (True, False):
        sampler = ChunkSampler(model, AIM_5B_SCHEDULE, SamplingConfig(num_steps=num_steps, use_cache=use_cache,
                                                                      precision="bf16" if device.type == "cuda" else "fp32"))
        times = []
        for _ in range(repeats):
            sync(device)
            start = time.perf_counter()
            sampler.sample(data.text_embeds.to(dtype), data.obs_latents.to(dtype), data.past_actions.to(dtype))
            sync(device)
            times.append(time.perf_counter() - start)
        key = "kv_cached" if use_cache else "full_recompute"
        out[f"{key}_chunk_s"] = round(min(times[1:] or times), 4)
    out.update(num_steps=num_steps, grid=list(grid), actions_per_chunk=config.layout.future_actions)
    if device.type == "cuda":
        out["peak_memory_gib"] = round(torch.cuda.max_memory_allocated() / 2 ** 30, 2)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--smoke", action="store_true", help="CPU, aim-tiny, toy shapes: checks the code paths")
    p.add_argument("--peak-tflops", type=float, default=989.0)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--steps", type=int, default=6)
    p.add_argument("--sections", nargs="+", help="run only these sections (default: all)")
    args = p.parse_args()
    device = torch.device("cpu" if args.smoke or not torch.cuda.is_available() else "cuda")
    config = aim_tiny_config(layout=aim_5b_config().layout) if args.smoke else aim_5b_config()
    grid = (4, 6) if args.smoke else GRID_5B
    figures: dict = {"device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu",
                     "model": "aim-tiny (smoke)" if args.smoke else "aim-5b", "torch": torch.__version__}
    sections = {"train_step": lambda: train_step_section(config, grid, args.batch, 3 if args.smoke else args.steps,
                                                         device, args.peak_tflops),
                "chunk_latency": lambda: chunk_latency_section(config, grid, device, 2 if args.smoke else 4, 10),
                "small_train_step": lambda: small_step_section(device, args.peak_tflops, 3 if args.smoke else 25),
                "small_batch_sweep": lambda: small_batch_section(device, args.peak_tflops, 3 if args.smoke else 15,
                                                                 (1, 2) if args.smoke else (4, 16, 64, 256))}
    unknown = set(args.sections or ()) - set(sections)
    if unknown:
        p.error(f"unknown sections {sorted(unknown)}: choose from {sorted(sections)}")
    for name, run in sections.items():
        if args.sections and name not in args.sections:
            continue
        start = time.perf_counter()
        try:
            figures[name] = run()
        except Exception as exc:  # record and go on: one OOM must not hide the other figures
            figures[name] = {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()[-2000:]}
        figures[name]["section_s"] = round(time.perf_counter() - start, 1)
        args.out.write_text(json.dumps(figures, indent=1))
        print(name, json.dumps({k: v for k, v in figures[name].items() if k != "trace"}), flush=True)


if __name__ == "__main__":
    main()
