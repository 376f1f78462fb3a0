"""Training needs no simulator: a GPU machine without SAPIEN, mplib or open3d trains on demonstrations recorded
elsewhere (`benchmarks/learning.py --no-generate`, `benchmarks/gpu_check.sh`). Checked in a fresh interpreter
where those packages cannot be imported."""
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SIMULATOR = ("sapien", "mplib", "open3d", "trimesh", "pybullet_data", "transforms3d", "toppra")
SCRIPT = f"""
import sys
for name in {SIMULATOR!r}:
    sys.modules[name] = None  # import of it fails, as on a machine without it
sys.path.insert(0, "benchmarks")
from pathlib import Path
import learning
import aim_core.training.trainer
profile = learning.Profile(tasks=["place_shoe"], episodes=3, train_minutes=1.0, train_steps=1, batch_size=1,
                           vae_steps=0, heldout_seeds=0, train_seeds=0)
print(learning.recorded(profile, Path(sys.argv[1]), 0, 3, "demo"))
for episodes, noise in ((4, 0.0), (3, 0.03)):
    try:
        learning.recorded(profile, Path(sys.argv[1]), 0, episodes, "demo", noise)
    except SystemExit as exit:
        print("exit", exit.code)
"""


def test_learning_reads_recorded_demonstrations_without_the_simulator(make_dataset, tmp_path):
    store = make_dataset(tmp_path / "demo" / "dataset.zarr")  # 3 place_shoe episodes
    run = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], cwd=REPO, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().splitlines() == [str(store), "exit 2", "exit 2"]
    assert run.stderr.strip().splitlines()[-2:] == [
        f"learning.py: {store} holds 3 complete place_shoe episodes, the profile asks 4; record them where SAPIEN "
        "runs (without --no-generate)",
        f"learning.py: {store} holds place_shoe episodes recorded with expert noise 0 rad, the profile asks 0.03; "
        "pass the --expert-noise they were recorded with, or record them again"]
