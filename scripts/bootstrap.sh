#!/usr/bin/env bash
# One-shot, idempotent set-up on a fresh Debian 12 / Ubuntu machine:
# system packages (Vulkan + lavapipe for SAPIEN, ffmpeg) and a virtualenv in .venv with
# the project installed editable. Re-running only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_system.sh
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  $PY -m venv .venv
fi
stamp=.venv/.aim-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
  # torch first, pinned: an unpinned resolve pulls several GB of CUDA wheels (PLATFORM_NOTES)
  .venv/bin/pip install -q "torch==2.13.0" 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/pip install -q -e ".[dev]" 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -c "import sapien, mplib, zarr, prefect, torch, diffusers" 
  touch "$stamp"
fi
echo "[bootstrap] ready: $(pwd)/.venv"
