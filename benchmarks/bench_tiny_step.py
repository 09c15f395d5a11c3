"""One forward + backward of the tiny preset on CPU (the core issue's "well under a second"), median of repeats.

    python benchmarks/bench_tiny_step.py [--batch 2] [--channels 20] [--time 256] [--threads 2] [--record]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

from modeling_neuript import NeurIPTConfig, NeurIPTForPretraining, NeurIPTModel  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument("--time", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--record", action="store_true", help="Append the result to docs/benchmarks.md.")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = NeurIPTConfig.from_json_file(Path(__file__).resolve().parents[1] / "configuration" / "neuript-tiny.json")
    values = torch.randn(args.batch, args.channels, args.time)
    positions = (torch.rand(args.batch, args.channels, 3) - 0.5) * 0.16
    rows = []
    for name, model in (("encoder (NeurIPTModel)", NeurIPTModel(config)), ("AAMP pretraining", NeurIPTForPretraining(config))):
        model.train()
        times = []
        for _ in range(args.repeats + 1):
            start = time.perf_counter()
            out = model(values, positions)
            loss = out.loss if getattr(out, "loss", None) is not None else out.last_hidden_state.square().mean() + out.aux_loss
            loss.backward()
            times.append(time.perf_counter() - start)
        rows.append((name, statistics.median(times[1:])))
    shape = f"batch {args.batch} × {args.channels} ch × {args.time} samples, {args.threads} thread(s)"
    lines = [f"Tiny preset, one forward + backward, {shape}, median of {args.repeats}:", "",
             "| model | seconds |", "|---|---|"] + [f"| {n} | {t:.3f} |" for n, t in rows]
    print("\n".join(lines))
    if args.record:
        harness.append_section("Tiny preset: forward + backward on CPU", "\n".join(lines), "python " + " ".join(sys.argv))


if __name__ == "__main__":
    main()
