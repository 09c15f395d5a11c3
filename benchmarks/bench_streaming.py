"""Latency per hop of streaming inference on CPU (`NeurIPTStreamProcessor`): median and 95th percentile.

    python benchmarks/bench_streaming.py --threads 1 --record

An amplifier delivers `hop_seconds` of 20-channel EEG at `--rate` Hz per chunk; each chunk is pushed and the window it
completes (4 s at 64 Hz) is classified. "latency per hop" is the wall time of one `push` (preprocessing of the new
samples + one model forward on one window), timed after the ring buffer is full. The preprocessing alone is timed on
its own, with no model. Real EEG is not needed for timing (routing aside, the work does not depend on the values);
the signal is Brownian noise of EEG amplitude (tens of µV).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

from modeling_neuript import NeurIPTFeatureExtractor, NeurIPTForSequenceClassification  # noqa: E402
from modeling_neuript.interop.streaming import NeurIPTStreamProcessor  # noqa: E402
from modeling_neuript.training.factory import resolve_config  # noqa: E402

CHANNELS_20 = ["Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8", "T7", "C3", "Cz", "C4", "T8", "P7", "P3", "Pz", "P4", "P8",
               "O1", "Oz", "O2"]


def time_hops(stream, chunks, warmup_chunks: int) -> list[float]:
    """Wall seconds of each `push` after the first `warmup_chunks` (which fill the ring buffer)."""
    times = []
    for index, chunk in enumerate(chunks):
        start = time.perf_counter()
        outputs = stream.push(chunk)
        elapsed = time.perf_counter() - start
        if index >= warmup_chunks:
            if len(outputs) != 1:
                raise RuntimeError(f"expected one window per hop, got {len(outputs)}")  # pragma: no cover
            times.append(elapsed)
    return times


def percentile(values, q) -> float:
    return float(np.percentile(np.asarray(values), q))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=256.0, help="Amplifier sampling rate, Hz.")
    parser.add_argument("--hop", type=float, default=0.5, help="Seconds between predictions (= chunk length).")
    parser.add_argument("--presets", default="neuript-tiny,neuript-small")
    parser.add_argument("--hops", type=int, default=60, help="Timed hops per model.")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--record", action="store_true", help="Append the result to docs/benchmarks.md.")
    args = parser.parse_args(argv)
    harness.setup(args.threads)

    extractor = NeurIPTFeatureExtractor()
    chunk_length = int(round(args.hop * args.rate))
    warmup = int(np.ceil(extractor.window_seconds / args.hop)) + 2  # fill the ring buffer, then two more
    rng = np.random.default_rng(0)
    total = (warmup + args.hops) * chunk_length
    signal = np.cumsum(rng.normal(scale=2e-6, size=(len(CHANNELS_20), total)), axis=1)  # volts, Brownian
    chunks = [signal[:, i : i + chunk_length] for i in range(0, total, chunk_length)]

    rows = []
    stream = NeurIPTStreamProcessor(extractor, CHANNELS_20, args.rate, line_freq=50, hop_seconds=args.hop)
    times = time_hops(stream, chunks, warmup)
    rows.append({"stage": "preprocessing only", "median ms": harness.fmt(1e3 * statistics.median(times)),
                 "p95 ms": harness.fmt(1e3 * percentile(times, 95)), "hops": len(times)})
    for preset in [p for p in args.presets.split(",") if p]:
        config = resolve_config(preset)
        config.num_labels = 2
        model = NeurIPTForSequenceClassification(config).eval()
        stream = NeurIPTStreamProcessor(extractor, CHANNELS_20, args.rate, line_freq=50, hop_seconds=args.hop,
                                        model=model)
        times = time_hops(stream, chunks, warmup)
        rows.append({"stage": f"preprocessing + {preset} forward", "median ms": harness.fmt(1e3 * statistics.median(times)),
                     "p95 ms": harness.fmt(1e3 * percentile(times, 95)), "hops": len(times)})
    table = harness.markdown_table(rows, ["stage", "median ms", "p95 ms", "hops"])
    body = (
        f"20 channels at {args.rate:g} Hz, one chunk of {args.hop:g} s ({chunk_length} samples) per hop, 4 s windows "
        f"at 64 Hz (20 × 256), float32 model, {torch.get_num_threads()} thread(s), CPU. Latency = wall time of one "
        f"`push` once the buffer is full; the signal path adds its own delay on top (resampler "
        f"{stream.resampler_delay} samples = {1e3 * stream.resampler_delay / 64:.0f} ms, plus the causal filters' "
        f"phase delay).\n\n{table}"
    )
    print(body)
    if args.record:
        harness.append_section("Streaming inference: latency per hop", body)
    return rows


if __name__ == "__main__":
    main()
