"""benchmarks/grasp_probe.py: the closest approach of a gripper to the object, for a tiny bundle in the simulator
and for the recorded demonstration."""
import math
import sys

import numpy as np
import pytest

sys.path.insert(0, "benchmarks")
from grasp_probe import closest_approach, demo_grasp, policy_grasp  # noqa: E402

from aim_core.training.trainer import train_stage1  # noqa: E402


def test_closest_approach_names_the_arm_the_step_and_the_offset():
    actor = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.1, 0.0, 0.05], [0.2, 0.0, 0.0]])
    tcp = np.zeros((4, 2, 3)) + 1.0
    tcp[1, 1] = [0.03, -0.02, 0.06]          # the right arm comes closest at step 1
    tcp[2, 0] = [0.1, 0.2, 0.05]
    out = closest_approach(tcp, actor)
    assert (out["step"], out["arm"], out["offset"]) == (1, "right", [0.03, -0.02, 0.06])
    assert math.isclose(out["distance"], round(float(np.linalg.norm([0.03, -0.02, 0.06])), 3))
    assert (out["rise"], out["slide"]) == (0.05, 0.2)


def test_policy_and_demonstration_are_measured_on_the_same_scene(tiny_config, tiny_dataset, tmp_path):
    bundle = train_stage1(tiny_config(steps=1, checkpoint_every=1)).checkpoint
    played = policy_grasp(bundle, "place_shoe", ["shoe", "shoe_mat"], seed=0, steps=3, traces=tmp_path)
    assert set(played) == {"shoe", "shoe_mat", "success"} and not played["success"]
    shoe, mat = played["shoe"], played["shoe_mat"]
    assert 0 <= shoe["step"] < 3 and shoe["arm"] in ("left", "right")
    assert 0 < shoe["distance"] < 1.0 and shoe["rise"] >= 0          # a TCP over the table, the shoe on it
    assert mat["distance"] != shoe["distance"]                        # one rollout, each actor its own approach
    saved = np.load(tmp_path / "aim-place_shoe-easy-0.npz")             # its trace, the figures' source
    assert saved["tcp"].shape == (3, 2, 3) and (tmp_path / "aim-place_shoe-easy-0.png").stat().st_size > 0
    k = list(saved["object_names"]).index("shoe")
    assert math.isclose(shoe["distance"], round(float(np.linalg.norm(saved["tcp"] - saved["objects"][:, k:k + 1],
                                                                       axis=-1).min()), 3))
    demo = demo_grasp(tiny_dataset, "place_shoe", ["target", "support"], seed=0)  # the synthetic store's actors
    assert demo is not None and set(demo) == {"target", "support"}
    assert all(math.isfinite(d["distance"]) and d["arm"] in ("left", "right") for d in demo.values())
    with pytest.raises(ValueError, match="'shoe' is not a tracked actor"):
        demo_grasp(tiny_dataset, "place_shoe", ["target", "shoe"], seed=0)
    with pytest.raises(ValueError, match="'cube' is not a tracked actor of place_shoe"):
        policy_grasp(bundle, "place_shoe", ["shoe", "cube"], seed=0, steps=3)
    assert demo_grasp(tiny_dataset, "place_shoe", ["shoe"], seed=1) is None  # no demonstration of seed 1 stored
