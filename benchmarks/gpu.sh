#!/usr/bin/env bash
# The whole model benchmark on one CUDA GPU, in under 5 minutes; results appended to docs/benchmarks.md.
# Usage: bash benchmarks/gpu.sh            (from the repository root, with `pip install -e .[bench]` done)
# Never run in CI (no GPU there). Each step has its own time limit so one slow case cannot eat the budget.
set -u
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || { echo "no GPU"; exit 1; }
run() { local limit=$1; shift; echo "== $*"; timeout "$limit" python "$@" --record || echo "!! step failed or timed out: $*"; }

# Classification model at the reference shape (20 ch x 320 samples), bf16 autocast, eager vs torch.compile.
run 100 benchmarks/bench_model.py --presets fast,small,paper --modes infer,train --dtypes bf16 --compile both \
    --batch fast=256,small=64,paper=64 --repeats 10 --warmup 2 --title "GPU: classification 20x320, bf16"
# Paper-preset pretraining (20 ch x 256, decoder at full resolution): the reference's batch 20, the paper's 60.
run 60 benchmarks/bench_model.py --presets paper --task pretrain --time 256 --modes train --dtypes bf16 \
    --batch paper=20 --repeats 10 --warmup 2 --title "GPU: paper pretraining 20x256 batch 20, bf16"
run 60 benchmarks/bench_model.py --presets paper --task pretrain --time 256 --modes train --dtypes bf16 \
    --batch paper=60 --repeats 5 --warmup 2 --title "GPU: paper pretraining 20x256 batch 60, bf16"
run 60 benchmarks/bench_model.py --presets paper --task pretrain --time 256 --modes train --dtypes bf16 \
    --batch paper=60 --repeats 5 --warmup 2 --checkpointing \
    --title "GPU: paper pretraining 20x256 batch 60, bf16, activation checkpointing"
# One PMoE module vs a dense SwiGLU of equal active width.
run 30 benchmarks/bench_moe.py --preset paper --experts 2,4,6 --tokens 32768 --dtype bf16
# Side by side with braindecode (same 10 s x 20 channel window).
run 30 benchmarks/bench_braindecode.py --seconds 10 --batch 64 --repeats 10
