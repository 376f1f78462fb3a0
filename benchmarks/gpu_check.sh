#!/usr/bin/env bash
# One GPU check, < 8 minutes on one H100/H200; figures go to $OUT/gpu_check.json (+ logs beside it).
#   1. aim-5b (random weights, bf16 autocast, AdamW, activation checkpointing): train step time, peak memory, MFU
#      at a realistic window (480x640 canvases -> 30x40 latents, 4 history + 4 future frames, 16 actions)
#   2. aim-5b KV-cached chunk latency (10 Euler steps) at 480x640 canvases, bf16; aim-small's training step on
#      random data per attention backend, with and without bf16 autocast (model cost without the data pipeline)
#   3. aim-small learning run on the GPU: benchmarks/learning.py --profile $GPU_CHECK_PROFILE (quick) with a fixed
#      step budget (VAE, latent caches, training, value-map quality on the GPU), on the demonstrations under
#      $GPU_CHECK_DATA/<profile>* (carried there: generating them needs SAPIEN + a Vulkan ICD, training from them does
#      not); evaluation skipped unless GPU_CHECK_EVAL=1 (closed loop needs SAPIEN rendering). Or from a run made
#      here: GPU_CHECK_PACK=<benchmarks/device_pack.py's inputs.tar.xz> (its stores, latent caches and encoders: no
#      VAE training or encoding there) with that run's recipe in GPU_CHECK_RECIPE (learning.py arguments, e.g.
#      "--action-prior-pixels 48 64 --expert-noise 0.03"). The trained bundle is packed as
#      $OUT/aim_small_bundle.tgz, to be evaluated closed loop where the simulator is. With --smoke, part 3 runs
#      only from a GPU_CHECK_PACK (a tiny one: tests/training/test_gpu_check_smoke.py).
# Usage: OUT=/tmp/gpu bash benchmarks/gpu_check.sh        (CPU code-path check: bash benchmarks/gpu_check.sh --smoke)
#   PYTHON (default .venv/bin/python, else python3), GPU_CHECK_DATA (default data/learning; $GPU_CHECK_WORK/data
#   with a pack), GPU_CHECK_WORK (the learning run's folder, default $OUT), GPU_CHECK_PROFILE (quick),
#   GPU_CHECK_PACK, GPU_CHECK_RECIPE, GPU_LEARNING_STEPS (1000), GPU_LEARNING_TIMEOUT (210 s: the trainer
#   stops at the signal and writes its bundle), GPU_CHOICE_EPISODES (the profile's), GPU_CHECK_SECTIONS (some of
#   train_step chunk_latency small_train_step small_batch_sweep; default all)
# The bundle evaluates here: tar -xzf aim_small_bundle.tgz -C <out>/runs/aim/checkpoints; cp learning_results.json
#   <out>/results.json; benchmarks/learning.py --profile <profile> --variants aim --out <out> --eval-only <recipe>
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-benchmarks/out/gpu_check}"
WORK="${GPU_CHECK_WORK:-$OUT}"
mkdir -p "$OUT" "$WORK"
PY="${PYTHON:-.venv/bin/python}"
command -v "$PY" >/dev/null || PY=python3
SMOKE=""
[ "${1:-}" = "--smoke" ] && SMOKE="--smoke"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/nvidia_smi.csv" 2>/dev/null || true

# 1 + 2: the sections took 23 s and 15 s on an H200 (model build, 6 train steps, 2 x 4 chunks; RESULTS)
# Straight to a file, no pipe: on the first H200 run both sections printed their figures yet part 3 started too
# late, as if `| tee` had waited on a process that still held the pipe (FlexAttention's compile workers are
# child processes); one compile thread keeps inductor in this process. Each part logs when it starts and returns.
echo "$(date +%T) gpu_check.py starts" > "$OUT/model.log"
SECTIONS=(); [ -n "${GPU_CHECK_SECTIONS:-}" ] && SECTIONS=(--sections $GPU_CHECK_SECTIONS)
export TORCHINDUCTOR_COMPILE_THREADS=1
timeout --foreground 240 "$PY" benchmarks/gpu_check.py --out "$OUT/gpu_check.json" $SMOKE "${SECTIONS[@]}" \
  >> "$OUT/model.log" 2>&1
RC=$?  # before any $(...) below: a command substitution resets $?
echo "$(date +%T) gpu_check.py returned: exit $RC (124: stopped by the timeout)" >> "$OUT/model.log"
cat "$OUT/model.log"

# 3: aim-small learning run, fixed steps (GPU); the latent caches are encoded in this process (workers 1): the
# VAE is on the GPU
if [ -z "$SMOKE" ] || [ -n "${GPU_CHECK_PACK:-}" ]; then
  DATA="${GPU_CHECK_DATA:-data/learning}"
  if [ -n "${GPU_CHECK_PACK:-}" ]; then  # data/<store> -> $WORK/data, run/<part> -> $WORK/learning (its --out)
    tar -xJf "$GPU_CHECK_PACK" -C "$WORK" --transform 's,^run/,learning/,' \
      || { echo "gpu_check.sh: cannot unpack GPU_CHECK_PACK=$GPU_CHECK_PACK"; exit 2; }
    DATA="${GPU_CHECK_DATA:-$WORK/data}"
  fi
  read -r -a RECIPE <<< "${GPU_CHECK_RECIPE:-}"
  EVAL_FLAG="--skip-eval"; [ "${GPU_CHECK_EVAL:-0}" = "1" ] && EVAL_FLAG=""
  CHOICE=(); [ -n "${GPU_CHOICE_EPISODES:-}" ] && CHOICE=(--choice-episodes "$GPU_CHOICE_EPISODES")
  echo "$(date +%T) learning.py starts" > "$OUT/learning.log"
  # --foreground: the signal goes to the trainer alone, which stops between steps and writes its bundle (sent to
  # the whole group, as by default, the second H200 run ended with no bundle and no traceback)
  timeout --foreground "${GPU_LEARNING_TIMEOUT:-210}" "$PY" benchmarks/learning.py \
    --profile "${GPU_CHECK_PROFILE:-quick}" --variants aim --data "$DATA" --out "$WORK/learning" \
    --train-steps "${GPU_LEARNING_STEPS:-1000}" --no-generate --workers 1 "${CHOICE[@]}" "${RECIPE[@]}" $EVAL_FLAG \
    >> "$OUT/learning.log" 2>&1  # straight to the file: a pipe to tail lost the whole log when the call was stopped
  RC=$?
  echo "$(date +%T) learning.py returned: exit $RC (124: stopped by the timeout)" >> "$OUT/learning.log"
  tr '\r' '\n' < "$OUT/learning.log" | grep -v "^\s*$" | tail -25
  cp "$WORK/learning/results.json" "$OUT/learning_results.json" 2>/dev/null || true
  cp "$WORK/learning/loss_curves.png" "$WORK/learning/runs/aim/metrics.jsonl" "$OUT/" 2>/dev/null || true  # time/data_s
  CKPT=$(ls -d "$WORK/learning/runs/aim/checkpoints"/step-* 2>/dev/null | tail -1)
  [ -n "$CKPT" ] && tar -czf "$OUT/aim_small_bundle.tgz" -C "$(dirname "$CKPT")" "$(basename "$CKPT")"
fi
echo "figures: $OUT/gpu_check.json"
