"""The intent-causal attention mask: one rule, densified for SDPA or turned into a FlexAttention block mask.

Every token carries a role and, for history tokens, a step in execution order (observation frame j has
step 2j, the actions executed between frames j and j+1 have step 2j+1). Visible sets per query role
(paper, section 4.3.3):

* future RGB    -> current obs, past obs, past actions, future RGB (+ language by cross-attention)
* future value  -> current obs, past obs, future RGB, future value
* future action -> current obs, past actions, future value, future action (never future RGB, never past obs)
* history (observations and executed actions) -> history tokens with step <= own step: causal over the
  history at (frame, action block) granularity and blind to every future token, so cached history keys
  never depend on what is being denoised.

``mode="unified"`` (used by the ``unified`` and ``no-value`` variants, see `AIMConfig.variant`) lets future
actions also read future RGB: with a value stream they see RGB *and* value map (the ablation of the
intent-causal routing alone); without one (``no-value``) they see RGB, as in a plain unified
world-action model.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import torch


class Role(IntEnum):
    OBS = 0
    PAST_ACTION = 1
    RGB = 2
    VALUE = 3
    ACTION = 4


FUTURE_STEP = 1 << 30  # step of future tokens: later than any history token


@dataclass
class TokenMeta:
    """Per-token role and history step (1-D long tensors of equal length)."""

    role: torch.Tensor
    step: torch.Tensor

    @classmethod
    def fill(cls, role: Role, n: int, step: int | torch.Tensor = FUTURE_STEP, device=None) -> "TokenMeta":
        steps = step if isinstance(step, torch.Tensor) else torch.full((n,), step, dtype=torch.long)
        return cls(torch.full((n,), int(role), dtype=torch.long, device=device), steps.to(device))

    @classmethod
    def cat(cls, metas: list["TokenMeta"]) -> "TokenMeta":
        return cls(torch.cat([m.role for m in metas]), torch.cat([m.step for m in metas]))

    def __len__(self) -> int:
        return self.role.numel()

    def to(self, device) -> "TokenMeta":
        return TokenMeta(self.role.to(device), self.step.to(device))


def current_obs_step(keys: TokenMeta) -> int:
    """Step of the current observation (the latest observation among the keys), -1 if there is none."""
    obs = keys.step[keys.role == Role.OBS]
    return int(obs.max()) if obs.numel() else -1


# Plain ints for the rule: IntEnum members are mis-traced inside FlexAttention's mask_mod.
_OBS, _PAST_ACTION, _RGB, _VALUE, _ACTION = (int(r) for r in Role)


def visible(q_role, q_step, k_role, k_step, current_step: int, mode: str):
    """Elementwise visibility rule (broadcasting tensors); the single definition of the AIM mask."""
    k_obs = k_role == _OBS
    k_past_act = k_role == _PAST_ACTION
    k_history = k_obs | k_past_act
    k_current = k_obs & (k_step == current_step)
    k_rgb, k_value, k_action = k_role == _RGB, k_role == _VALUE, k_role == _ACTION

    q_history = (q_role == _OBS) | (q_role == _PAST_ACTION)
    see_history = q_history & k_history & (k_step <= q_step)
    see_rgb = (q_role == _RGB) & (k_history | k_rgb)
    see_value = (q_role == _VALUE) & (k_obs | k_rgb | k_value)
    future_for_action = k_value if mode == "intent" else (k_value | k_rgb)
    see_action = (q_role == _ACTION) & (k_current | k_past_act | future_for_action | k_action)
    return see_history | see_rgb | see_value | see_action


def dense_mask(queries: TokenMeta, keys: TokenMeta, mode: str) -> torch.Tensor:
    """Boolean [Nq, Nk] mask (True = may attend) for SDPA; refuses layouts with a fully masked row."""
    mask = visible(queries.role[:, None], queries.step[:, None], keys.role[None, :], keys.step[None, :],
                   current_obs_step(keys), mode)
    empty = ~mask.any(dim=1)
    if empty.any():
        roles = sorted({Role(int(r)).name for r in queries.role[empty]})
        raise ValueError(f"attention layout leaves query rows of roles {roles} with no visible key")
    return mask


def flex_block_mask(queries: TokenMeta, keys: TokenMeta, mode: str, device):
    """FlexAttention ``BlockMask`` of the same rule (GPU path; FlexAttention backward does not run on CPU)."""
    from torch.nn.attention.flex_attention import create_block_mask

    dense_mask(queries, keys, mode)  # same validation as the SDPA path
    q_role, q_step = queries.role.to(device), queries.step.to(device)
    k_role, k_step = keys.role.to(device), keys.step.to(device)
    current = current_obs_step(keys)

    def mask_mod(b, h, q_idx, kv_idx):
        return visible(q_role[q_idx], q_step[q_idx], k_role[kv_idx], k_step[kv_idx], current, mode)

    return create_block_mask(mask_mod, B=None, H=None, Q_LEN=len(queries), KV_LEN=len(keys), device=device)
