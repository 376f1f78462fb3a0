"""Episode traces: what the policy commanded and what the robot and the task's objects did, per control step.

Why: a success rate of 0 says nothing about where an episode went wrong. Every closed-loop failure this project
diagnosed (a hover above the bell, a gripper closing 2 cm above the cube, a cube released in the air; RESULTS,
Learning) took a throwaway script logging the same few signals. `EpisodeTrace` records them in every evaluation,
for the episodes that get a video, through `TaskEnv.control_hooks`, so it sees every row alike (AIM, the reference
rows, a RoboTwin policy folder) without the policy's cooperation:

    commanded [T, 2, 3]   where each step's action sends each gripper (TCP, world; `TaskEnv.tcp_targets`)
    command   [T, 2]      each gripper's command (1 open, 0 closed)
    tcp       [T, 2, 3]   each gripper's measured TCP position after the step
    opening   [T, 2]      each gripper's measured opening after the step
    objects   [T, K, 3]   the task's tracked objects' positions after the step (`objects_start` [K, 3]: at the reset)
    conditions [T, C]     the task's named sub-conditions after the step (`TaskEnv.evaluate`, "success" latched)
    ik_failures [T]       TCP-space actions so far whose pose had no inverse-kinematics solution

`save(path)` writes them as `<path>.npz` (with the names, the action space and the episode) and a labelled plot
`<path>.png`: heights of both TCPs (measured and commanded) and of the objects, the grippers, each TCP's horizontal
distance to each object, and the sub-conditions over time.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from data_schemas import ACTION_LAYOUT, ARMS, TCP_LAYOUT  # noqa: E402
from data_schemas.observation import Observation  # noqa: E402
from pipeline.sim.task_env import TaskEnv  # noqa: E402

ARM_COLOURS = {"left": "tab:blue", "right": "tab:red"}
OBJECT_LINES = ("-", ":", "-.", "--")
"""Line style of the k-th tracked object (mod 4), the same in the height and the distance panels."""


class EpisodeTrace:
    """A `TaskEnv` control hook recording one episode of `policy` (see the module docstring); `begin(env)` after the
    reset."""

    def __init__(self, policy: str) -> None:
        self.policy = policy
        self.episode: tuple[str, str, int] | None = None
        self.object_names: list[str] = []
        self.condition_names: list[str] = []
        self.action_space = "joints"
        self.objects_start = np.zeros((0, 3))
        self.rows: dict[str, list[np.ndarray]] = {key: [] for key in (
            "commanded", "command", "tcp", "opening", "objects", "conditions", "ik_failures")}

    def begin(self, env: TaskEnv) -> None:
        """Start from `env`'s freshly reset episode (its objects' start positions)."""
        self.episode = env.episode
        start = env.object_positions()
        self.object_names = list(start)
        self.objects_start = np.stack([start[name] for name in self.object_names])
        self.condition_names = list(env.evaluate())
        for rows in self.rows.values():
            rows.clear()

    def __call__(self, env: TaskEnv, action: np.ndarray, action_space: str, obs: Observation) -> None:
        if self.episode != env.episode:
            raise RuntimeError(f"this trace began on {self.episode}, the env plays {env.episode}: call begin(env) "
                               "after the reset")
        action = np.asarray(action, dtype=np.float64)
        layout = TCP_LAYOUT if action_space == "tcp" else ACTION_LAYOUT
        positions = env.object_positions()
        conditions = env.evaluate()
        self.action_space = action_space
        self.rows["commanded"].append(env.tcp_targets(action, action_space))
        self.rows["command"].append(np.array([action[layout[f"{arm}_gripper"]][0] for arm in ARMS]))
        self.rows["tcp"].append(np.asarray(obs.ee_pose, dtype=np.float64)[:, :3])
        self.rows["opening"].append(np.array([obs.qpos[ACTION_LAYOUT[f"{arm}_gripper"]][0] for arm in ARMS]))
        self.rows["objects"].append(np.stack([positions[name] for name in self.object_names]))
        self.rows["conditions"].append(np.array([bool(conditions[name]) for name in self.condition_names]))
        self.rows["ik_failures"].append(np.array(env.ik_failures))

    @property
    def steps(self) -> int:
        return len(self.rows["tcp"])

    def arrays(self) -> dict[str, np.ndarray]:
        """The recorded signals (module docstring), one row per control step."""
        if not self.steps:
            raise ValueError("no control step recorded in this trace")
        return {key: np.stack(rows) for key, rows in self.rows.items()}

    def save(self, path: str | Path) -> tuple[Path, Path]:
        """Write `<path>.npz` and the plot `<path>.png`; returns both paths."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = self.arrays()
        task, setting, seed = self.episode
        data, image = path.with_suffix(".npz"), path.with_suffix(".png")
        np.savez_compressed(data, **arrays, objects_start=self.objects_start, object_names=np.array(self.object_names),
                            condition_names=np.array(self.condition_names), arms=np.array(ARMS),
                            action_space=np.array(self.action_space), policy=np.array(self.policy),
                            task=np.array(task), setting=np.array(setting), seed=np.array(seed))
        self.plot(arrays, f"{self.policy} on {task}/{setting}, seed {seed}").savefig(image, dpi=100)
        plt.close("all")
        return data, image

    def plot(self, arrays: dict[str, np.ndarray], title: str) -> plt.Figure:
        """Heights, grippers, TCP-to-object distances and sub-conditions over the control steps."""
        steps = np.arange(1, self.steps + 1)
        fig, axes = plt.subplots(4, 1, figsize=(11, 11), sharex=True,
                                 gridspec_kw={"height_ratios": [3, 1.5, 2, 0.4 + 0.3 * len(self.condition_names)]})
        height, grip, reach, cond = axes
        for i, arm in enumerate(ARMS):
            colour = ARM_COLOURS[arm]
            height.plot(steps, arrays["tcp"][:, i, 2], color=colour, label=f"{arm} TCP (measured)")
            height.plot(steps, arrays["commanded"][:, i, 2], color=colour, ls="--", lw=1,
                        label=f"{arm} TCP (commanded)")
            grip.plot(steps, arrays["opening"][:, i], color=colour, label=f"{arm} opening (measured)")
            grip.plot(steps, arrays["command"][:, i], color=colour, ls="--", lw=1, label=f"{arm} command")
            for k, name in enumerate(self.object_names):
                distance = np.linalg.norm(arrays["tcp"][:, i, :2] - arrays["objects"][:, k, :2], axis=-1)
                reach.plot(steps, distance * 100, color=colour, ls=OBJECT_LINES[k % len(OBJECT_LINES)],
                           label=f"{arm} TCP to {name}")
        for k, name in enumerate(self.object_names):
            height.plot(steps, arrays["objects"][:, k, 2], color="0.3", ls=OBJECT_LINES[k % len(OBJECT_LINES)],
                        label=f"{name} (origin)")
        height.set_ylabel("height z (m)")
        grip.set_ylabel("gripper (1 open)")
        reach.set_ylabel("horizontal distance (cm)")
        for ax in (height, grip, reach):
            ax.grid(alpha=0.3)
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
        cond.imshow(arrays["conditions"].T.astype(float), aspect="auto", cmap="Greens", vmin=0, vmax=1,
                    interpolation="nearest", extent=(0.5, self.steps + 0.5, len(self.condition_names) - 0.5, -0.5))
        cond.set_yticks(range(len(self.condition_names)), self.condition_names, fontsize=8)
        cond.set_xlabel("control step")
        cond.set_title("task sub-conditions (green: true)", fontsize=9)
        failures = int(arrays["ik_failures"][-1])
        success = bool(arrays["conditions"][-1, self.condition_names.index("success")])  # TaskEnv.evaluate's latch
        fig.suptitle(f"{title}: success {success}, {self.steps} steps, actions in {self.action_space} space"
                     + (f", {failures} unreachable TCP poses" if failures else ""))
        fig.tight_layout()
        return fig
