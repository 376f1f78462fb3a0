"""StepBatchSampler: one history length per batch, full batches, reproducible per (seed, step, rank)."""
import pytest

from aim_core.training.sampling import StepBatchSampler

# window indices by history length, as a dataset of 7 episodes with F_h = 3 lists them
GROUPS = [[0, 10, 20, 30, 40, 50, 60], [1, 11, 21, 31, 41, 51, 61],
          [2, 3, 4, 5, 6, 12, 13, 14, 22, 23, 24, 25, 32, 33, 42, 43, 44, 52, 62, 63]]
GROUP_OF = {i: g for g, members in enumerate(GROUPS) for i in members}


def test_every_batch_is_full_and_holds_one_history_length():
    sampler = StepBatchSampler(GROUPS, batch_size=3, seed=0)
    per_epoch = 3 + 3 + 7  # ceil(7/3) + ceil(7/3) + ceil(20/3)
    assert sampler.batches_per_epoch == per_epoch
    for epoch in range(3):
        batches = [sampler.indices(step) for step in range(epoch * per_epoch, (epoch + 1) * per_epoch)]
        assert all(len(b) == 3 and len({GROUP_OF[i] for i in b}) == 1 for b in batches)
        seen = [i for b in batches for i in b]
        assert set(seen) == set(GROUP_OF)  # every window once per epoch, a few twice to fill the last batches
        assert len(seen) - len(set(seen)) == 2 + 2 + 1
    orders = [[sampler.indices(s) for s in range(e * per_epoch, (e + 1) * per_epoch)] for e in (0, 1)]
    assert orders[0] != orders[1]  # a fresh shuffle each epoch


def test_indices_depend_only_on_seed_step_and_rank():
    forward = StepBatchSampler(GROUPS, batch_size=2, seed=7)
    steps = list(range(40))
    expected = [forward.indices(s) for s in steps]
    resumed = StepBatchSampler(GROUPS, batch_size=2, seed=7)  # a resumed run starts mid-way, in any order
    assert [resumed.indices(s) for s in reversed(steps)] == expected[::-1]
    assert [StepBatchSampler(GROUPS, batch_size=2, seed=8).indices(s) for s in steps] != expected


def test_ranks_split_each_global_batch_without_overlap():
    ranks = [StepBatchSampler(GROUPS, batch_size=2, seed=1, rank=r, world_size=3) for r in range(3)]
    for step in range(30):
        shares = [r.indices(step) for r in ranks]
        together = [i for share in shares for i in share]
        assert len({GROUP_OF[i] for i in together}) == 1
        if GROUP_OF[together[0]] == 2:  # a group with more windows than a global batch repeats none in it
            assert len(set(together)) == 6


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="no windows"):
        StepBatchSampler([[], []], batch_size=2, seed=0)
    with pytest.raises(ValueError, match="rank"):
        StepBatchSampler(GROUPS, batch_size=2, seed=0, rank=2, world_size=2)
