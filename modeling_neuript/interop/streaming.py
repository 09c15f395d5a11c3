"""Streaming inference for online BCI: feed EEG chunks as they arrive, get a NeurIPT prediction every hop.

    stream = NeurIPTStreamProcessor(extractor, channel_names=names, sampling_rate=256, model=classifier,
                                    hop_seconds=0.5)
    for chunk in amplifier:                    # (channels, any number of samples), volts by default
        for output in stream.push(chunk):      # zero or more windows completed by this chunk
            print(output.end_seconds, output.probabilities)

Each `push` runs the feature extractor's steps on the new samples only, carrying state across chunk borders:

1. units → µV (and bipolar re-referencing, if the extractor has `bipolar_pairs`);
2. the extractor's filter chain (Butterworth high-pass, low-pass, notches: `design_filter`) run *causally* with
   `scipy.signal.sosfilt`, its state `zi` carried from chunk to chunk. The state starts at the steady state of the
   first sample (`sosfilt_zi · x[0]`), i.e. as if the signal had been constant before the stream began;
3. polyphase resampling to 64 Hz with the very FIR filter `scipy.signal.resample_poly` designs (Kaiser β = 5,
   `20·max(up, down) + 1` taps, pre-padded to a whole number of output samples of delay), as a causal filter: an
   output sample is computed as soon as the last input sample it needs has arrived; the input history it needs is kept;
4. a ring buffer of the last `window_seconds` of 64 Hz samples; every `hop_seconds` (once it is full) the window is
   A-law companded, flagged for artifacts as the extractor does, and passed to the model.

What is equal to what (tested in tests/test_streaming.py, any chunking, hypothesis-drawn):

* The stream equals `causal_reference(...)`, the same causal processing of the whole signal in one call of
  `scipy.signal.sosfilt` and `scipy.signal.upfirdn`: windows agree to 1e-9 µV-scale (float64 arithmetic, only
  summation order differs), predictions to float32 round-off.
* `causal_reference` differs from the offline extractor (`NeurIPTFeatureExtractor.__call__`), which is zero-phase,
  in exactly these ways:
  - **filter**: offline runs the chain forward and backward (`sosfiltfilt`, magnitude `|H(f)|²`, no phase shift);
    online runs it once (magnitude `|H(f)|`, phase `∠H(f)`: a frequency-dependent delay). At 10 Hz both pass the
    signal with gain ≈ 1; near the 0.1 Hz and 30 Hz cutoffs online is -3 dB where offline is -6 dB;
  - **resampler delay**: offline removes the FIR's delay; online output sample `m` is offline sample
    `m - resampler_delay` (`resampler_delay` = 11 samples = 172 ms for 256, 250, 160 → 64 Hz; 0 at 64 Hz);
  - **edges and DC**: offline subtracts the recording's mean and pads both ends (odd reflection for the filter,
    `padtype="line"` for the resampler); online can do neither and starts from the first sample's steady state.
    With the high-pass on (`l_freq` set), the DC gain is 0 and a constant offset has no effect on either path.
  For a sinusoid at `f` in the pass band, the online/offline complex amplitude ratio is
  `H(f) · exp(-2πi f · resampler_delay / 64) / |H(f)|²` (tested at 1 Hz and 10 Hz to 1e-3).

Latency of an online prediction = the compute time of a `push` (benchmarks/bench_streaming.py) + the signal path's
delay, `NeurIPTStreamProcessor.group_delay_seconds(f)`: at 256 Hz input ≈ 0.24 s at 1 Hz, 0.20 s at 10 Hz (a 10 Hz
burst is tested to arrive that late, to 3 ms), most of it the resampler's 172 ms.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch

from modeling_neuript.feature_extraction_neuript import (
    NeurIPTFeatureExtractor,
    a_law_compress,
    check_sampling_rate,
    design_filter,
    microvolts_per_unit,
    resampling_factors,
)


def resampler_filter(up: int, down: int) -> tuple[np.ndarray, int]:
    """The FIR filter `scipy.signal.resample_poly(x, up, down)` uses (default Kaiser β = 5 window), pre-padded as it
    pads it, and the delay in output samples that `resample_poly` removes: `(h, delay)`."""
    import scipy.signal

    max_rate = max(up, down)
    half_len = 10 * max_rate
    h = scipy.signal.firwin(2 * half_len + 1, 1.0 / max_rate, window=("kaiser", 5.0)) * up
    n_pre_pad = down - half_len % down
    return np.concatenate([np.zeros(n_pre_pad), h]), (half_len + n_pre_pad) // down


class CausalResampler:
    """Polyphase resampling by `up/down` as a causal FIR filter over a stream, with the state (input history) kept
    between chunks. Output `y[m] = Σ_k h[k] · x_up[m·down − k]` (`x_up`: `x` with `up − 1` zeros after each sample,
    zero before the stream began): exactly `scipy.signal.upfirdn(h, x, up, down)[m]`, whatever the chunking."""

    def __init__(self, up: int, down: int, channels: int):
        self.up, self.down = int(up), int(down)
        if self.up == self.down:  # the identity: no filter, no delay
            self.h, self.delay, self.taps, self.phases = np.ones(1), 0, 1, np.ones((1, 1))
            return
        self.h, self.delay = resampler_filter(self.up, self.down)
        taps = -(-len(self.h) // self.up)  # input samples per output sample
        padded = np.zeros(taps * self.up)
        padded[: len(self.h)] = self.h
        self.phases = padded.reshape(taps, self.up).T  # phases[p, i] = h[p + i·up], weight of x[n_hi − i]
        self.taps = taps
        self.history = np.zeros((channels, taps - 1))  # the last taps − 1 inputs (zeros before the start)
        self.received = 0  # input samples so far
        self.emitted = 0  # output samples so far

    def __call__(self, chunk: np.ndarray) -> np.ndarray:
        """`chunk (C, n)` → the `(C, m)` output samples that became computable."""
        if self.up == self.down:
            return chunk
        buffer = np.concatenate([self.history, chunk], axis=1)  # buffer[:, j] is input sample j + offset
        offset = self.received - (self.taps - 1)
        self.received += chunk.shape[1]
        last = (self.received * self.up - 1) // self.down  # the last output whose newest input has arrived
        outputs = np.arange(self.emitted, last + 1)
        self.emitted = last + 1
        self.history = buffer[:, buffer.shape[1] - (self.taps - 1) :]
        if outputs.size == 0:
            return np.zeros((chunk.shape[0], 0))
        newest = outputs * self.down // self.up  # newest input sample of each output
        phase = outputs * self.down % self.up
        index = (newest - offset)[:, None] - np.arange(self.taps)[None, :]  # (m, taps) into buffer
        return np.einsum("cmt,mt->cm", buffer[:, index], self.phases[phase])


@dataclass
class StreamOutput:
    """One window completed by the stream.

    Attributes:
        end_seconds: time of the window's last 64 Hz sample on the stream's output clock (sample count / 64 Hz);
            the input it reflects is `resampler_delay / 64` s older, plus the filters' phase delay.
        input_values: `(C, T)` float32 model input (A-law-companded µV).
        artifact_amplitude, artifact_flat: the extractor's artifact flags for this window.
        logits, probabilities: `(num_labels,)` when the stream has a model, else `None`.
    """

    end_seconds: float
    input_values: np.ndarray
    artifact_amplitude: bool
    artifact_flat: bool
    logits: Optional[np.ndarray] = None
    probabilities: Optional[np.ndarray] = None


class NeurIPTStreamProcessor:
    """
    Stateful online counterpart of `NeurIPTFeatureExtractor` (+ a classifier): chunks in, a window every hop out.

    Args:
        extractor (`NeurIPTFeatureExtractor`): the preprocessing contract (filters, rate, units, A-law, window).
        channel_names (`list[str]`): names of the rows of every chunk.
        sampling_rate (`float`): rate of the incoming samples, Hz.
        units (`str`, *optional*): units of the chunks (default: the extractor's, volts).
        line_freq (`float`, *optional*): power-line frequency for `notch_freq="auto"` (default: notch 50 and 60 Hz).
        channel_positions (*optional*): positions for names the tables do not know, as for the extractor.
        hop_seconds (`float`, defaults to 0.5): time between windows; `hop_seconds × 64` must be whole.
        model (`NeurIPTForSequenceClassification`, *optional*): run on every window (eval mode, no gradients).
    """

    def __init__(
        self,
        extractor: NeurIPTFeatureExtractor,
        channel_names: Sequence[str],
        sampling_rate: float,
        units: Optional[str] = None,
        line_freq: Optional[float] = None,
        channel_positions=None,
        hop_seconds: float = 0.5,
        model: Optional[torch.nn.Module] = None,
    ):
        import scipy.signal

        self.extractor = extractor
        self.sampling_rate = check_sampling_rate(sampling_rate, "the stream")
        self.to_microvolts = microvolts_per_unit(extractor.units if units is None else units)
        self.input_names = list(channel_names)
        self._check_names(self.input_names)
        names = self.input_names
        if extractor.bipolar_pairs is not None:
            _, names = extractor._rereference(np.zeros((len(names), 1)), names)
        positions, self.channel_names = extractor._resolve_positions(names, channel_positions, None)
        extractor._check_bounds(positions, self.channel_names)
        self.channel_positions = positions.astype(np.float32)

        self.sos = np.array(design_filter(
            self.sampling_rate, extractor.l_freq, extractor.h_freq, extractor.highpass_order, extractor.lowpass_order,
            extractor._notch_freqs(line_freq), extractor.notch_quality,
        ))  # fmt: skip
        self._zi_unit = scipy.signal.sosfilt_zi(self.sos) if len(self.sos) else None
        self.zi = None
        up, down = resampling_factors(self.sampling_rate, extractor.sampling_rate)
        self.resampler = CausalResampler(up, down, len(self.channel_names))
        self.resampler_delay = self.resampler.delay

        rate = extractor.sampling_rate
        hop = hop_seconds * rate
        if hop_seconds <= 0 or abs(hop - round(hop)) > 1e-9:
            raise ValueError(f"hop_seconds × {rate} Hz must be a positive whole number of samples, got {hop}.")
        self.hop_length = int(round(hop))
        self.window_length = extractor.window_length
        self.ring = np.zeros((len(self.channel_names), self.window_length))
        self.produced = 0  # 64 Hz samples so far
        self.model = model.eval() if model is not None else None
        self._positions_tensor = torch.as_tensor(self.channel_positions)[None]

    def _check_names(self, names):
        from modeling_neuript.electrodes_neuript import channel_key

        keys = [channel_key(n) for n in names]
        if not names or len(set(keys)) != len(keys):
            raise ValueError(f"channel_names must be non-empty and name each electrode once, got {names}.")

    # ------------------------------------------------------------------------------------------------------------------
    def preprocess_chunk(self, chunk) -> np.ndarray:
        """Steps 1–3 on one chunk `(channels, n)`: the `(C, m)` new 64 Hz µV samples (m may be 0)."""
        import scipy.signal

        chunk = np.asarray(chunk.detach().cpu() if isinstance(chunk, torch.Tensor) else chunk, dtype=np.float64)
        if chunk.ndim != 2 or chunk.shape[0] != len(self.input_names):
            raise ValueError(
                f"A chunk must be (channels, samples) with {len(self.input_names)} channels ({self.input_names[:4]}...), "
                f"got shape {chunk.shape}."
            )
        if not np.isfinite(chunk).all():
            raise ValueError("The chunk has NaN or inf samples: replace them before streaming (the filter state would "
                             "carry them forever).")
        if chunk.shape[1] == 0:
            return np.zeros((len(self.channel_names), 0))
        signal = chunk * self.to_microvolts
        if self.extractor.bipolar_pairs is not None:
            signal, _ = self.extractor._rereference(signal, self.input_names)
        if len(self.sos):
            if self.zi is None:
                self.zi = self._zi_unit[:, None, :] * signal[None, :, :1]  # steady state of the first sample
            signal, self.zi = scipy.signal.sosfilt(self.sos, signal, axis=-1, zi=self.zi)
        return self.resampler(signal)

    def push(self, chunk) -> list[StreamOutput]:
        """Add a chunk `(channels, n)` of new samples; return the windows it completed (oldest first)."""
        samples = self.preprocess_chunk(chunk)
        outputs = []
        start = 0
        while start < samples.shape[1]:
            # copy up to the next window end into the ring buffer, then emit if a window ends there
            produced = self.produced
            next_end = self._next_window_end(produced)
            take = min(samples.shape[1] - start, next_end - produced)
            piece = samples[:, start : start + take]
            self.ring = np.concatenate([self.ring[:, take:], piece], axis=1) if take < self.window_length else \
                piece[:, -self.window_length:]
            self.produced += take
            start += take
            if self.produced == next_end:
                outputs.append(self._emit())
        return outputs

    def _next_window_end(self, produced: int) -> int:
        """Sample count at which the next window completes (first at `window_length`, then every `hop_length`)."""
        if produced < self.window_length:
            return self.window_length
        return self.window_length + ((produced - self.window_length) // self.hop_length + 1) * self.hop_length

    def _emit(self) -> StreamOutput:
        extractor = self.extractor
        window = self.ring.copy()
        magnitude = np.abs(window)
        values = a_law_compress(window, extractor.alaw_A) if extractor.alaw_A is not None else window
        values = values.astype(np.float32)
        output = StreamOutput(
            end_seconds=(self.produced - 1) / extractor.sampling_rate,
            input_values=values,
            artifact_amplitude=bool((magnitude > extractor.artifact_threshold_uv).any()),
            artifact_flat=bool((magnitude.max(axis=1) < extractor.flat_threshold_uv).any()),
        )
        if self.model is not None:
            with torch.no_grad():
                logits = self.model(torch.as_tensor(values)[None], self._positions_tensor).logits[0]
            output.logits = logits.numpy()
            output.probabilities = torch.softmax(logits.float(), -1).numpy()
        return output

    def group_delay_seconds(self, frequencies) -> np.ndarray:
        """How far behind the input each frequency comes out, in seconds: the causal filter chain's group delay at
        `frequencies` (Hz) plus the resampler's `resampler_delay / 64`. At 256 Hz input with the default contract:
        ≈ 0.24 s at 1 Hz, 0.20 s at 10 Hz, 0.21 s at 20 Hz (filters 68 / 28 / 34 ms + resampler 172 ms)."""
        import scipy.signal

        frequencies = np.atleast_1d(np.asarray(frequencies, dtype=np.float64))
        resampler = self.resampler_delay / self.extractor.sampling_rate
        if not len(self.sos):
            return np.full(frequencies.shape, resampler)
        step = 1e-3  # Hz: the phase's central difference
        _, above = scipy.signal.sosfreqz(self.sos, worN=frequencies + step, fs=self.sampling_rate)
        _, below = scipy.signal.sosfreqz(self.sos, worN=frequencies - step, fs=self.sampling_rate)
        phase_step = np.angle(above / below)  # the phase change over 2·step Hz, free of wrapping
        return -phase_step / (2 * np.pi * 2 * step) + resampler

    def reset(self):
        """Forget the stream (filter state, resampler history, ring buffer): the next chunk starts a new one."""
        self.zi = None
        self.resampler = CausalResampler(self.resampler.up, self.resampler.down, len(self.channel_names))
        self.ring[:] = 0
        self.produced = 0


def causal_reference(
    signal,
    extractor: NeurIPTFeatureExtractor,
    channel_names: Sequence[str],
    sampling_rate: float,
    units: Optional[str] = None,
    line_freq: Optional[float] = None,
    hop_seconds: float = 0.5,
) -> dict:
    """The stream's processing of a whole `(channels, time)` recording in one go, with plain scipy calls
    (`sosfilt` with the first sample's steady state, `upfirdn` with `resample_poly`'s filter): the offline definition
    the stream must equal. Returns `{"continuous": (C, N) µV at 64 Hz, "input_values": (W, C, T) float32,
    "end_seconds": (W,)}` with one window per hop, as `NeurIPTStreamProcessor` emits them."""
    import scipy.signal

    rate = check_sampling_rate(sampling_rate, "the recording")
    names = list(channel_names)
    data = np.asarray(signal, dtype=np.float64) * microvolts_per_unit(extractor.units if units is None else units)
    if extractor.bipolar_pairs is not None:
        data, names = extractor._rereference(data, names)
    sos = np.array(design_filter(rate, extractor.l_freq, extractor.h_freq, extractor.highpass_order,
                                 extractor.lowpass_order, extractor._notch_freqs(line_freq), extractor.notch_quality))
    if len(sos):
        zi = scipy.signal.sosfilt_zi(sos)[:, None, :] * data[None, :, :1]
        data, _ = scipy.signal.sosfilt(sos, data, axis=-1, zi=zi)
    up, down = resampling_factors(rate, extractor.sampling_rate)
    if up != down:
        h, _ = resampler_filter(up, down)
        count = (data.shape[1] * up - 1) // down + 1  # outputs whose newest input exists
        data = scipy.signal.upfirdn(h, data, up, down, axis=-1)[:, :count]
    length, hop = extractor.window_length, int(round(hop_seconds * extractor.sampling_rate))
    ends = np.arange(length, data.shape[1] + 1, hop)
    windows = np.stack([data[:, end - length : end] for end in ends]) if len(ends) else np.zeros((0, len(names), length))
    if extractor.alaw_A is not None:
        windows = a_law_compress(windows, extractor.alaw_A)
    return {"continuous": data, "input_values": windows.astype(np.float32),
            "end_seconds": (ends - 1) / extractor.sampling_rate}


__all__ = ["CausalResampler", "NeurIPTStreamProcessor", "StreamOutput", "causal_reference", "resampler_filter"]
