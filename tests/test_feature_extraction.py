"""Feature extractor (`modeling_neuript/feature_extraction_neuript.py`): the preprocessing contract, its numbers, its
errors, batching, and the save/load round trip."""

import json
import math
import pathlib
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers import AutoFeatureExtractor, BatchFeature

import modeling_neuript
from modeling_neuript.electrodes_neuript import DOUBLE_BANANA_PAIRS, MONTAGE_POSITIONS
from modeling_neuript.feature_extraction_neuript import (
    NeurIPTFeatureExtractor,
    a_law_compress,
    a_law_expand,
    design_filter,
    resample,
    resampling_factors,
    zero_phase_filter,
)

PACKAGE_DIR = pathlib.Path(modeling_neuript.__file__).parent
COLIN = MONTAGE_POSITIONS["colin27_1005"]
TEN_TWENTY = [
    "Fp1",
    "Fp2",
    "F7",
    "F3",
    "Fz",
    "F4",
    "F8",
    "T7",
    "C3",
    "Cz",
    "C4",
    "T8",
    "P7",
    "P3",
    "Pz",
    "P4",
    "P8",
    "O1",
    "O2",
]


def sine(frequency, rate, seconds, amplitude=1.0, phase=0.0):
    time = np.arange(int(round(rate * seconds))) / rate
    return amplitude * np.sin(2 * np.pi * frequency * time + phase)


def amplitude_at(signal, rate, frequency):
    """Amplitude of one sinusoid by projection (exact for a whole number of periods)."""
    time = np.arange(signal.shape[-1]) / rate
    return 2 * np.abs(signal @ np.exp(-2j * np.pi * frequency * time)) / signal.shape[-1]


def noise(channels, seconds, rate, scale=20e-6, seed=0):
    return np.random.default_rng(seed).normal(scale=scale, size=(channels, int(round(seconds * rate))))


@pytest.fixture(scope="module")
def extractor():
    return NeurIPTFeatureExtractor()


# ----------------------------------------------------------------------------------------------------------------------
# A-law


@pytest.mark.parametrize(
    "microvolts, expected",
    [
        (0.0, 0.0),
        (2.0, 0.25 * 2 / (math.e + math.log(0.25))),  # linear part
        (4.0, 1 / (math.e + math.log(0.25))),  # the knee |x| = 1/A
        (100.0, (1 + math.log(25.0)) / (math.e + math.log(0.25))),
        (-10.0, -(1 + math.log(2.5)) / (math.e + math.log(0.25))),
    ],
)
def test_a_law_matches_the_formula_at_hand_checked_points(microvolts, expected):
    assert a_law_compress(np.array(microvolts)) == pytest.approx(expected, abs=1e-12)
    assert a_law_compress(torch.tensor(microvolts, dtype=torch.float64)).item() == pytest.approx(expected, abs=1e-12)


def test_a_law_hand_values():
    # e + ln 0.25 = 1.3319875; 0.5 / that; 1 / that; (1 + ln 25) / that = 4.2188758 / 1.3319875; (1 + ln 2.5) / that.
    values = a_law_compress(np.array([2.0, 4.0, 100.0, -10.0]))
    np.testing.assert_allclose(values, [0.3753789, 0.7507578, 3.1673540, -1.4386702], atol=5e-7)


def test_a_law_is_continuous_and_odd():
    knee = 1 / 0.25
    below, above = a_law_compress(np.array([knee - 1e-9, knee]))
    assert abs(below - above) < 1e-9
    x = np.linspace(-300, 300, 1001)
    np.testing.assert_allclose(a_law_compress(-x), -a_law_compress(x))
    assert np.all(np.diff(a_law_compress(x)) > 0)


@settings(max_examples=50, derandomize=True, deadline=None)
@given(st.lists(st.floats(-1e4, 1e4, allow_nan=False), min_size=1, max_size=20), st.sampled_from([0.25, 1.0, 87.6]))
def test_property_a_law_expand_inverts_compress(values, A):
    x = np.array(values)
    np.testing.assert_allclose(a_law_expand(a_law_compress(x, A), A), x, rtol=1e-9, atol=1e-9)
    torch_x = torch.tensor(values, dtype=torch.float64)
    assert torch.allclose(a_law_compress(torch_x, A), torch.from_numpy(a_law_compress(x, A)))
    assert torch.allclose(a_law_expand(a_law_compress(torch_x, A), A), torch_x, rtol=1e-9, atol=1e-9)


# ----------------------------------------------------------------------------------------------------------------------
# filters and resampling


@pytest.mark.parametrize(
    "rate, up, down", [(160, 2, 5), (256, 1, 4), (250, 32, 125), (1000, 8, 125), (64, 1, 1), (50, 32, 25)]
)
def test_resampling_factors(rate, up, down):
    assert resampling_factors(rate, 64) == (up, down)


@pytest.mark.parametrize("rate", [50, 100, 160, 250, 256, 500, 1000])
def test_resampling_keeps_a_10_hz_sine(rate):
    """Frequency within 0.01 Hz and amplitude within 0.5% of a 10 Hz sine, away from the edges."""
    resampled = resample(sine(10.0, rate, 60.0, amplitude=50.0)[None], rate, 64)[0]
    assert resampled.shape[-1] == 60 * 64
    core = resampled[5 * 64 : -5 * 64]  # 50 s, a whole number of periods
    spectrum = np.abs(np.fft.rfft(core * np.hanning(core.size), n=8 * core.size))
    peak = np.fft.rfftfreq(8 * core.size, 1 / 64)[spectrum.argmax()]
    assert abs(peak - 10.0) < 0.01
    assert amplitude_at(core, 64, 10.0) == pytest.approx(50.0, rel=5e-3)


def test_band_pass_removes_45_hz_and_keeps_10_hz():
    rate = 256
    signal = sine(10.0, rate, 60.0, 20.0) + sine(45.0, rate, 60.0, 20.0)
    sos = design_filter(float(rate), 0.1, 30.0, 4, 8, (), 30.0)
    filtered = zero_phase_filter(signal[None], sos, padlen=3 * rate * 10)[0][5 * rate : -5 * rate]
    assert amplitude_at(filtered, rate, 10.0) == pytest.approx(20.0, rel=1e-3)
    assert amplitude_at(filtered, rate, 45.0) < 20.0 * 1e-3  # below -60 dB (measured -65 dB)


@pytest.mark.parametrize(
    "frequency, gain, tolerance",
    [(0.02, 0.0, 0.02), (1.0, 1.0, 1e-3), (30.0, 0.5, 0.01), (50.0, 0.0, 1e-4), (60.0, 0.0, 1e-4)],
)
def test_filter_chain_response(frequency, gain, tolerance):
    """Zero-phase Butterworth: -6 dB (0.5) at the 30 Hz cutoff; the notches take 50 and 60 Hz out; 0.02 Hz drift goes."""
    rate = 256
    signal = sine(frequency, rate, 300.0)
    sos = design_filter(float(rate), 0.1, 30.0, 4, 8, (50.0, 60.0), 30.0)
    filtered = zero_phase_filter(signal[None], sos, padlen=3 * rate * 10)[0][100 * rate : -100 * rate]
    assert amplitude_at(filtered, rate, frequency) == pytest.approx(gain, abs=tolerance)


def test_pipeline_keeps_a_10_hz_sine_and_its_rate():
    extractor = NeurIPTFeatureExtractor(alaw_A=None)
    signal = np.stack([sine(10.0, 160, 61.0, 30e-6), sine(10.0, 160, 61.0, 30e-6, phase=1.0)])
    features = extractor(signal, channel_names=["C3", "C4"], sampling_rate=160, return_tensors="np")
    windows = features["input_values"]
    assert windows.shape == (15, 2, 256)  # 61 s at 64 Hz = 3904 samples → 15 full windows of 256
    np.testing.assert_allclose(features["window_start_seconds"], 4.0 * np.arange(15))
    middle = windows[5, 0]  # 4 s = 40 periods at 64 Hz
    assert amplitude_at(middle, 64, 10.0) == pytest.approx(30.0, rel=5e-3)  # µV
    assert amplitude_at(middle, 64, 9.75) < 0.3  # nothing leaks into the neighbouring bin


# ----------------------------------------------------------------------------------------------------------------------
# real recordings


def test_eegmmidb_every_channel_gets_a_position(extractor, eegmmidb_raw):
    features = extractor(eegmmidb_raw)
    assert features["input_values"].shape == (15, 64, 256)
    assert features["input_values"].dtype == torch.float32
    assert torch.isfinite(features["input_values"]).all()
    assert features["channel_mask"].sum().item() == 15 * 64
    names = features["channel_names"][0]
    assert names[:4] == ["FC5", "FC3", "FC1", "FCz"] and len(set(names)) == 64
    expected = torch.tensor([COLIN[name] for name in names], dtype=torch.float32)
    assert torch.equal(features["channel_positions"][0], expected)
    assert torch.equal(features["window_start_seconds"], 4.0 * torch.arange(15, dtype=torch.float64))
    # A-law of µV: bounded by the companded value of the largest plausible amplitude.
    assert features["input_values"].abs().max() < a_law_compress(np.array(1000.0))


def test_face13_through_the_biosemi_cap(extractor, face13_raw):
    features = extractor(face13_raw.copy().crop(0, 120))
    assert features["input_values"].shape == (30, 128, 256)
    assert torch.isfinite(features["input_values"]).all()
    names = features["channel_names"][0]
    assert names[0] == "A1" and names[-1] == "D32"
    expected = torch.tensor([MONTAGE_POSITIONS["biosemi128"][name] for name in names], dtype=torch.float32)
    assert torch.equal(features["channel_positions"][0], expected)
    assert features["channel_positions"][0, 0, 2] > 0.13  # A1 is the vertex, not an earlobe


def test_face13_epochs_are_recordings(face13_raw):
    from modeling_neuript.data.sources import face13_epochs

    epochs = face13_epochs(face13_raw.copy().crop(0, 120), ["face-upright"], tmin=-0.1, tmax=0.9)
    extractor = NeurIPTFeatureExtractor(window_seconds=1.0, l_freq=1.0)
    features = extractor(epochs)
    assert features["input_values"].shape == (len(epochs), 128, 64)
    assert torch.equal(features["window_source"], torch.arange(len(epochs)))
    assert torch.allclose(
        features["window_start_seconds"], torch.full((len(epochs),), epochs.tmin, dtype=torch.float64)
    )


def test_double_banana_is_the_difference_of_monopolar_outputs(eegmmidb_raw):
    """Re-referencing is linear and done first: A-B after the pipeline equals the pipeline on A-B (A-law off)."""
    monopolar = NeurIPTFeatureExtractor(alaw_A=None)(eegmmidb_raw, return_tensors="np")
    bipolar = NeurIPTFeatureExtractor(alaw_A=None, bipolar_pairs="double_banana")(eegmmidb_raw, return_tensors="np")
    assert bipolar["input_values"].shape == (15, 20, 256)
    row = {name: index for index, name in enumerate(monopolar["channel_names"][0])}
    aliases = {"T3": "T7", "T4": "T8", "T5": "P7", "T6": "P8"}
    for index, pair in enumerate(DOUBLE_BANANA_PAIRS):
        a, b = (aliases.get(end, end) for end in pair.split("-"))
        difference = monopolar["input_values"][:, row[a]] - monopolar["input_values"][:, row[b]]
        np.testing.assert_allclose(bipolar["input_values"][:, index], difference, atol=1e-3)  # float32 µV
        midpoint = (np.array(COLIN[a]) + np.array(COLIN[b])) / 2
        np.testing.assert_allclose(bipolar["channel_positions"][0, index], midpoint, atol=1e-7)
    assert bipolar["channel_names"][0][:3] == ["Fp1-F7", "F7-T7", "T7-P7"]  # canonical (10-10) names


def test_non_eeg_and_bad_channels_are_dropped_with_a_message():
    mne = pytest.importorskip("mne")
    from transformers.testing_utils import CaptureLogger
    from transformers.utils import logging

    info = mne.create_info(["Fp1", "Cz", "EOG1", "STI 014", "O2"], 128.0, ["eeg", "eeg", "eog", "stim", "eeg"])
    raw = mne.io.RawArray(noise(5, 10, 128), info, verbose="error")
    raw.info["bads"] = ["O2"]
    logger = logging.get_logger("modeling_neuript.feature_extraction_neuript")
    with CaptureLogger(logger) as captured:
        features = NeurIPTFeatureExtractor()(raw)
    assert "Dropped 3 non-EEG or bad channel(s)" in captured.out and "'EOG1'" in captured.out
    assert features["channel_names"][0] == ["Fp1", "Cz"]


def test_positions_from_the_recordings_montage():
    mne = pytest.importorskip("mne")
    info = mne.create_info(["Fp1", "Cz", "O2"], 128.0, "eeg")
    raw = mne.io.RawArray(noise(3, 10, 128), info, verbose="error")
    raw.set_montage("biosemi64", verbose="error")
    features = NeurIPTFeatureExtractor()(raw, return_tensors="np")
    expected = np.array([MONTAGE_POSITIONS["biosemi64"][name] for name in ("Fp1", "Cz", "O2")])
    np.testing.assert_allclose(features["channel_positions"][0], expected, atol=1e-6)
    # The call's positions win over the montage.
    features = NeurIPTFeatureExtractor()(raw, channel_positions={"Cz": (0.0, 0.0, 0.1)}, return_tensors="np")
    np.testing.assert_allclose(features["channel_positions"][0, 1], [0.0, 0.0, 0.1])


# ----------------------------------------------------------------------------------------------------------------------
# batching and padding


def test_batch_of_two_channel_sets_pads_and_masks(extractor):
    first, second = noise(3, 8.0, 256, seed=1), noise(5, 12.0, 160, seed=2)
    names = [["Fp1", "Cz", "O2"], ["F3", "F4", "C3", "C4", "Pz"]]
    batch = extractor([first, second], channel_names=names, sampling_rate=[256, 160])
    assert batch["input_values"].shape == (2 + 3, 5, 256)
    assert batch["window_source"].tolist() == [0, 0, 1, 1, 1]
    assert batch["channel_mask"].tolist() == [[1, 1, 1, 0, 0]] * 2 + [[1, 1, 1, 1, 1]] * 3
    assert (batch["input_values"][:2, 3:] == extractor.padding_value).all()
    assert (batch["channel_positions"][:2, 3:] == 0).all()
    assert batch["channel_names"][0] == names[0] and batch["channel_names"][4] == names[1]
    # The real part of each window is exactly what the recording gives alone.
    alone = extractor(first, channel_names=names[0], sampling_rate=256)
    assert torch.equal(batch["input_values"][:2, :3], alone["input_values"])
    assert torch.equal(batch["channel_positions"][:2, :3], alone["channel_positions"])
    alone = extractor(second, channel_names=names[1], sampling_rate=160)
    assert torch.equal(batch["input_values"][2:], alone["input_values"])


def test_pad_is_a_data_collator(extractor):
    windows = [
        {"input_values": np.ones((2, 256)), "channel_positions": np.full((2, 3), 0.01), "labels": 1},
        {
            "input_values": torch.ones(4, 256),
            "channel_positions": torch.zeros(4, 3),
            "labels": 0,
            "channel_names": None,
        },
    ]
    windows[1]["channel_names"] = ["a", "b", "c", "d"]
    windows[0]["channel_names"] = ["x", "y"]
    batch = extractor.pad(windows)
    assert isinstance(batch, BatchFeature)
    assert batch["input_values"].shape == (2, 4, 256) and batch["input_values"].dtype == torch.float32
    assert batch["channel_mask"].tolist() == [[1, 1, 0, 0], [1, 1, 1, 1]]
    assert batch["labels"].tolist() == [1, 0] and batch["labels"].dtype == torch.int64
    assert batch["channel_names"] == [["x", "y"], ["a", "b", "c", "d"]]
    # Already padded windows: the mask drops the padding before re-padding.
    again = extractor.pad(
        [{key: batch[key][i] for key in ("input_values", "channel_positions", "channel_mask")} for i in range(2)]
    )
    assert torch.equal(again["input_values"], batch["input_values"])
    # A dict of lists (a `datasets` batch) works too, and numpy comes back with return_tensors="np".
    columns = {
        "input_values": [np.zeros((1, 8)), np.zeros((3, 8))],
        "channel_positions": [np.zeros((1, 3)), np.zeros((3, 3))],
    }
    assert extractor.pad(columns, return_tensors="np")["channel_mask"].tolist() == [[1, 0, 0], [1, 1, 1]]


def test_pad_refuses_time_padding_and_bad_windows(extractor):
    with pytest.raises(ValueError, match="same number of samples"):
        extractor.pad([{"input_values": np.zeros((2, 256)), "channel_positions": np.zeros((2, 3))},
                       {"input_values": np.zeros((2, 128)), "channel_positions": np.zeros((2, 3))}])  # fmt: skip
    with pytest.raises(ValueError, match="empty"):
        extractor.pad([])
    with pytest.raises(ValueError, match=r"\(channels, 3\)"):
        extractor.pad([{"input_values": np.zeros((2, 256)), "channel_positions": np.zeros((3, 3))}])


def test_return_metadata_false_gives_only_model_inputs(extractor):
    features = extractor(noise(2, 8, 128), channel_names=["C3", "C4"], sampling_rate=128, return_metadata=False)
    assert list(features.keys()) == extractor.model_input_names


def test_artifact_flags_per_window():
    extractor = NeurIPTFeatureExtractor()
    rate = 128
    signal = np.stack([sine(10.0, rate, 12.0, 20.0), sine(7.0, rate, 12.0, 20.0)])  # µV, 3 windows
    signal[0, int(5.5 * rate) : int(5.6 * rate)] += 400.0  # a 400 µV burst in window 1
    signal[1, 8 * rate :] = 0.0  # channel 2 flat in window 2
    features = extractor(signal, channel_names=["Fz", "Pz"], sampling_rate=rate, units="uV")
    assert features["artifact_amplitude"].tolist() == [False, True, False]
    assert features["artifact_flat"].tolist() == [False, False, True]


def test_notch_auto_uses_the_line_frequency_when_known():
    extractor = NeurIPTFeatureExtractor()
    assert extractor._notch_freqs(60.0) == (60.0,)
    assert extractor._notch_freqs(None) == (50.0, 60.0)
    assert NeurIPTFeatureExtractor(notch_freq=50)._notch_freqs(60.0) == (50.0,)
    assert NeurIPTFeatureExtractor(notch_freq=None)._notch_freqs(60.0) == ()


def test_window_stride():
    extractor = NeurIPTFeatureExtractor(window_stride_seconds=1.0)
    features = extractor(noise(2, 10, 128), channel_names=["C3", "C4"], sampling_rate=128)
    assert features["window_start_seconds"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert torch.equal(features["input_values"][1, :, :192], features["input_values"][0, :, 64:])


# ----------------------------------------------------------------------------------------------------------------------
# save / load


def test_round_trip_through_auto_feature_extractor(tmp_path, eegmmidb_raw):
    extractor = NeurIPTFeatureExtractor(
        bipolar_pairs="double_banana", window_stride_seconds=2.0, notch_freq=[50.0], l_freq=0.5,
        channel_positions={"X1": (0.01, 0.02, 0.03)},
    )  # fmt: skip
    extractor.save_pretrained(tmp_path)
    assert {"preprocessor_config.json", "feature_extraction_neuript.py", "electrodes_neuript.py"} <= {
        p.name for p in tmp_path.iterdir()
    }
    saved = json.loads((tmp_path / "preprocessor_config.json").read_text())
    assert saved["auto_map"] == {"AutoFeatureExtractor": "feature_extraction_neuript.NeurIPTFeatureExtractor"}
    for field in ("sampling_rate", "window_seconds", "l_freq", "h_freq", "notch_freq", "bipolar_pairs", "units",
                  "alaw_A", "artifact_threshold_uv", "flat_threshold_uv", "position_bounds"):  # fmt: skip
        assert field in saved
    loaded = AutoFeatureExtractor.from_pretrained(tmp_path)
    assert type(loaded) is NeurIPTFeatureExtractor
    assert loaded.to_dict() == extractor.to_dict()
    before, after = extractor(eegmmidb_raw), loaded(eegmmidb_raw)
    assert before.keys() == after.keys()
    for key in before:
        if isinstance(before[key], torch.Tensor):
            assert torch.equal(before[key], after[key]), key
        else:
            assert before[key] == after[key], key


def test_defaults_are_the_paper_contract():
    contract = NeurIPTFeatureExtractor().to_dict()
    assert contract["sampling_rate"] == 64 and contract["window_seconds"] == 4.0
    assert (contract["l_freq"], contract["h_freq"]) == (0.1, 30.0)
    assert contract["alaw_A"] == 0.25 and contract["artifact_threshold_uv"] == 100.0
    assert contract["flat_threshold_uv"] == 3.0 and contract["window_stride_seconds"] is None


def test_fresh_environment_loads_with_trust_remote_code(tmp_path):
    """Where the package is not importable, the saved folder alone runs (and only scipy is needed to process)."""
    NeurIPTFeatureExtractor(window_seconds=2.0).save_pretrained(tmp_path / "checkpoint")
    script = textwrap.dedent(
        f"""
        import importlib.abc, sys
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("modeling_neuript", "mne"):
                    raise ImportError("blocked: " + name)
        sys.meta_path.insert(0, Block())
        import numpy as np
        from transformers import AutoFeatureExtractor
        extractor = AutoFeatureExtractor.from_pretrained({str(tmp_path / "checkpoint")!r}, trust_remote_code=True)
        features = extractor(np.random.default_rng(0).normal(scale=1e-5, size=(2, 1000)), channel_names=["C3", "T4"],
                             sampling_rate=250)
        print(type(extractor).__module__, tuple(features["input_values"].shape))
        """
    )
    environment = {"HF_HUB_OFFLINE": "1", "HF_MODULES_CACHE": str(tmp_path / "modules"), "PATH": ""}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "transformers_modules" in result.stdout and "(2, 2, 128)" in result.stdout


def test_bundle_imports_without_scipy(tmp_path):
    script = textwrap.dedent(
        f"""
        import sys, types
        sys.modules["scipy"] = None
        sys.modules["scipy.signal"] = None
        package = types.ModuleType("bundle")  # the bundle folder alone, without the package's __init__
        package.__path__ = [{str(PACKAGE_DIR)!r}]
        sys.modules["bundle"] = package
        import numpy as np
        from bundle.feature_extraction_neuript import NeurIPTFeatureExtractor
        try:
            NeurIPTFeatureExtractor()(np.zeros((1, 512)) + 1e-5, channel_names=["Cz"], sampling_rate=128)
        except ImportError as error:
            print("ImportError:", error)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "ImportError: NeurIPTFeatureExtractor filters and resamples with scipy" in result.stdout


# ----------------------------------------------------------------------------------------------------------------------
# errors


def test_nan_and_inf_name_the_channel_and_count(extractor):
    signal = noise(3, 8, 128)
    signal[1, [5, 9]] = np.nan
    signal[2, 100] = np.inf
    with pytest.raises(ValueError, match=r"NaN or inf.*'Cz': 2, 'O2': 1"):
        extractor(signal, channel_names=["Fp1", "Cz", "O2"], sampling_rate=128)


@pytest.mark.parametrize(
    "factor, units, hint",
    [(1.0, "uV", "look like volts passed with units='uV'"), (1e6, "V", "look like µV passed with units='V'")],
)
def test_wrong_units_warn(extractor, factor, units, hint):
    signal = noise(2, 8, 128, scale=20e-6) * factor  # 20 µV EEG written in the wrong unit (volts, or µV numbers)
    with pytest.warns(UserWarning, match=hint):
        extractor(signal, channel_names=["C3", "C4"], sampling_rate=128, units=units)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        extractor(noise(2, 8, 128), channel_names=["C3", "C4"], sampling_rate=128, units="V")


def test_too_short_says_the_minimum(extractor):
    with pytest.raises(ValueError, match=r"too short: 500 samples at 128 Hz = 3.906 s.*4 s \(at least 512 samples"):
        extractor(noise(2, 500 / 128, 128), channel_names=["C3", "C4"], sampling_rate=128)


@pytest.mark.parametrize(
    "names, message",
    [
        (["Fp1", "FP1", "Cz"], "Duplicate channels.*'Fp1' and 'FP1'"),
        (["T3", "T7", "Cz"], "Duplicate channels.*'T3' and 'T7'"),
        (["Fp1", "EKG", "Resp"], r"No electrode position for 2 channel\(s\): \['EKG', 'Resp'\].*channel_positions="),
        (["Fp1", "Cz"], "Got 2 channel_names for 3 channels"),
    ],
)
def test_channel_name_errors(extractor, names, message):
    with pytest.raises(ValueError, match=message):
        extractor(noise(3, 8, 128), channel_names=names, sampling_rate=128)


@pytest.mark.parametrize("rate", [None, "256", True, -256, 0, float("nan"), float("inf"), [256, 128]])
def test_sampling_rate_is_required_and_a_positive_number(extractor, rate):
    with pytest.raises(ValueError, match="sampling_rate"):
        extractor(noise(2, 8, 128), channel_names=["C3", "C4"], sampling_rate=rate)


def test_mne_rate_mismatch(extractor, eegmmidb_raw):
    with pytest.raises(ValueError, match="does not match the mne object's info\\['sfreq'\\] = 160.0"):
        extractor(eegmmidb_raw, sampling_rate=256)
    with pytest.raises(ValueError, match="read from mne objects"):
        extractor(eegmmidb_raw, channel_names=eegmmidb_raw.ch_names)


@pytest.mark.parametrize(
    "raw_eeg, message",
    [
        (None, "empty"),
        ([], "empty list"),
        (np.zeros((0, 1024)), "empty"),
        (np.zeros((2, 0)), "empty"),
        (np.zeros(1024), r"2-D array \(channels, time\)"),
        (np.zeros((1, 1, 2, 1024)), r"2-D array \(channels, time\)"),
        ("Cz", "must be a \\(channels, time\\)"),
        ([["a", "b"]], "numeric"),
    ],
)
def test_malformed_inputs(extractor, raw_eeg, message):
    with pytest.raises(ValueError, match=message):
        extractor(raw_eeg, channel_names=["C3", "C4"], sampling_rate=128)


def test_positions_in_millimetres_are_refused(extractor):
    with pytest.raises(ValueError, match=r"outside the model's head cube \[-0.15, 0.15\] m.*not millimetres"):
        extractor(noise(1, 8, 128), channel_names=["X"], sampling_rate=128, channel_positions={"X": (0.0, 20.0, 90.0)})


def test_missing_bipolar_electrodes_are_listed():
    extractor = NeurIPTFeatureExtractor(bipolar_pairs=["Fp1-F7", "C3-Q4"])
    with pytest.raises(ValueError, match=r"does not have: \['F7', 'Q4'\]"):
        extractor(noise(2, 8, 128), channel_names=["Fp1", "C3"], sampling_rate=128)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"window_seconds": 4.01}, "whole number of samples"),
        ({"l_freq": 40.0}, "must be below h_freq"),
        ({"h_freq": 40.0}, "Nyquist"),
        ({"units": "volts"}, "units must be one of"),
        ({"bipolar_pairs": "banana"}, "double_banana"),
        ({"bipolar_pairs": ["Fp1F7"]}, "'A-B'"),
        ({"notch_freq": "always"}, "notch_freq"),
        ({"position_bounds": (0.1, -0.1)}, "position_bounds"),
    ],
)
def test_bad_configuration(kwargs, message):
    with pytest.raises(ValueError, match=message):
        NeurIPTFeatureExtractor(**kwargs)


# ----------------------------------------------------------------------------------------------------------------------
# properties


decorations = st.sampled_from(["{}", "EEG {}", "{}-REF", "EEG {}-LE", "{}.", "{}..", " {} "])


@settings(max_examples=30, derandomize=True, deadline=None)
@given(
    channels=st.lists(st.sampled_from(TEN_TWENTY), min_size=1, max_size=6, unique=True),
    rate=st.sampled_from([64, 100, 128, 160, 200, 250, 256, 500]),
    seconds=st.floats(4.0, 13.0),
    decoration=decorations,
    upper=st.booleans(),
)
def test_property_random_shapes_and_names(channels, rate, seconds, decoration, upper):
    extractor = NeurIPTFeatureExtractor()
    samples = max(int(math.ceil(4.0 * rate)), int(seconds * rate))
    signal = noise(len(channels), samples / rate, rate)[:, :samples]
    names = [decoration.format(name.upper() if upper else name) for name in channels]
    features = extractor(signal, channel_names=names, sampling_rate=rate, return_tensors="np")
    up, down = resampling_factors(rate, 64)
    expected_windows = math.ceil(samples * up / down) // 256
    assert features["input_values"].shape == (expected_windows, len(channels), 256)
    assert np.isfinite(features["input_values"]).all()
    assert (features["channel_mask"] == 1).all()
    np.testing.assert_array_equal(
        features["channel_positions"][0], np.array([COLIN[name] for name in channels], dtype=np.float32)
    )
    assert features["channel_names"][0] == channels


@settings(max_examples=15, derandomize=True, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 5), st.integers(0, 3)), min_size=1, max_size=3))
def test_property_batch_equals_recordings_alone(specs):
    extractor = NeurIPTFeatureExtractor()
    recordings, names = [], []
    for index, (count, offset) in enumerate(specs):
        recordings.append(noise(count, 4 + 4 * (index % 2), 128, seed=index))
        names.append(TEN_TWENTY[offset : offset + count])
    batch = extractor(recordings, channel_names=names, sampling_rate=128, return_tensors="np")
    widest = max(count for count, _ in specs)
    assert batch["input_values"].shape[1] == widest
    for source, (signal, channel_names) in enumerate(zip(recordings, names)):
        alone = extractor(signal, channel_names=channel_names, sampling_rate=128, return_tensors="np")
        rows = batch["window_source"] == source
        count = len(channel_names)
        np.testing.assert_array_equal(batch["input_values"][rows][:, :count], alone["input_values"])
        assert (batch["channel_mask"][rows].sum(axis=1) == count).all()
        assert (batch["channel_positions"][rows][:, count:] == 0).all()


def test_preprocess_recording_leaves_the_input_alone(extractor):
    signal = noise(2, 8, 128) + 5e-3  # a DC offset the pipeline removes
    before = signal.copy()
    processed = extractor.preprocess_recording(signal, ["C3", "C4"], 128)
    np.testing.assert_array_equal(signal, before)
    assert processed["input_values"].shape == (2, 2, 256) and processed["channel_names"] == ["C3", "C4"]
    assert abs(float(processed["input_values"].mean())) < 0.1  # the 5 mV offset is gone
