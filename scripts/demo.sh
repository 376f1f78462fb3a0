#!/usr/bin/env bash
# The main job on the embedded defaults, end to end, through the same commands a user types:
#   set-up -> aim-serve (local Prefect server on SQLite + every deployment)
#   -> prefect deployment run generate-dataset/generate-dataset (small annotated dataset)
#   -> prefect deployment run train-stage1/train-stage1 (aim-tiny, a few minutes on CPU)
#   -> prefect deployment run evaluate/evaluate (closed loop, with expert and trivial rows)
# Idempotent: a rerun reuses the dataset, resumes training and re-evaluates.
# Environment knobs: AIM_DATASET (store), AIM_DEMO_OUT (outputs), AIM_DEMO_TASKS (JSON list),
# AIM_DEMO_EPISODES, AIM_DEMO_TRAIN_MINUTES, AIM_DEMO_KEEP_SERVER=1 (leave the UI running).
# AIM_DEMO_PROFILE=learning: instead, the learning benchmark (benchmarks/learning.py --profile quick: 20
# click_bell demos, a trained small VAE, aim / unified / no-value trained 8 min each on one thread, closed-loop
# success on 5 held-out and 2 training seeds; about 85 min on 2 cores; AIM_DEMO_LEARNING_ARGS adds options).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export PATH="$PWD/.venv/bin:$PATH"
if [ "${AIM_DEMO_PROFILE:-short}" = "learning" ]; then
  export OMP_NUM_THREADS=1
  # shellcheck disable=SC2086
  exec python benchmarks/learning.py --profile quick ${AIM_DEMO_LEARNING_ARGS:-}
fi

DATASET=${AIM_DATASET:-$PWD/data/aim-dataset.zarr}
OUT=${AIM_DEMO_OUT:-$PWD/outputs/demo}
TASKS=${AIM_DEMO_TASKS:-'["place_shoe","stack_blocks_two"]'}
EPISODES=${AIM_DEMO_EPISODES:-3}
TRAIN_MINUTES=${AIM_DEMO_TRAIN_MINUTES:-4}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}  # tiny CPU models: one thread each beats oversubscription
export PREFECT_API_URL=${PREFECT_API_URL:-http://127.0.0.1:4200/api}
export PREFECT_HOME=${PREFECT_HOME:-$PWD/.prefect}
mkdir -p "$OUT"

# aim-serve in its own process group (a background child of a script ignores SIGINT otherwise)
setsid aim-serve >"$OUT/aim-serve.log" 2>&1 &
SERVE_PID=$!
stop_serve() {
  if [ "${AIM_DEMO_KEEP_SERVER:-0}" = "1" ]; then
    echo "aim-serve left running (pid $SERVE_PID); UI at ${PREFECT_API_URL%/api}"; return
  fi
  kill -TERM -- "-$SERVE_PID" 2>/dev/null || true
  wait "$SERVE_PID" 2>/dev/null || true
}
trap stop_serve EXIT

echo "waiting for aim-serve to publish its deployments ..."
for _ in $(seq 1 120); do
  if prefect deployment ls 2>/dev/null | grep -q "generate-dataset"; then break; fi
  kill -0 "$SERVE_PID" 2>/dev/null || { cat "$OUT/aim-serve.log"; echo "aim-serve exited" >&2; exit 1; }
  sleep 2
done

run() {  # prefect deployment run NAME --watch; exits non-zero (and so does this script) if the run fails
  local name=$1; shift
  echo "== prefect deployment run $name $*"
  prefect deployment run "$name" "$@" --watch 2>&1 | tee "$OUT/${name%%/*}.log"
}

run generate-dataset/generate-dataset \
  --param output="$DATASET" --param tasks="$TASKS" --param episodes_per_task="$EPISODES" \
  --param 'settings=["easy"]' --param 'resolution=[64,80]' --param record_every=30
aim-dataset info "$DATASET"

run train-stage1/train-stage1 \
  --param dataset="$DATASET" --param out_dir="$OUT/train" --param tasks="$TASKS" \
  --param max_minutes="$TRAIN_MINUTES"
CHECKPOINT=$(ls -d "$OUT"/train/checkpoints/* 2>/dev/null | sort | tail -1 || true)

run evaluate/evaluate \
  --param tasks="$TASKS" --param out_dir="$OUT/eval" --param checkpoint="$CHECKPOINT" \
  --param 'settings=["easy"]' --param episodes=2 --param videos=1 --param step_limit_factor=1.5

echo
echo "dataset:      $DATASET"
echo "training:     $OUT/train (TensorBoard: tensorboard --logdir $OUT/train)"
echo "evaluation:   $OUT/eval (success table, bar chart, videos)"
echo "Prefect UI:   ${PREFECT_API_URL%/api} (AIM_DEMO_KEEP_SERVER=1 keeps it up)"
