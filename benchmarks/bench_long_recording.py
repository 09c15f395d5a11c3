"""Peak memory of `NeurIPTFeatureExtractor.preprocess_in_chunks` on a long recording (default 24 h x 64 channels x
256 Hz, 5.7 GB as float32 on disk, 11 GB as float64 in memory), read lazily from disk.

    OMP_NUM_THREADS=1 python benchmarks/bench_long_recording.py --hours 24 --channels 64 --workdir /tmp/long

The recording (random-walk EEG-like noise, µV scale) is written once as a time-major float32 file; a fresh process
then extracts every 4 s window in 10 min chunks, reading each chunk with `np.fromfile` (no memory map, so only the
chunk is resident), and prints windows, wall time and peak RSS (`VmHWM` of that process).
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

NAMES_64 = ["Fp1", "AF7", "AF3", "F1", "F3", "F5", "F7", "FT7", "FC5", "FC3", "FC1", "C1", "C3", "C5", "T7", "TP7", "CP5",
            "CP3", "CP1", "P1", "P3", "P5", "P7", "P9", "PO7", "PO3", "O1", "Iz", "Oz", "POz", "Pz", "CPz", "Fpz", "Fp2",
            "AF8", "AF4", "AFz", "Fz", "F2", "F4", "F6", "F8", "FT8", "FC6", "FC4", "FC2", "FCz", "Cz", "C2", "C4", "C6",
            "T8", "TP8", "CP6", "CP4", "CP2", "P2", "P4", "P6", "P8", "P10", "PO8", "PO4", "O2"]


class TimeMajorFile:
    """A `(channels, time)` view of a time-major float32 file that reads `[:, start:stop]` from disk on demand."""

    ndim = 2

    def __init__(self, path: Path, channels: int):
        self.path, self.channels = path, channels
        self.shape = (channels, path.stat().st_size // (4 * channels))

    def __getitem__(self, key):
        rows, columns = key
        start, stop, _ = columns.indices(self.shape[1])
        with open(self.path, "rb") as handle:
            handle.seek(start * self.channels * 4)
            block = np.fromfile(handle, dtype=np.float32, count=(stop - start) * self.channels)
        return block.reshape(stop - start, self.channels).T[rows]


def write(path: Path, hours: float, channels: int, rate: int):
    rng = np.random.default_rng(0)
    level = np.zeros(channels, dtype=np.float64)
    total, step = int(hours * 3600 * rate), 600 * rate
    with open(path, "wb") as handle:
        for start in range(0, total, step):
            block = np.cumsum(rng.normal(scale=2.0, size=(min(step, total - start), channels)), axis=0) + level
            level = block[-1] * 0.5  # bounded random walk
            (block - block.mean(0) + 0.0).astype(np.float32).tofile(handle)


def measure(path: Path, channels: int, rate: int):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from modeling_neuript import NeurIPTFeatureExtractor

    recording = TimeMajorFile(path, channels)
    tic = time.perf_counter()
    windows = 0
    for part in NeurIPTFeatureExtractor().preprocess_in_chunks(recording, NAMES_64[:channels], rate, units="uV",
                                                               chunk_seconds=600.0, margin_seconds=120.0):
        windows += len(part["input_values"])
    elapsed = time.perf_counter() - tic
    peak = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
    hours = recording.shape[1] / rate / 3600
    print(f"{hours:g} h x {channels} ch x {rate} Hz: {windows} windows in {elapsed:.0f} s "
          f"({hours * 3600 / elapsed:.0f}x real time), peak RSS {int(peak) / 1024:.0f} MiB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--channels", type=int, default=64)
    parser.add_argument("--rate", type=int, default=256)
    parser.add_argument("--workdir", default="/tmp/neuript-long")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: run the measurement in this process
    args = parser.parse_args()
    if args.measure:
        measure(Path(args.measure), args.channels, args.rate)
        return
    path = Path(args.workdir) / f"long_{args.hours:g}h_{args.channels}ch_{args.rate}Hz.f32"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        write(path, args.hours, args.channels, args.rate)
    subprocess.run([sys.executable, __file__, "--measure", str(path), "--channels", str(args.channels),
                    "--rate", str(args.rate)], check=True)


if __name__ == "__main__":
    main()
