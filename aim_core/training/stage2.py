"""Stage II: GRPO post-training of AIM's action head from a Stage I policy bundle.

One iteration: the current action head goes to the rollout source (`RolloutSource.collect`: the
simulator in `aim_core.eval.grpo_rollouts`, a stub in tests), which runs G stochastic episodes per
(task, seed) group and returns every executed chunk with its `ActionTrace`, its dense reward and
the episode's success. Rewards become group-normalised advantages; the clipped GRPO loss is
minimised for `updates_per_iteration` steps, each recomputing the chunks' log-probabilities with
`ChunkSampler.action_log_probs` (the very velocity function that sampled them: ratio exactly 1
before the first update). Only the action head trains (`freeze_world`).

Why the source is injected: training never imports the simulator (ARCHITECTURE rooms); the CLI
and the flow, which may import both, wire `SimRolloutSource` in.

Checkpoints are policy bundles written by Stage I's own writer (`save_checkpoint` with the Stage I
bundle's codec, schedule, spec and encoders), so `aim-eval` and the `evaluate` deployment take them
unchanged; optimizer state and the run's metrics sit beside (`train_state/`), and `resume=True`
continues from the newest. Rollout seeds depend only on (seed, iteration, group, member), so a
resumed run draws what an uninterrupted one would.
"""
from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from aim_core.inference.experience import EpisodeRollout, RolloutRequest
from aim_core.inference.bundle import ACTION_CODEC_DIR, TRANSFORMER_DIR, PolicySpec, check_bundle
from aim_core.inference.rollout import ChunkSampler, SamplingConfig
from aim_core.inference.sampler import FlowSDE, gaussian_log_prob
from aim_core.models.action_codec import ActionCodec
from aim_core.models.aim_model import AIMModel
from aim_core.models.config import AIMConfig
from aim_core.models.schedule import NoiseSchedule
from aim_core.training.checkpoint import BundleParts, latest_checkpoint, load_checkpoint, save_checkpoint
from aim_core.training.grpo import (GRPOHyper, action_head_state, chunk_rewards, freeze_world, gaussian_kl,
                                    group_advantages, grpo_loss, swapped_action_head)

METRICS_FILE = "stage2_metrics.jsonl"


class Stage2InputError(ValueError):
    """Stage II cannot run with these inputs (raised before any rollout)."""


class RolloutSource(Protocol):
    def validate(self, tasks: Sequence[str], settings: Sequence[str]) -> None:
        """Raise `Stage2InputError` for tasks/settings it cannot run."""

    def collect(self, head_state: dict[str, torch.Tensor], requests: Sequence[RolloutRequest]) -> list[EpisodeRollout]:
        """Run every request with these action-head weights."""


@dataclass
class Stage2Config:
    checkpoint: str
    """The Stage I policy bundle (mask="intent": it needs the value stream)."""
    out_dir: str
    tasks: list[str]
    settings: list[str] = field(default_factory=lambda: ["easy"])
    iterations: int = 20
    groups_per_iteration: int = 1
    seed: int = 0
    seed_start: int = 0
    """Training episodes use seeds seed_start + iteration * groups_per_iteration + k (evaluation: 100000+)."""
    sampling_steps: int | None = None
    """Denoising steps per chunk (None: the bundle's policy.json)."""
    noise_level: float = 0.7
    sde_steps: tuple[int, ...] = (0, 1)
    execute_frames: int | None = None
    grpo: GRPOHyper = field(default_factory=GRPOHyper)
    checkpoint_every: int = 5
    keep_checkpoints: int = 2
    max_minutes: float | None = None

    def __post_init__(self) -> None:
        self.sde_steps = tuple(self.sde_steps)
        if isinstance(self.grpo, dict):
            self.grpo = GRPOHyper(**self.grpo)

    @property
    def sde(self) -> FlowSDE:
        return FlowSDE(noise_level=self.noise_level, steps=self.sde_steps)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Stage2Result:
    checkpoint: Path
    iteration: int
    stopped: str
    metrics: list[dict[str, Any]]


def check_stage2_inputs(config: Stage2Config, source: RolloutSource | None = None) -> PolicySpec:
    """Every input error before a model is built or a rollout runs."""
    problems = []
    try:
        bundle = check_bundle(config.checkpoint)
    except ValueError as exc:
        raise Stage2InputError(str(exc)) from exc
    raw = json.loads((bundle / TRANSFORMER_DIR / "config.json").read_text())
    model_config = AIMConfig.from_dict({k: v for k, v in raw.items() if not k.startswith("_")})
    if not model_config.has_value_stream:
        problems.append(f"{config.checkpoint} has no value stream (variant {model_config.variant!r}, the no-value "
                        "ablation; legacy mask='unified'): Stage II's dense reward reads the frozen value head's "
                        "map; use an 'aim' checkpoint")
    if not config.tasks:
        problems.append("no tasks given")
    if config.iterations < 1 or config.groups_per_iteration < 1:
        problems.append("iterations and groups_per_iteration must be >= 1")
    spec = PolicySpec.load(bundle)
    steps = config.sampling_steps or spec.num_inference_steps
    try:
        config.sde.check(steps)
    except ValueError as exc:
        problems.append(str(exc))
    if problems:
        raise Stage2InputError("cannot start Stage II: " + "; ".join(problems))
    if source is not None:
        try:
            source.validate(config.tasks, config.settings)
        except (KeyError, ValueError) as exc:
            raise Stage2InputError(str(exc)) from exc
    return spec


def sampler_seed(seed: int, iteration: int, group: int, member: int) -> int:
    return int(np.random.SeedSequence([seed, iteration, group, member]).generate_state(1)[0])


def rollout_requests(config: Stage2Config, iteration: int) -> list[RolloutRequest]:
    """The G x groups episodes of `iteration`; groups cycle over tasks x settings."""
    pairs = [(t, s) for t in config.tasks for s in config.settings]
    out = []
    for k in range(config.groups_per_iteration):
        index = iteration * config.groups_per_iteration + k
        task, setting = pairs[index % len(pairs)]
        seed = config.seed_start + index
        out += [RolloutRequest(task, setting, seed, sampler_seed(config.seed, iteration, k, g), k)
                for g in range(config.grpo.group_size)]
    return out


class Stage2Trainer:
    """Loads the Stage I bundle, freezes the world, runs GRPO iterations against a rollout source."""

    def __init__(self, config: Stage2Config, source: RolloutSource, resume: bool = True,
                 on_iteration: Callable[[dict[str, Any]], None] | None = None):
        self.spec = check_stage2_inputs(config, source)
        self.config, self.source, self.on_iteration = config, source, on_iteration
        bundle = Path(config.checkpoint)
        self.bundle = bundle
        self.model = AIMModel.from_pretrained(bundle / TRANSFORMER_DIR).eval()
        self.codec = ActionCodec.from_pretrained(bundle / ACTION_CODEC_DIR)
        self.schedule = NoiseSchedule.load(bundle)
        self.reference = action_head_state(self.model)  # the Stage I head (KL anchor)
        self.head = freeze_world(self.model)
        steps = config.sampling_steps or self.spec.num_inference_steps
        self.sampler = ChunkSampler(self.model, self.schedule, SamplingConfig(num_steps=steps))
        self.optimizer = torch.optim.AdamW(self.head, lr=config.grpo.lr, weight_decay=0.0)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lambda _: 1.0)
        self.out_dir = Path(config.out_dir)
        self.start_iteration = 0
        self.metrics: list[dict[str, Any]] = []
        if resume and (found := latest_checkpoint(self.out_dir)) is not None:
            state = load_checkpoint(found, self.model, self.optimizer, self.scheduler)
            self.start_iteration = state.step
            self.metrics = [m for m in read_stage2_metrics(self.out_dir) if m["iteration"] <= state.step]
        self.out_dir.mkdir(parents=True, exist_ok=True)
        (self.out_dir / "stage2_config.json").write_text(json.dumps(config.to_dict(), indent=1))

    # -------------------------------------------------------------- one iteration
    def advantages(self, rollouts: Sequence[EpisodeRollout]) -> list[np.ndarray]:
        """Per-chunk advantages, normalised within each (iteration, group)."""
        hyper = self.config.grpo
        out: list[np.ndarray | None] = [None] * len(rollouts)
        for group in sorted({r.request.group for r in rollouts}):
            members = [i for i, r in enumerate(rollouts) if r.request.group == group]
            rewards = [chunk_rewards(rollouts[i].dense, rollouts[i].success, hyper.lambda_dense, hyper.lambda_sparse)
                       for i in members]
            for i, adv in zip(members, group_advantages(rewards, hyper.adv_eps)):
                out[i] = adv
        return out  # type: ignore[return-value]

    def update(self, rollouts: Sequence[EpisodeRollout]) -> dict[str, float]:
        """`updates_per_iteration` clipped-GRPO steps on the chunks of `rollouts`."""
        hyper = self.config.grpo
        advantages = self.advantages(rollouts)
        chunks = [(c, float(a)) for r, adv in zip(rollouts, advantages) for c, a in zip(r.chunks, adv)]
        chunks = [(c, a) for c, a in chunks if a != 0.0 or hyper.kl_coef > 0]
        stats: dict[str, float] = {"chunks": float(len(chunks))}
        if not chunks:
            return stats | {"ratio_max_dev_first": 0.0, "loss": 0.0}
        reference_means = self._reference_means(chunks) if hyper.kl_coef > 0 else None
        for epoch in range(hyper.updates_per_iteration):
            self.optimizer.zero_grad(set_to_none=True)
            total, dev, clip, kl = 0.0, 0.0, 0.0, 0.0
            for index, (chunk, adv) in enumerate(chunks):
                transitions = self.sampler.action_transitions(chunk.text, chunk.obs_latents, chunk.past_actions,
                                                              chunk.trace)
                log_probs = torch.stack([gaussian_log_prob(s.next_actions, m, std)
                                         for s, (m, std) in zip(chunk.trace.steps, transitions)], dim=1)
                kl_term = None
                if reference_means is not None:
                    kl_term = torch.stack([gaussian_kl(m, ref, std) for (m, std), ref
                                           in zip(transitions, reference_means[index])], dim=1)
                terms = grpo_loss(log_probs, chunk.trace.log_probs, torch.tensor([adv]), hyper.clip_eps,
                                  kl_term, hyper.kl_coef)
                (terms.loss / len(chunks)).backward()
                total += float(terms.loss.detach()) / len(chunks)
                dev, clip, kl = max(dev, terms.ratio_max_dev), clip + terms.clip_fraction / len(chunks), \
                    kl + terms.kl / len(chunks)
            grad_norm = torch.nn.utils.clip_grad_norm_(self.head, hyper.grad_clip)
            self.optimizer.step()
            self.scheduler.step()
            if epoch == 0:
                stats |= {"loss": total, "ratio_max_dev_first": dev, "grad_norm": float(grad_norm)}
            stats |= {"ratio_max_dev_last": dev, "clip_fraction": clip, "kl": kl}
        self.optimizer.zero_grad(set_to_none=True)
        return stats

    @torch.no_grad()
    def _reference_means(self, chunks) -> list[list[torch.Tensor]]:
        with swapped_action_head(self.model, self.reference):
            return [[m.detach() for m, _ in self.sampler.action_transitions(c.text, c.obs_latents, c.past_actions,
                                                                            c.trace)] for c, _ in chunks]

    # -------------------------------------------------------------- the run
    def _checkpoint(self, iteration: int) -> Path:
        parts = BundleParts(codec=self.codec, schedule=self.schedule, spec=self.spec, encoders_source=self.bundle)
        return save_checkpoint(self.out_dir, iteration, self.model, self.optimizer, self.scheduler,
                               config=self.config.to_dict() | {"stage": 2}, bundle=parts,
                               metrics=self.metrics[-1] if self.metrics else {},
                               data={"stage1_checkpoint": str(self.bundle)}, keep=self.config.keep_checkpoints)

    def run(self) -> Stage2Result:
        cfg = self.config
        iteration = self.start_iteration
        if iteration >= cfg.iterations:
            return Stage2Result(latest_checkpoint(self.out_dir), iteration, "completed", self.metrics)
        started, stopped = time.perf_counter(), "completed"
        while iteration < cfg.iterations:
            t0 = time.perf_counter()
            rollouts = self.source.collect(action_head_state(self.model), rollout_requests(cfg, iteration))
            t1 = time.perf_counter()
            stats = self.update(rollouts)
            iteration += 1
            dense = [d for r in rollouts for d in r.dense]
            row = {"iteration": iteration, "success": float(np.mean([r.success for r in rollouts])),
                   "dense_mean": float(np.mean(dense)) if dense else 0.0,
                   "reward_mean": float(np.mean([np.mean(chunk_rewards(r.dense, r.success, cfg.grpo.lambda_dense,
                                                                       cfg.grpo.lambda_sparse)) if r.dense else 0.0
                                                 for r in rollouts])),
                   "episode_steps": float(np.mean([r.steps for r in rollouts])),
                   "rollout_s": round(t1 - t0, 2), "update_s": round(time.perf_counter() - t1, 2), **stats}
            self.metrics.append(row)
            with open(self.out_dir / METRICS_FILE, "a") as fh:
                fh.write(json.dumps(row) + "\n")
            if self.on_iteration is not None:
                self.on_iteration(row)
            over = cfg.max_minutes is not None and time.perf_counter() - started > 60 * cfg.max_minutes
            if over:
                stopped = "time_budget"
                break
            if iteration % cfg.checkpoint_every == 0 and iteration < cfg.iterations:
                self._checkpoint(iteration)
        final = self._checkpoint(iteration)
        return Stage2Result(final, iteration, stopped, self.metrics)


def read_stage2_metrics(out_dir: str | Path) -> list[dict[str, Any]]:
    """Rows of `stage2_metrics.jsonl`; a resumed run's repeated iterations keep their latest row."""
    path = Path(out_dir) / METRICS_FILE
    if not path.is_file():
        return []
    rows: dict[int, dict] = {}
    for line in path.read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            rows[row["iteration"]] = row
    return [rows[k] for k in sorted(rows)]


def train_stage2(config: Stage2Config, source: RolloutSource, resume: bool = True,
                 on_iteration: Callable[[dict[str, Any]], None] | None = None) -> Stage2Result:
    """Run (or continue) Stage II GRPO on `config` with episodes from `source`."""
    return Stage2Trainer(config, source, resume, on_iteration).run()


def curve_png(rows: Sequence[dict[str, Any]], keys: Sequence[str] = ("dense_mean", "success", "reward_mean"),
              title: str = "Stage II") -> bytes:
    """Reward and success per iteration as PNG bytes (flows publish it; the benchmark saves it)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3), dpi=90)
    its = [r["iteration"] for r in rows]
    for key in keys:
        ax.plot(its, [r.get(key, math.nan) for r in rows], marker=".", label=key)
    ax.set_xlabel("GRPO iteration")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()
