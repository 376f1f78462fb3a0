"""make_asset / list_asset_kinds: the agreed registry contract, determinism, clear errors."""

import numpy as np
import pytest

from pipeline.assets import DISTRACTOR_KINDS, list_asset_kinds, make_asset

TASK_KINDS = {"block", "shoe", "shoe_mat", "target_pad", "cup", "coaster", "bell", "hammer", "pot", "laptop"}


def _fingerprint(asset):
    meshes = [part.mesh for part in asset.visuals] + list(asset.collisions)
    return ([m.vertices.copy() for m in meshes], [g.copy() for g in asset.grasps],
            {k: v.copy() for k, v in asset.functional_points.items()}, [p.color for p in asset.visuals], asset.mass)


def _same(a, b) -> bool:
    va, ga, fa, ca, ma = a
    vb, gb, fb, cb, mb = b
    return (len(va) == len(vb) and all(np.array_equal(x, y) for x, y in zip(va, vb))
            and len(ga) == len(gb) and all(np.array_equal(x, y) for x, y in zip(ga, gb))
            and fa.keys() == fb.keys() and all(np.array_equal(fa[k], fb[k]) for k in fa)
            and ca == cb and ma == mb)


def test_task_kinds_and_distractors_are_registered():
    kinds = set(list_asset_kinds())
    assert TASK_KINDS <= kinds, TASK_KINDS - kinds
    assert len(set(DISTRACTOR_KINDS) - TASK_KINDS) >= 4 and set(DISTRACTOR_KINDS) <= kinds
    for kind in DISTRACTOR_KINDS:  # clutter a hand could pick up
        assert make_asset(kind, np.random.default_rng(0)).grasps, kind


@pytest.mark.parametrize("kind", list_asset_kinds())
def test_same_seed_same_asset_other_seed_differs(kind):
    first = make_asset(kind, np.random.default_rng(7))
    again = make_asset(kind, np.random.default_rng(7))
    other = make_asset(kind, np.random.default_rng(8))
    assert first.kind == kind
    assert _same(_fingerprint(first), _fingerprint(again))
    assert not _same(_fingerprint(first), _fingerprint(other))


def test_unknown_kind_lists_known_kinds():
    with pytest.raises(KeyError) as error:
        make_asset("teapot", np.random.default_rng(0))
    assert "teapot" in str(error.value) and "block" in str(error.value) and "shoe" in str(error.value)


def test_rejects_non_generator_rng():
    with pytest.raises(TypeError, match="default_rng"):
        make_asset("block", 0)


def test_unknown_parameter_names_the_accepted_ones():
    with pytest.raises(TypeError, match="accepted.*size"):
        make_asset("block", np.random.default_rng(0), edge=0.04)


def test_fixed_parameter_is_checked_and_applied():
    block = make_asset("block", np.random.default_rng(0), size=0.045)
    assert np.allclose(block.bounds[1] - block.bounds[0], 0.045)
    with pytest.raises(ValueError, match="size"):
        make_asset("block", np.random.default_rng(0), size=0.5)
    with pytest.raises(ValueError, match="color"):
        make_asset("block", np.random.default_rng(0), color=(2.0, 0.0, 0.0))


def test_fixing_one_parameter_keeps_the_others_random_stream():
    free = make_asset("shoe", np.random.default_rng(3))
    fixed_length = make_asset("shoe", np.random.default_rng(3), length=0.11)
    assert free.visuals[1].color == fixed_length.visuals[1].color
    free_width = free.bounds[1][1] - free.bounds[0][1]
    fixed_width = fixed_length.bounds[1][1] - fixed_length.bounds[0][1]
    assert np.isclose(free_width, fixed_width)
