"""Grasp probe: how close a policy's gripper comes to the object it must pick, beside its demonstration's.

    .venv/bin/python benchmarks/grasp_probe.py --bundle RUN/checkpoints/step-N --dataset DATA/dataset.zarr \
        --task place_shoe --actor shoe --seeds 0 1 2 [--steps 300] [--chunk-samples 4] [--traces DIR]

For each seed (training seeds: the store holds their demonstration) the policy plays the seed's easy scene closed
loop, and for it and the recorded demonstration, for each `--actor` (several for a task of stages, e.g.
stack_blocks_two's `block_bottom block_top`, all measured on one rollout): the closest approach of either arm's TCP to
the actor's origin, the step, the arm and the TCP-minus-actor offset there (world frame, metres; z is the height above
the actor's origin), and how far the actor rose and slid. Why: place_shoe fails closed loop while its
teacher-forced chunks track the demonstrations (RESULTS, "Pick-and-place: relative targets"); the videos show the arm
at the shoe and the shoe unmoved, and a closed-loop success rate of 0 cannot say by how much, or in which direction,
the grasp is missed. `--traces DIR` also writes each rollout's `EpisodeTrace` (aim_core.eval.trace: .npz and plot).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from aim_core.data.episodes import complete_episodes, open_dataset
from aim_core.eval.episode import run_episode
from aim_core.eval.evaluate import checkpoint_sim_config
from aim_core.eval.trace import EpisodeTrace
from aim_core.inference.policy import AIMPolicy, PolicyConfig
from pipeline.sim.task_env import TaskEnv

SETTING = "easy"


def closest_approach(tcp: np.ndarray, actor: np.ndarray) -> dict:
    """tcp [T, 2, 3] (both arms' TCP positions), actor [T, 3] (the actor's origin) -> where a TCP came closest,
    and how far the actor rose (z) and slid (xy) from its first position."""
    offsets = tcp - actor[:, None]
    distance = np.linalg.norm(offsets, axis=-1)
    step, arm = np.unravel_index(int(np.argmin(distance)), distance.shape)
    return {"distance": round(float(distance[step, arm]), 3), "step": int(step), "arm": ("left", "right")[arm],
            "offset": offsets[step, arm].round(3).tolist(), "rise": round(float(actor[:, 2].max() - actor[0, 2]), 3),
            "slide": round(float(np.linalg.norm(actor[-1, :2] - actor[0, :2])), 3)}


def tracked(actors: list[str], names: list[str], where: str) -> list[int]:
    """The indices of `actors` among `names`, the actors `where` tracks; a clear error for one it does not."""
    missing = [actor for actor in actors if actor not in names]
    if missing:
        raise ValueError(f"{missing[0]!r} is not a tracked actor of {where} (it tracks {names})")
    return [names.index(actor) for actor in actors]


@torch.no_grad()
def policy_grasp(bundle: Path, task: str, actors: list[str], seed: int, steps: int, chunk_samples: int = 1,
                 traces: Path | None = None) -> dict:
    """{actor: `closest_approach`} over one rollout of `steps` control steps of the bundle's policy on (task, easy,
    seed), and "success"; with `traces`, the rollout's trace saved there."""
    env = TaskEnv(checkpoint_sim_config(bundle))
    policy = AIMPolicy.from_pretrained(bundle, PolicyConfig(chunk_samples=chunk_samples))
    trace = EpisodeTrace(policy.name)
    try:
        env.reset(task, SETTING, seed)
        trace.begin(env)
        index = tracked(actors, trace.object_names, f"{task} (easy, seed {seed})")
        env.control_hooks.append(trace)
        result = run_episode(env, policy, steps)
        if traces is not None:
            trace.save(traces / f"{policy.name}-{task}-{SETTING}-{seed}")
        arrays = trace.arrays()
        return {**{actor: closest_approach(arrays["tcp"], arrays["objects"][:, k]) for actor, k in zip(actors, index)},
                "success": result.success}
    finally:
        env.close()


def demo_grasp(dataset: Path, task: str, actors: list[str], seed: int) -> dict | None:
    """{actor: `closest_approach`} of the recorded demonstration of (task, easy, seed), None if the store has none."""
    for episode in complete_episodes(open_dataset(str(dataset)), [task], [SETTING]):
        if episode.attrs.seed == seed:
            index = tracked(actors, list(episode.attrs.object_names), episode.episode_id)
            tcp, poses = episode.read("ee_pose")[:, :, :3], episode.read("object_poses")
            return {actor: closest_approach(tcp, poses[:, k, :3]) for actor, k in zip(actors, index)}
    return None


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bundle", type=Path, required=True)
    p.add_argument("--dataset", type=Path, required=True, help="the training store (the seeds' demonstrations)")
    p.add_argument("--task", default="place_shoe")
    p.add_argument("--actor", nargs="+", default=["shoe"],
                   help="the tracked actors the policy must grasp (several: each measured on the same rollout)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    p.add_argument("--steps", type=int, default=300, help="control steps per episode (the grasp comes early)")
    p.add_argument("--chunk-samples", type=int, default=4)
    p.add_argument("--traces", type=Path, help="also write each rollout's trace (.npz and plot) into this folder")
    args = p.parse_args()
    torch.set_num_threads(1)
    for seed in args.seeds:
        try:
            played = policy_grasp(args.bundle, args.task, args.actor, seed, args.steps, args.chunk_samples, args.traces)
            demo = demo_grasp(args.dataset, args.task, args.actor, seed)
        except ValueError as err:  # an actor the task does not track
            p.exit(2, f"grasp_probe: {err}\n")
        print(json.dumps({"seed": seed, "policy": played, "demo": demo}))


if __name__ == "__main__":
    main()
