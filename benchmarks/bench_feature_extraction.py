"""Speed of the NeurIPT feature extractor, as a multiple of real time, next to the same steps done with mne.

Workload: 64 channels × 256 Hz × 10 min of EEG-like noise (volts), the biosemi64 10-10 names. Both paths do
band-pass 0.1-30 Hz, a 50 Hz notch, resampling to 64 Hz, µV, A-law (A = 0.25), 4 s windows and the 100 µV / flat
flags. Ours: `NeurIPTFeatureExtractor` (scipy IIR, forward-backward; `resample_poly`). mne: `RawArray` →
`filter(0.1, 30)` (FIR, mne defaults) → `notch_filter(50)` → `resample(64)` (mne 1.13 default: polyphase) → numpy for
µV, A-law and windows (mne has no A-law). Positions are resolved by the extractor only (mne needs a montage set: not
timed). Medians of repeated runs after one warm-up.

    python benchmarks/bench_feature_extraction.py [--minutes 10] [--repeats 3] [--threads 1] [--no-append]

Prints a table and appends it to docs/benchmarks.md.
"""

import argparse
import pathlib
import sys
import time

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from harness import append_section, machine_info, markdown_table, measure

from modeling_neuript.electrodes_neuript import MONTAGE_POSITIONS
from modeling_neuript.feature_extraction_neuript import (
    NeurIPTFeatureExtractor,
    a_law_compress,
    design_filter,
    resample,
    zero_phase_filter,
)

RATE = 256
CHANNELS = 64


def make_recording(minutes: float, seed: int = 0) -> np.ndarray:
    """EEG-like volts: AR(1) noise (1/f-like below ~1 Hz) at 20 µV, a 10 Hz alpha rhythm and 50 Hz hum."""
    from scipy.signal import lfilter

    rng = np.random.default_rng(seed)
    samples = int(minutes * 60 * RATE)
    background = lfilter([1.0], [1.0, -0.98], rng.normal(size=(CHANNELS, samples)), axis=-1)
    background *= 20e-6 / background.std(axis=-1, keepdims=True)
    time = np.arange(samples) / RATE
    return background + 10e-6 * np.sin(2 * np.pi * 10 * time) + 5e-6 * np.sin(2 * np.pi * 50 * time)


def ours(extractor, signal, names):
    return extractor(signal, channel_names=names, sampling_rate=RATE, line_freq=50.0, return_tensors="pt")


def mne_chain(signal, names):
    import mne

    raw = mne.io.RawArray(signal, mne.create_info(names, RATE, "eeg"), verbose="error")
    raw.filter(0.1, 30.0, n_jobs=1, verbose="error")
    raw.notch_filter(50.0, n_jobs=1, verbose="error")
    raw.resample(64.0, n_jobs=1, verbose="error")
    microvolts = raw.get_data() * 1e6
    length = 256
    count = microvolts.shape[-1] // length
    windows = microvolts[:, : count * length].reshape(CHANNELS, count, length).transpose(1, 0, 2)
    magnitude = np.abs(windows)
    flags = (magnitude > 100).any(axis=(1, 2)), (magnitude.max(axis=2) < 3).any(axis=1)
    return torch.from_numpy(a_law_compress(windows).astype(np.float32)), flags


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch/BLAS threads (scipy filters are single-threaded)")
    parser.add_argument("--no-append", action="store_true", help="print only; do not append to docs/benchmarks.md")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    import mne

    names = list(MONTAGE_POSITIONS["biosemi64"])
    signal = make_recording(args.minutes)
    seconds = signal.shape[-1] / RATE
    extractor = NeurIPTFeatureExtractor()

    def seconds_of(fn):
        return measure(fn, repeats=args.repeats)[0]  # median after one warm-up call

    # Same output shape both ways, and the two pipelines agree to within what their different filters allow.
    features = ours(extractor, signal, names)
    reference, _ = mne_chain(signal, names)
    assert features["input_values"].shape == reference.shape, (features["input_values"].shape, reference.shape)
    inner = slice(2, -2)  # skip edge windows, where the two filters' padding differs
    correlation = np.corrcoef(features["input_values"][inner].flatten(), reference[inner].flatten())[0, 1]

    timings = {
        "NeurIPTFeatureExtractor (all steps)": seconds_of(lambda: ours(extractor, signal, names)),
        f"mne {mne.__version__} chain (same steps)": seconds_of(lambda: mne_chain(signal, names)),
    }
    # Where our time goes.
    microvolts = signal * 1e6
    sos = design_filter(float(RATE), 0.1, 30.0, 4, 8, (50.0,), 30.0)
    filtered = zero_phase_filter(microvolts, sos, 3 * RATE * 10)
    timings["  of which: filter (scipy sosfiltfilt)"] = seconds_of(
        lambda: zero_phase_filter(microvolts, sos, 3 * RATE * 10)
    )
    timings["  of which: resample (scipy resample_poly)"] = seconds_of(lambda: resample(filtered, RATE, 64))

    rows = [
        {"path": path, "seconds": f"{elapsed:.3f}", "× real time": f"{seconds / elapsed:.0f}"}
        for path, elapsed in timings.items()
    ]
    table = markdown_table(rows, ["path", "seconds", "× real time"])
    body = (
        f"Feature extraction of {CHANNELS} ch × {RATE} Hz × {args.minutes:g} min ({seconds:.0f} s of signal), "
        f"median of {args.repeats} runs, {args.threads} torch thread(s). Output {tuple(features['input_values'].shape)}; "
        f"correlation of our windows with the mne chain's (inner windows): {correlation:.4f}.\n\n{table}"
    )
    print(machine_info())
    print(body)
    if not args.no_append:
        append_section("Feature extraction: multiple of real time", body)


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"done in {time.perf_counter() - start:.1f} s")
