"""Index arithmetic of training windows: which frames, value maps and actions one sample holds.

A *model step* is one latent frame. With the Wan VAE's causal 4x temporal compression a
video of 1 + 4n frames becomes 1 + n latent frames: latent 0 is frame 0 alone, latent j
(j >= 1) summarises frames 4j-3..4j, so it is represented by its last frame 4j. Frames may
first be subsampled (`frame_stride`). Hence model step j <-> recorded step j * F with
F = frame_stride * temporal_compression, and the F recorded actions (j-1)F .. jF-1 lead from
step j-1 to step j (`ChunkLayout.actions_per_frame` must equal F: action i of the block after
step j-1 lands at time j-1 + (i+1)/F). For a window anchored at the current step j with history
length h = min(j + 1, F_h): history steps j-h+1..j, the (h-1) action blocks between them, future
steps j+1..j+F_f with their RGB and value maps, and the F_f action blocks that lead to them
(a_t .. a_{t+F_f*F-1}). With frame_stride = temporal_compression = 1 this is the paper's window
{o_{t-k+1..t}, a_{t-k+1..t-1}} -> {x_{t+1..t+h}, m_{t+1..t+h}, a_{t..t+h-1}}.

Every step j from 0 is an anchor, so the first F_h - 1 anchors have a shorter history: a rollout
starts with one frame and its history grows to F_h, and training covers exactly those histories
(no padding, no action before the window's first frame: `AIMModel.embed_history` with
first_frame=0). Windows of different history lengths cannot share a batch; the sampler groups them.
"""
from __future__ import annotations

from dataclasses import dataclass

from aim_core.models.config import ChunkLayout


@dataclass(frozen=True)
class StepGrid:
    """How recorded steps map to model steps (latent frames)."""

    frame_stride: int = 1
    temporal_compression: int = 1

    def __post_init__(self) -> None:
        if self.frame_stride < 1 or self.temporal_compression < 1:
            raise ValueError(f"frame_stride and temporal_compression must be >= 1, got {self}")

    @property
    def frames_per_step(self) -> int:
        """Recorded steps (and actions) per model step: `ChunkLayout.actions_per_frame`."""
        return self.frame_stride * self.temporal_compression

    def num_steps(self, num_recorded: int) -> int:
        """Model steps of an episode of `num_recorded` steps (trailing partial steps dropped)."""
        return 1 + (num_recorded - 1) // self.frames_per_step

    def encoded_frames(self, num_steps: int) -> slice:
        """Recorded-step indices of the video the VAE encodes for `num_steps` latents (1 + c(n-1) frames)."""
        return slice(0, (num_steps - 1) * self.frames_per_step + 1, self.frame_stride)

    def step_frames(self, steps: slice) -> slice:
        """Recorded-step indices of the frames that represent model `steps` (one per step, its last)."""
        f = self.frames_per_step
        return slice(steps.start * f, (steps.stop - 1) * f + 1, f)

    def check_layout(self, layout: ChunkLayout) -> None:
        if layout.actions_per_frame != self.frames_per_step:
            raise ValueError(
                f"ChunkLayout.actions_per_frame={layout.actions_per_frame} but the data has "
                f"{self.frames_per_step} actions per latent frame (frame_stride {self.frame_stride} x temporal "
                f"compression {self.temporal_compression}); set actions_per_frame={self.frames_per_step} or "
                "rebuild the cache with another frame_stride.")


@dataclass(frozen=True)
class WindowIndex:
    """Slices of one window: model steps into per-step arrays, recorded rows into `action`."""

    anchor: int
    history: int
    obs_steps: slice
    future_steps: slice
    past_action_rows: slice
    future_action_rows: slice

    @property
    def all_steps(self) -> slice:
        """History and future steps together (they are contiguous)."""
        return slice(self.obs_steps.start, self.future_steps.stop)


def history_length(anchor: int, layout: ChunkLayout) -> int:
    """History frames of the window anchored at `anchor`: all steps so far, at most F_h."""
    return min(anchor + 1, layout.history_frames)


def window_anchors(num_steps: int, layout: ChunkLayout) -> range:
    """Current steps j with a full horizon inside an episode (the history may be shorter than F_h)."""
    return range(0, num_steps - layout.future_frames)


def window_index(anchor: int, layout: ChunkLayout, grid: StepGrid, history: int | None = None) -> WindowIndex:
    """The window anchored at `anchor`, with its full history (`history_length`) or a shorter one."""
    if anchor < 0:
        raise ValueError(f"anchor must be >= 0, got {anchor}")
    f = grid.frames_per_step
    longest = history_length(anchor, layout)
    history = longest if history is None else history
    if not 1 <= history <= longest:
        raise ValueError(f"history must be in 1..{longest} at anchor {anchor}, got {history}")
    first = anchor - history + 1
    return WindowIndex(
        anchor=anchor,
        history=history,
        obs_steps=slice(first, anchor + 1),
        future_steps=slice(anchor + 1, anchor + 1 + layout.future_frames),
        past_action_rows=slice(first * f, anchor * f),
        future_action_rows=slice(anchor * f, (anchor + layout.future_frames) * f),
    )
