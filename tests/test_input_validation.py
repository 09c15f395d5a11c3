"""The "Inputs" cases of issue 21, one test each: extreme or mistaken values given to the feature extractor, the
electrode resolver and the model end in a correct result or a ValueError that names the value and the fix — never a
MemoryError after minutes, a scipy message, NaN output, or a silently different result. Real EEG (EEGMMIDB
S001R02) where a recording is needed."""

import math
import warnings

import numpy as np
import pytest
import torch

from helpers import tiny_config
from modeling_neuript import NeurIPTFeatureExtractor, NeurIPTForPretraining, NeurIPTModel
from modeling_neuript.electrode_table_neuript import MONTAGE_POSITIONS
from modeling_neuript.electrodes_neuript import resolve_channel_positions
from modeling_neuript.feature_extraction_neuript import UnitsWarning

NAMES = ["Fp1", "Cz", "O2"]


@pytest.fixture(scope="module")
def eeg(eegmmidb_raw):
    """Three channels of EEGMMIDB S001R02 (volts, 160 Hz, 61 s) as an array."""
    raw = eegmmidb_raw.copy().pick(["Fp1.", "Cz..", "O2.."])
    return raw.get_data(), raw.info["sfreq"]


@pytest.fixture(scope="module")
def extractor():
    return NeurIPTFeatureExtractor()


# ----------------------------------------------------------------------------------------------------------------------
# Feature extractor
# ----------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [1 / 256, 1e-9])
def test_the_sampling_period_passed_as_the_rate_is_refused_at_once(extractor, eeg, rate):
    """It ran 125 s into a MemoryError (1/256) or asked for 9.3 TiB (1e-9)."""
    signal, _ = eeg
    with pytest.raises(ValueError, match=r"below 1 Hz: no EEG is sampled that slowly.*not the sampling period"):
        extractor(signal, channel_names=NAMES, sampling_rate=rate)


@pytest.mark.parametrize("peak, units", [(np.finfo(np.float64).max, "uV"), (1e303, "V")])
def test_amplitudes_no_amplifier_records_are_refused_instead_of_nan(extractor, eeg, peak, units):
    """Both gave NaN output with only numpy warnings."""
    signal, rate = eeg
    hostile = signal / np.abs(signal).max() * peak  # real EEG scaled to that peak
    with pytest.raises(ValueError, match=r"The recording reaches .* µV \(the samples read as .*no amplifier records "
                                         r"EEG.*Check the units"):
        extractor(hostile, channel_names=NAMES, sampling_rate=rate, units=units)


def test_an_unstable_filter_is_refused_naming_its_settings(eeg):
    """highpass_order=1000 gave NaN output with only numpy warnings."""
    signal, rate = eeg
    with pytest.raises(ValueError, match=r"cannot be built stably at 160 Hz: high-pass order 1000 at 0.1 Hz.*Lower "
                                         r"highpass_order"):
        NeurIPTFeatureExtractor(highpass_order=1000)(signal, channel_names=NAMES, sampling_rate=rate)
    with pytest.raises(ValueError, match=r"cannot be built stably.*raise l_freq"):
        NeurIPTFeatureExtractor(l_freq=1e-7)(signal, channel_names=NAMES, sampling_rate=rate)
    features = NeurIPTFeatureExtractor(highpass_order=12)(signal, channel_names=NAMES, sampling_rate=rate)
    assert np.isfinite(features["input_values"].numpy()).all()  # high orders that float64 can run still work


@pytest.mark.parametrize("line_freq", [-50, True, 0, float("nan"), "50"])
def test_line_freq_must_be_a_positive_frequency(extractor, eeg, line_freq):
    """-50 gave scipy's "w0 should be ..."; True silently notched at 1 Hz."""
    signal, rate = eeg
    with pytest.raises(ValueError, match=r"line_freq \(the power-line frequency.*must be a positive number of Hz"):
        extractor(signal, channel_names=NAMES, sampling_rate=rate, line_freq=line_freq)


def test_line_freq_of_an_mne_object_is_checked_with_the_fix(extractor, eegmmidb_raw):
    raw = eegmmidb_raw.copy().pick(["Fp1.", "Cz..", "O2.."])
    with raw.info._unlock():
        raw.info["line_freq"] = -60.0
    with pytest.raises(ValueError, match=r"raw.info\['line_freq'\] = 50"):
        extractor(raw)


def test_channel_positions_as_a_rows_array_equal_the_dict(extractor, eeg):
    signal, rate = eeg
    rows = np.array([MONTAGE_POSITIONS["colin27_1005"][n] for n in NAMES])
    names = ["ch1", "ch2", "ch3"]  # names no table knows: only the positions say where they are
    as_rows = extractor(signal, channel_names=names, sampling_rate=rate, channel_positions=rows)
    as_dict = extractor(signal, channel_names=names, sampling_rate=rate, channel_positions=dict(zip(names, rows)))
    as_names = extractor(signal, channel_names=NAMES, sampling_rate=rate)
    for key in ("input_values", "channel_positions"):
        torch.testing.assert_close(as_rows[key], as_dict[key])
        torch.testing.assert_close(as_rows[key], as_names[key])
    with pytest.raises(ValueError, match=r"must have shape \(channels, 3\) = \(3, 3\).*got ndarray of shape \(2, 3\)"):
        extractor(signal, channel_names=names, sampling_rate=rate, channel_positions=rows[:2])
    with pytest.raises(ValueError, match=r"belong to one call"):
        NeurIPTFeatureExtractor(channel_positions=rows)


def test_microvolts_labelled_volts_in_an_mne_object_have_a_fix(extractor, eegmmidb_raw):
    """The warning advised units='uV', which then raised for mne objects; now units= states what the samples are."""
    raw = eegmmidb_raw.copy().pick(["Fp1.", "Cz..", "O2.."])
    mislabelled = raw.copy()
    mislabelled._data *= 1e6  # a GDF whose µV samples its header calls volts
    with pytest.warns(UnitsWarning, match=r"look like µV that the file's header labels as volts \(pass units='uV'"):
        extractor(mislabelled)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnitsWarning)
        fixed = extractor(mislabelled, units="uV")
    torch.testing.assert_close(fixed["input_values"], extractor(raw)["input_values"], atol=1e-5, rtol=0)


@pytest.mark.parametrize(
    "argument, value, message",
    [
        ("highpass_order", 2.5, "highpass_order must be a whole number"),
        ("lowpass_order", 0, "lowpass_order must be a whole number"),
        ("l_freq", float("nan"), "l_freq must be a finite number"),
        ("notch_freq", True, "notch_freq must be a frequency"),
        ("alaw_A", math.exp(-math.e), "alaw_A must be above exp(-e)"),
        ("artifact_threshold_uv", float("inf"), "artifact_threshold_uv must be positive"),
        ("window_seconds", "4", "window_seconds must be positive"),
        ("position_bounds", (float("nan"), 0.15), "position_bounds must be a finite number"),
    ],
)
def test_every_numeric_setting_is_checked_when_the_extractor_is_built(argument, value, message):
    with pytest.raises(ValueError, match=re_escape(message)):
        NeurIPTFeatureExtractor(**{argument: value})


def re_escape(text: str) -> str:
    import re

    return re.escape(text)


# ----------------------------------------------------------------------------------------------------------------------
# Electrode names
# ----------------------------------------------------------------------------------------------------------------------


def test_egi_names_are_not_given_biosemi_positions():
    names = [f"E{i}" for i in range(1, 33)]
    with pytest.raises(ValueError, match=r"ambiguous: EGI.*GSN-HydroCel-129.*channel_positions='biosemi160'"):
        resolve_channel_positions(names)
    positions, _ = resolve_channel_positions(names, "biosemi160")  # said explicitly: the BioSemi E bank
    np.testing.assert_allclose(positions[0], MONTAGE_POSITIONS["biosemi160"]["E1"])


def test_egi_names_resolve_with_the_nets_montage():
    mne = pytest.importorskip("mne")
    montage = mne.channels.make_standard_montage("GSN-HydroCel-129")
    names = [f"E{i}" for i in range(1, 33)]
    positions, _ = resolve_channel_positions(names, montage)
    assert positions.shape == (32, 3) and np.abs(positions).max() < 0.15


def test_an_ear_referenced_channel_sits_at_its_scalp_electrode():
    colin = MONTAGE_POSITIONS["colin27_1005"]
    positions, names = resolve_channel_positions(["C3-A2", "C4-A1", "Cz-M1", "EEG O1-A1A2"])
    assert names == ["C3", "C4", "Cz", "O1"]
    for row, name in zip(positions, names):
        np.testing.assert_allclose(row, colin[name])
    # a true bipolar pair is still the midpoint, and on a BioSemi cap A2 is a scalp electrode
    positions, _ = resolve_channel_positions(["C3-P3"])
    np.testing.assert_allclose(positions[0], (np.array(colin["C3"]) + np.array(colin["P3"])) / 2)
    positions, _ = resolve_channel_positions(["B1-A2", "D32"])
    bio = MONTAGE_POSITIONS["biosemi128"]
    np.testing.assert_allclose(positions[0], (np.array(bio["B1"]) + np.array(bio["A2"])) / 2)


def test_bci_competition_names_resolve_like_the_other_spellings():
    spellings = [["EEG-Cz", "EEG-C3"], ["EEG Cz", "EEG C3"], ["EEG:Cz", "EEG:C3"], ["Cz", "C3"]]
    resolved = [resolve_channel_positions(names) for names in spellings]
    for positions, names in resolved:
        assert names == ["Cz", "C3"]
        np.testing.assert_array_equal(positions, resolved[-1][0])


# ----------------------------------------------------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def models():
    torch.manual_seed(0)
    config = tiny_config()
    return NeurIPTModel(config).eval(), NeurIPTForPretraining(config).eval()


@pytest.mark.parametrize("magnitude, which", [(1e20, "pretraining"), (3e38, "encoder")])
def test_model_inputs_beyond_its_range_are_refused_instead_of_nan(models, magnitude, which):
    encoder, pretraining = models
    model = pretraining if which == "pretraining" else encoder
    values = torch.randn(2, 3, 64, generator=torch.Generator().manual_seed(0))
    values = values / values.abs().max() * magnitude
    positions = torch.as_tensor(resolve_channel_positions(NAMES)[0], dtype=torch.float32)
    with pytest.raises(ValueError, match=r"beyond the model's range of ±1e\+06.*NeurIPTFeatureExtractor's output"):
        model(values, positions)
    with torch.no_grad():  # at the edge of the range the outputs are finite
        out = model(values / magnitude * 1e6, positions)
    assert torch.isfinite(out.loss if which == "pretraining" else out.last_hidden_state).all()
