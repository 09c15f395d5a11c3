"""glibc's handling of freed memory against NeurIPT step time on CPU (plain script, not a test).

`modeling_neuript.training.memory.keep_freed_memory()` (called by the training commands) stops glibc from unmapping
large freed blocks, which every step would otherwise page-fault back in. The setting is process-wide and can be
switched at run time, so both variants of each case run interleaved in one process (same-run ratio). The
"glibc default" variant has glibc's default values but not its dynamic mmap threshold, which the first `mallopt`
turns off for good; compare it with `bench_model.py` run in a fresh process:

    python benchmarks/bench_malloc.py --presets small,paper --modes infer,train --record
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_model  # noqa: E402
import harness  # noqa: E402

from modeling_neuript.training.memory import keep_freed_memory  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", default="small,paper")
    parser.add_argument("--modes", default="infer,train")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument("--time", type=int, default=320)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args(argv)
    harness.setup(args.threads)
    module = harness.load_model_module(None)
    options = argparse.Namespace(device="cpu", checkpointing=False, experts=None, channels=args.channels, time=args.time)
    rows = []
    for preset in args.presets.split(","):
        for mode in args.modes.split(","):
            batch = bench_model.DEFAULT_BATCH["cpu"][preset]
            step = bench_model.prepare(module, preset, "classify", mode, "fp32", False, batch, options)["step"]

            def variant(keep):
                def run():
                    keep_freed_memory(keep)
                    return step()
                return run

            timings = harness.measure_interleaved({"glibc default": variant(False), "keep_freed_memory": variant(True)},
                                                  "cpu", warmup=1, repeats=args.repeats)
            default = batch / timings["glibc default"][0]
            kept = batch / timings["keep_freed_memory"][0]
            rows.append({"preset": preset, "mode": mode, "batch": batch, "glibc default samples/s": harness.fmt(default),
                         "keep_freed_memory samples/s": harness.fmt(kept), "speed-up": f"{kept / default:.2f}×"})
            print(rows[-1], flush=True)
    keep_freed_memory(False)
    table = harness.markdown_table(rows, list(rows[0]))
    print(table)
    if args.record:
        harness.append_section(f"CPU: glibc keeping freed memory ({args.channels} × {args.time}, fp32, "
                               f"{args.threads} threads)", table)
    return rows


if __name__ == "__main__":
    main()
