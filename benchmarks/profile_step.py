"""Where the time of one training step goes: `torch.profiler` over a few steps of one benchmark case (plain script).

Prints the operators sorted by their own device time (CUDA) or CPU time, so an optimisation can start from the
largest line. Uses the same model, inputs and step as `bench_model.py`.

    python benchmarks/profile_step.py --preset paper --task pretrain --time 256 --batch 20 --dtype bf16
    python benchmarks/profile_step.py --preset tiny --task classify --batch 8 --dtype fp32 --device cpu
"""

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_model  # noqa: E402
import harness  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="paper")
    parser.add_argument("--task", choices=["classify", "pretrain"], default="pretrain")
    parser.add_argument("--mode", choices=["train", "infer"], default="train")
    parser.add_argument("--dtype", choices=list(bench_model.DTYPES), default="bf16")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument("--time", type=int, default=256)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--rows", type=int, default=30)
    parser.add_argument("--checkpointing", action="store_true")
    parser.add_argument("--experts", default=None)
    args = parser.parse_args(argv)
    harness.setup(args.threads)
    module = harness.load_model_module(None)
    case = bench_model.prepare(module, args.preset, args.task, args.mode, args.dtype, False, args.batch, args)
    table = harness.profile_table(case["step"], args.device, steps=args.steps, rows=args.rows)
    print(f"{args.preset} {args.task} {args.mode} {args.dtype} batch {args.batch} x {args.channels} ch x {args.time}, "
          f"{args.steps} steps, {harness.machine_info()}")
    print(table)


if __name__ == "__main__":
    main()
