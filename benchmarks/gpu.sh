#!/usr/bin/env bash
# The whole model benchmark on one CUDA GPU, in about 5–6 minutes (FULL=1 adds fp32); results appended to docs/benchmarks.md.
# Usage: bash benchmarks/gpu.sh            (from the repository root, with `pip install -e .[bench]` done, or with
#        PYTHONPATH=. where the package is not installed; BRAINDECODE_SITE=DIR adds DIR to the path of the
#        braindecode step only)
# Never run in CI (no GPU there). Each step has its own time limit so one slow case cannot eat the budget, and the
# steps run in the order of what the performance issue asks first: paper-preset pretraining (throughput, MFU,
# memory at the paper's batch), classification, the PMoE layer, torch.compile, the braindecode side-by-side, fp32.
set -u
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || { echo "no GPU"; exit 1; }
python -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__)"
run() { local limit=$1; shift; echo "== $*"; timeout "$limit" python "$@" --record || echo "!! step failed or timed out: $*"; }

# Paper-preset pretraining (20 ch x 256, decoder at full resolution) at the paper's batch 60: the allocator's peaks
# with layer and with layer + block activation checkpointing in one run (layer checkpointing measured 29.9 GiB on an
# H200; a CPU count of the live activations puts blocks at about half of it), then the step's throughput with blocks
# (layer checkpointing alone: 45.8 samples/s on the H200, docs/benchmarks.md).
run 90 benchmarks/bench_memory.py --preset paper --task pretrain --time 256 --batch 60 --dtype bf16 --device cuda \
    --checkpointing layers,blocks
run 90 benchmarks/bench_model.py --presets paper --task pretrain --time 256 --modes train --dtypes bf16 \
    --batch paper=60 --repeats 5 --warmup 2 --checkpointing --checkpoint-blocks \
    --title "GPU: paper pretraining 20x256 batch 60, bf16, layer + block activation checkpointing"
# The batch-20 pretraining step, eager and compiled in the same run (compiling takes about 2 minutes on an H200).
run 200 benchmarks/bench_model.py --presets paper --task pretrain --time 256 --modes train --dtypes bf16 \
    --batch paper=20 --repeats 10 --warmup 2 --compile both \
    --title "GPU: paper pretraining 20x256 batch 20, bf16, torch.compile vs eager"
# Classification model at the reference shape (20 ch x 320 samples), bf16 autocast, eager.
run 60 benchmarks/bench_model.py --presets fast,small,paper --modes infer,train --dtypes bf16 \
    --batch fast=256,small=64,paper=64 --repeats 10 --warmup 2 --title "GPU: classification 20x320, bf16"
# One PMoE module vs a dense SwiGLU of equal active width (ours, eager, transformers' grouped_mm), and where the
# time of ours goes (torch.profiler, written to docs/profiles/).
run 60 benchmarks/bench_moe.py --preset paper --experts 2,4,6 --tokens 32768 --dtype bf16 \
    --implementations neuript_grouped_mm,eager,grouped_mm --profile
# torch.compile against eager on paper classification inference, same run (the compiled logits' difference is
# reported; compiling the training step of the paper preset takes longer than this script's budget).
run 90 benchmarks/bench_model.py --presets paper --modes infer --dtypes bf16 --compile both --batch paper=64 \
    --repeats 10 --warmup 2 --title "GPU: torch.compile vs eager, paper classification inference, bf16"
# Side by side with braindecode (same 10 s x 20 channel window).
PYTHONPATH="${BRAINDECODE_SITE:+$BRAINDECODE_SITE:}${PYTHONPATH:-}" \
    run 45 benchmarks/bench_braindecode.py --seconds 10 --batch 64 --repeats 10
# fp32 (no autocast) for the record, with FULL=1 only (keeps the default run near 5 minutes).
if [ "${FULL:-0}" = 1 ]; then run 80 benchmarks/bench_model.py --presets tiny,small,paper --modes infer,train --dtypes fp32 \
    --batch tiny=64,small=64,paper=32 --repeats 5 --warmup 1 --title "GPU: classification 20x320, fp32"; fi
