"""benchmarks/gpu_check.sh --smoke: the GPU check's code paths on the CPU (aim-tiny, toy shapes), as CI can run them,
so a device's few minutes are not spent finding a broken script."""
import json
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_gpu_check_smoke_writes_every_section_and_the_real_exit_code(tmp_path):
    env = {**os.environ, "OUT": str(tmp_path)}
    done = subprocess.run(["bash", "benchmarks/gpu_check.sh", "--smoke"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads((tmp_path / "gpu_check.json").read_text())
    sections = ("train_step", "chunk_latency", "small_train_step", "small_batch_sweep")
    assert set(sections) <= set(figures)
    assert not [name for name in sections if "error" in figures[name]]
    assert [figures["small_batch_sweep"][f"batch_{b}"]["step_s"] > 0 for b in (1, 2)] == [True, True]
    assert figures["train_step"]["step_s"] > 0 and figures["small_train_step"]["sdpa_fp32"]["step_s"] > 0
    assert "gpu_check.py returned: exit 0" in (tmp_path / "model.log").read_text()


def test_gpu_check_reports_a_failing_exit_code(tmp_path):
    """The script once printed `$?` after a `$(date)`, which is always 0: a section run that exits 2 must say 2."""
    env = {**os.environ, "OUT": str(tmp_path), "GPU_CHECK_SECTIONS": "no_such_section"}
    subprocess.run(["bash", "benchmarks/gpu_check.sh", "--smoke"], cwd=REPO, env=env, capture_output=True,
                   text=True, timeout=600)
    assert "gpu_check.py returned: exit 2" in (tmp_path / "model.log").read_text()
