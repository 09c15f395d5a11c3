"""Streaming inference: any chunking of a real recording gives the windows and predictions of the causal offline
reference; how that causal path differs from the zero-phase offline extractor, in numbers."""

import numpy as np
import pytest
import scipy.signal
import torch
from helpers import tiny_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modeling_neuript import NeurIPTFeatureExtractor, NeurIPTForSequenceClassification
from modeling_neuript.feature_extraction_neuript import design_filter
from modeling_neuript.interop.streaming import CausalResampler, NeurIPTStreamProcessor, causal_reference

EEGMMIDB_CHANNELS = ["Fc5.", "C3..", "Cz..", "Pz..", "O1.."]


@pytest.fixture(scope="module")
def eegmmidb_segment(eegmmidb_raw):
    """14 s of 5 EEGMMIDB channels, volts, 160 Hz."""
    raw = eegmmidb_raw.copy().pick(EEGMMIDB_CHANNELS)
    return raw.get_data(stop=14 * 160), list(raw.ch_names)


def stream_all(stream, signal, sizes):
    """Push `signal` in chunks of the given sizes (cycled), return every output."""
    outputs, start, index = [], 0, 0
    while start < signal.shape[1]:
        size = sizes[index % len(sizes)]
        outputs += stream.push(signal[:, start : start + size])
        start, index = start + size, index + 1
    return outputs


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=12),
       hop=st.sampled_from([0.25, 0.5, 1.0]))
def test_any_chunking_equals_the_causal_reference(eegmmidb_segment, sizes, hop):
    signal, names = eegmmidb_segment
    extractor = NeurIPTFeatureExtractor()
    stream = NeurIPTStreamProcessor(extractor, names, 160, line_freq=60, hop_seconds=hop)
    outputs = stream_all(stream, signal, sizes)
    reference = causal_reference(signal, extractor, names, 160, line_freq=60, hop_seconds=hop)
    assert len(outputs) == len(reference["input_values"]) == int((14 * 64 - 256) // (hop * 64)) + 1
    np.testing.assert_allclose(np.stack([o.input_values for o in outputs]), reference["input_values"], rtol=0,
                               atol=1e-6)
    np.testing.assert_allclose([o.end_seconds for o in outputs], reference["end_seconds"])
    # artifact flags as the extractor computes them, on the µV window
    microvolts = np.stack([reference["continuous"][:, round(e * 64) + 1 - 256 : round(e * 64) + 1]
                           for e in reference["end_seconds"]])
    assert [o.artifact_amplitude for o in outputs] == list((np.abs(microvolts) > 100).any(axis=(1, 2)))


def test_causal_resampler_is_resample_poly_delayed():
    """Chunked, the resampler equals scipy's upfirdn with resample_poly's filter, i.e. resample_poly shifted by
    `delay` output samples (away from the signal's ends)."""
    rng = np.random.default_rng(0)
    signal = rng.normal(size=(2, 3000))
    for up, down in [(1, 4), (2, 5), (32, 125), (3, 2)]:
        resampler = CausalResampler(up, down, 2)
        pieces = [resampler(signal[:, a:b]) for a, b in [(0, 1), (1, 777), (777, 778), (778, 3000)]]
        online = np.concatenate(pieces, axis=1)
        assert online.shape[1] == (3000 * up - 1) // down + 1
        offline = scipy.signal.resample_poly(signal, up, down, axis=-1, padtype="constant")
        d = resampler.delay
        interior = slice(0, online.shape[1] - d - 60)
        np.testing.assert_allclose(online[:, d:][:, interior], offline[:, interior], atol=1e-12)


def test_streamed_predictions_on_face13(face13_raw):
    channels = ["A15", "A28", "B7", "B26", "C5", "C17", "D17", "D23"]
    raw = face13_raw.copy().pick(channels)
    signal = raw.get_data(start=60 * 256, stop=80 * 256)  # 20 s at 256 Hz
    torch.manual_seed(0)
    model = NeurIPTForSequenceClassification(tiny_config(num_labels=2)).eval()
    extractor = NeurIPTFeatureExtractor()
    stream = NeurIPTStreamProcessor(extractor, channels, 256, line_freq=60, hop_seconds=1.0, model=model)
    outputs = stream_all(stream, signal, [100, 37, 256, 1])
    reference = causal_reference(signal, extractor, channels, 256, line_freq=60, hop_seconds=1.0)
    assert len(outputs) == len(reference["input_values"]) == 17  # (20·64 − 256) // 64 + 1
    with torch.no_grad():
        expected = model(torch.as_tensor(reference["input_values"]),
                         torch.as_tensor(stream.channel_positions)).logits.softmax(-1).numpy()
    np.testing.assert_allclose(np.stack([o.probabilities for o in outputs]), expected, rtol=1e-4, atol=1e-5)
    # reset() starts a new stream: the same chunks give the same outputs again
    stream.reset()
    again = stream_all(stream, signal, [512])
    np.testing.assert_allclose(np.stack([o.probabilities for o in again]), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("frequency", [1.0, 10.0])
def test_how_streaming_differs_from_the_zero_phase_extractor(frequency):
    """For a sinusoid, online / offline complex amplitude = H(f)·exp(−2πif·delay/64) / |H(f)|²: the zero-phase
    extractor applies |H|² without phase, the stream H once plus the resampler's delay."""
    rate, seconds = 160, 60
    t = np.arange(rate * seconds) / rate
    signal = np.stack([20 * np.sin(2 * np.pi * frequency * t + 0.3), 10 * np.cos(2 * np.pi * frequency * t)])
    names = ["C3", "C4"]
    extractor = NeurIPTFeatureExtractor()
    online = causal_reference(signal, extractor, names, rate, units="uV", line_freq=60)["continuous"]
    whole = NeurIPTFeatureExtractor(window_seconds=59, alaw_A=None)  # one window of 59 s
    offline = whole(signal, channel_names=names, sampling_rate=rate, units="uV", line_freq=60,
                    return_tensors="np")["input_values"][0]
    segment = slice(20 * 64, 50 * 64)  # away from both ends; a whole number of periods
    phasor = np.exp(-2j * np.pi * frequency * np.arange(online.shape[1]) / 64)[segment]
    ratio = (online[:, segment] * phasor).sum(1) / (offline[:, segment] * phasor).sum(1)
    sos = np.array(design_filter(rate, 0.1, 30.0, 4, 8, (60.0,), 30.0))
    response = scipy.signal.sosfreqz(sos, worN=[frequency], fs=rate)[1][0]
    expected = response * np.exp(-2j * np.pi * frequency * 11 / 64) / abs(response) ** 2
    np.testing.assert_allclose(ratio, [expected, expected], rtol=1e-3)
    assert abs(np.angle(expected)) > 0.2  # the difference is real: a phase shift of > 11° at these frequencies


def test_stream_input_errors():
    extractor = NeurIPTFeatureExtractor()
    stream = NeurIPTStreamProcessor(extractor, ["C3", "C4"], 256)
    with pytest.raises(ValueError, match="2 channels"):
        stream.push(np.zeros((3, 10)))
    with pytest.raises(ValueError, match="NaN or inf"):
        stream.push(np.full((2, 10), np.nan))
    with pytest.raises(ValueError, match="whole number of samples"):
        NeurIPTStreamProcessor(extractor, ["C3", "C4"], 256, hop_seconds=0.01)
    with pytest.raises(ValueError, match="each electrode once"):
        NeurIPTStreamProcessor(extractor, ["C3", "c3"], 256)
    assert stream.push(np.zeros((2, 0))) == []


def test_group_delay_is_how_late_a_burst_arrives():
    """A narrow-band 10 Hz burst leaves the stream `group_delay_seconds(10)` after it entered (filters + resampler)."""
    rate = 160
    t = np.arange(30 * rate) / rate
    burst = 20 * np.exp(-0.5 * ((t - 15) / 1.0) ** 2) * np.sin(2 * np.pi * 10 * t)
    extractor = NeurIPTFeatureExtractor()
    stream = NeurIPTStreamProcessor(extractor, ["Cz"], rate, units="uV", line_freq=60)
    online = causal_reference(burst[None], extractor, ["Cz"], rate, units="uV", line_freq=60)["continuous"][0]
    energy = np.abs(scipy.signal.hilbert(online)) ** 2
    arrival = (energy * np.arange(len(online)) / 64).sum() / energy.sum()  # centre of the output envelope
    delay = float(stream.group_delay_seconds(10.0)[0])
    assert 0.19 < delay < 0.21  # 28 ms of filters + 11 samples (172 ms) of resampler
    assert abs((arrival - 15.0) - delay) < 0.003
