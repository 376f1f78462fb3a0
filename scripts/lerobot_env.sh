#!/usr/bin/env bash
# A separate virtualenv with the `lerobot` package, for loading `aim-dataset export --format lerobot`
# output with LeRobot's own `LeRobotDataset` (tests/record/test_export_and_view.py calls this script).
#
# Why separate: the newest lerobot the index serves for Python 3.11 (0.4.4) pins torch<2.11 and
# diffusers<0.36, our project pins torch 2.13 and diffusers 0.42, so the two cannot share one
# environment. Here lerobot is installed the plain way (`pip install lerobot==VERSION`, its own
# dependency resolution; a torch 2.10 CUDA build, about 7 GB), and nothing of ours goes in.
#
# Where: $AIM_LEROBOT_ENV, else ~/.cache/aim/lerobot-<version> (outside any checkout, so every clone
# and CI run on the machine reuses one copy). Idempotent: an existing complete environment (stamp
# file) is reused; a half-built one is removed and built again. Concurrent callers wait on a lock.
# Prints the environment's python on its last line.
set -euo pipefail
VERSION=${AIM_LEROBOT_VERSION:-0.4.4}
ENV_DIR=${AIM_LEROBOT_ENV:-${XDG_CACHE_HOME:-$HOME/.cache}/aim/lerobot-$VERSION}
PY=${PYTHON:-python3}
mkdir -p "$(dirname "$ENV_DIR")"
exec 9>"$ENV_DIR.lock"
flock 9
stamp="$ENV_DIR/.lerobot-$VERSION-installed"
if [ ! -f "$stamp" ]; then
  rm -rf "$ENV_DIR"
  echo "[lerobot_env] creating $ENV_DIR (pip install lerobot==$VERSION; several GB, a few minutes)" >&2
  "$PY" -m venv "$ENV_DIR"
  "$ENV_DIR/bin/pip" install -q "lerobot==$VERSION" 2>&1 | grep -v "^WARNING: Location" >&2 || true
  "$ENV_DIR/bin/python" -c "from lerobot.datasets.lerobot_dataset import LeRobotDataset" >&2
  touch "$stamp"
fi
echo "$ENV_DIR/bin/python"
