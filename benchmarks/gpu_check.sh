#!/usr/bin/env bash
# One GPU check, < 8 minutes on one H100/H200; figures go to $OUT/gpu_check.json (+ logs beside it).
#   1. aim-5b (random weights, bf16 autocast, AdamW, activation checkpointing): train step time, peak memory, MFU
#      at a realistic window (480x640 canvases -> 30x40 latents, 4 history + 4 future frames, 16 actions)
#   2. aim-5b KV-cached chunk latency (10 Euler steps) at 480x640 canvases, bf16
#   3. aim-small learning run on the GPU: benchmarks/learning.py --profile quick with a fixed step budget, on the
#      demonstrations under data/learning/quick (carry them, or they are generated: needs SAPIEN + a Vulkan ICD),
#      evaluation skipped unless GPU_CHECK_EVAL=1 (closed loop needs SAPIEN rendering)
# Usage: OUT=/tmp/gpu bash benchmarks/gpu_check.sh        (CPU code-path check: bash benchmarks/gpu_check.sh --smoke)
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-benchmarks/out/gpu_check}"
mkdir -p "$OUT"
PY="${PYTHON:-.venv/bin/python}"
[ -x "$PY" ] || PY=python
SMOKE=""
[ "${1:-}" = "--smoke" ] && SMOKE="--smoke"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/nvidia_smi.csv" 2>/dev/null || true

# 1 + 2: about 3 minutes on an H200 (model build, 6 train steps, 2 x 4 chunks)
timeout 300 "$PY" benchmarks/gpu_check.py --out "$OUT/gpu_check.json" $SMOKE 2>&1 | tee "$OUT/model.log"

# 3: aim-small learning run, fixed steps (GPU) - about 4 minutes
if [ -z "$SMOKE" ]; then
  EVAL_FLAG="--skip-eval"; [ "${GPU_CHECK_EVAL:-0}" = "1" ] && EVAL_FLAG=""
  timeout 270 "$PY" benchmarks/learning.py --profile quick --out "$OUT/learning" --train-steps "${GPU_LEARNING_STEPS:-1000}" \
    $EVAL_FLAG 2>&1 | tail -40 > "$OUT/learning.log"
  cp "$OUT/learning/results.json" "$OUT/learning_results.json" 2>/dev/null || true
  cp "$OUT/learning/loss_curves.png" "$OUT/" 2>/dev/null || true
fi
echo "figures: $OUT/gpu_check.json"
