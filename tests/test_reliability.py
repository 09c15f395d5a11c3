"""Hostile input: hypothesis properties over `NeurIPTFeatureExtractor` and the models (random shapes, dtypes, channel
names known / unknown / duplicated / aliased / bipolar, sampling rates, lengths down to less than one window, NaN/inf,
constant signals, volts-vs-µV mistakes). Every generated case either gives outputs whose shapes and values follow
from the inputs, or a documented `ValueError` whose message names the problem — checked against an independent
oracle, so an error for a valid input fails as surely as a crash does. Fixed seed (`derandomize=True`): CI sees the
same cases every run. The number of cases run is printed in the reliability summary line."""

import math
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import tiny_config
from modeling_neuript import (
    NeurIPTFeatureExtractor,
    NeurIPTForPretraining,
    NeurIPTForSequenceClassification,
    NeurIPTModel,
)
from modeling_neuript.electrodes_neuript import channel_key, resolve_channel_positions
from modeling_neuript.feature_extraction_neuript import MAX_ABS_MICROVOLTS, a_law_compress, resampling_factors
from reliability_registry import PEAK_RSS_MIB, count

SETTINGS = dict(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

KNOWN = ["Fp1", "Fp2", "F3", "F4", "C3", "C4", "P3", "P4", "O1", "O2", "F7", "F8", "T7", "T8", "Fz", "Cz", "Pz", "Oz",
         "FC5", "AF3", "A1"]
BIOSEMI = ["A1", "A2", "A19", "B12", "C7", "D32"]  # a BioSemi cap is recognised when every name is one of its own
ALIASES = ["T3", "T4", "T5", "T6", "EEG FP1-REF", "Fc5.", "cz", "EEG O2-LE", "fp2", "  Pz "]  # each names a KNOWN site
BIPOLAR = ["Fp1-F7", "F7-T3", "C3-P3", "Fz-Cz", "O1-O2", "T4-T6"]
UNKNOWN = ["XYZ", "Chan7", "EMG1", "foo-bar", "Fp1-Nope", ""]
UNITS = {"V": 1e-6, "mV": 1e-3, "uV": 1.0}  # one µV in each unit
DTYPES = ["float64", "float32", "float16", "int16", "int32", "bool", "complex128", "torch.float32", "torch.float64",
          "torch.bfloat16", "list"]
RATES = [1.0, 2.5, 50.0, 64.0, 100.0, 128.0, 160.0, 173.61, 200.0, 250.0, 256.0, 500.0, 512.0, 1000.0]


def expected_windows(samples: int, rate: float, extractor: NeurIPTFeatureExtractor) -> int:
    up, down = resampling_factors(rate, extractor.sampling_rate)
    length = samples if up == down else math.ceil(samples * up / down)
    if length < extractor.window_length:
        return 0
    return (length - extractor.window_length) // extractor.window_stride + 1


def convert(signal: np.ndarray, dtype: str):
    """The signal as the user might hand it over."""
    if dtype == "list":
        return signal.tolist()
    if dtype.startswith("torch."):
        return torch.from_numpy(signal).to(getattr(torch, dtype.split(".")[1]))
    if dtype in ("int16", "int32"):
        info = np.iinfo(dtype)
        return np.clip(np.nan_to_num(signal, nan=0, posinf=info.max, neginf=info.min), info.min, info.max).astype(dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        return signal.astype(dtype)


def as_float64(data) -> np.ndarray:
    if isinstance(data, torch.Tensor):
        return data.double().numpy()
    return np.asarray(data).astype(np.float64) if not np.iscomplexobj(data) else np.asarray(data)


@st.composite
def recordings(draw):
    names = draw(st.lists(st.sampled_from(KNOWN + ALIASES + BIPOLAR + UNKNOWN), min_size=1, max_size=6))
    if draw(st.booleans()):  # mostly valid montages, so the success path is well covered
        names = draw(st.lists(st.sampled_from(draw(st.sampled_from([KNOWN, KNOWN, BIOSEMI]))), min_size=1, max_size=6,
                              unique=True))
    rate = draw(st.one_of(st.sampled_from(RATES), st.floats(16.0, 1100.0)))
    window_seconds = draw(st.sampled_from([0.25, 1.0, 2.0, 4.0]))
    seconds = draw(st.floats(0.05, 10.0))
    samples = max(1, int(round(seconds * rate)))
    true_units = draw(st.sampled_from(sorted(UNITS)))
    passed_units = true_units if draw(st.integers(0, 3)) else draw(st.sampled_from(sorted(UNITS)))
    kind = draw(st.sampled_from(["noise", "noise", "noise", "constant", "zeros", "sine", "spikes"]))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    channels = len(names)
    if kind == "noise":
        microvolts = rng.normal(scale=20.0, size=(channels, samples)) + rng.normal(scale=50.0, size=(channels, 1))
    elif kind == "constant":
        microvolts = np.repeat(rng.normal(scale=1e3, size=(channels, 1)), samples, axis=1)
    elif kind == "zeros":
        microvolts = np.zeros((channels, samples))
    elif kind == "sine":
        t = np.arange(samples) / rate
        microvolts = 40.0 * np.sin(2 * np.pi * rng.uniform(0.5, 20.0, size=(channels, 1)) * t)
    else:
        microvolts = rng.normal(scale=5.0, size=(channels, samples))
        microvolts[:, rng.integers(0, samples, size=3)] = 5e3
    signal = microvolts * UNITS[true_units]
    bad = draw(st.sampled_from([None, None, None, np.nan, np.inf, -np.inf]))
    if bad is not None:
        signal[rng.integers(0, channels), rng.integers(0, samples)] = bad
    dtype = draw(st.sampled_from(DTYPES))
    return dict(names=names, rate=rate, window_seconds=window_seconds, units=passed_units, true_units=true_units,
                kind=kind, data=convert(signal, dtype), dtype=dtype)


def oracle_error(case, extractor) -> str | None:
    """The `ValueError` message fragment the extractor must raise for this case, or None if it must succeed."""
    if case["dtype"] == "complex128":
        return "complex"
    keys = [channel_key(name) for name in case["names"]]
    if len(set(keys)) != len(keys):
        return "Duplicate channels"
    signal = as_float64(case["data"])
    if not np.isfinite(signal).all():
        return "NaN or inf samples"
    if signal.shape[1] / case["rate"] < extractor.window_seconds or signal.shape[1] < 2:
        return "too short"
    if np.abs(signal).max() / UNITS[case["units"]] > MAX_ABS_MICROVOLTS:  # e.g. inf stored as int32's largest value
        return "no amplifier records EEG"
    try:
        resolve_channel_positions(case["names"])
    except ValueError as error:
        assert "No electrode position" in str(error)
        return "No electrode position"
    return None


@settings(max_examples=650, **SETTINGS)
@given(case=recordings())
def test_feature_extractor_survives_any_recording(case):
    count("cases")
    extractor = NeurIPTFeatureExtractor(window_seconds=case["window_seconds"])
    expected_error = oracle_error(case, extractor)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            features = extractor(case["data"], channel_names=case["names"], sampling_rate=case["rate"],
                                 units=case["units"], return_tensors="np")
        except ValueError as error:
            assert expected_error is not None, f"unexpected ValueError: {error}"
            assert expected_error in str(error), f"expected {expected_error!r}, got: {error}"
            return
    assert expected_error is None, f"expected a ValueError naming {expected_error!r}"

    signal = as_float64(case["data"])
    channels, samples = signal.shape
    windows = expected_windows(samples, case["rate"], extractor)
    values = features["input_values"]
    assert values.shape == (windows, channels, extractor.window_length) and values.dtype == np.float32
    assert np.isfinite(values).all()
    positions, _ = resolve_channel_positions(case["names"])
    np.testing.assert_allclose(features["channel_positions"], np.broadcast_to(positions, (windows, channels, 3)),
                               atol=1e-7)
    assert (features["channel_mask"] == 1).all()
    np.testing.assert_allclose(features["window_start_seconds"],
                               np.arange(windows) * extractor.window_stride / extractor.sampling_rate)
    # A-law output never exceeds the companded largest input amplitude (µV), filters ringing included (x 4).
    peak = np.abs(signal).max() * UNITS[case["units"]] ** -1 * 4 + 1
    assert np.abs(values).max() <= a_law_compress(np.array(peak)) + 1e-6
    if (signal == signal[:, :1]).all():  # constant channels: nothing but the mean, which is removed
        assert np.abs(values).max() < 1e-4 and features["artifact_flat"].all()
    unit_warnings = [w for w in caught if "unit conversion" in str(w.message)]
    clean = case["kind"] in ("noise", "sine") and case["dtype"] in ("float64", "float32", "torch.float64")
    if clean and case["units"] == "uV" and case["true_units"] == "V":
        assert any("look like volts" in str(w.message) for w in unit_warnings)
    elif clean and case["units"] == "V" and case["true_units"] == "uV":
        assert any("look like µV" in str(w.message) for w in unit_warnings)
    elif clean and case["units"] == case["true_units"]:
        assert not unit_warnings


@settings(max_examples=80, **SETTINGS)
@given(
    lengths=st.lists(st.integers(256, 900), min_size=1, max_size=3),
    montages=st.lists(st.lists(st.sampled_from(KNOWN), min_size=1, max_size=5, unique=True), min_size=3, max_size=3),
    seed=st.integers(0, 2**16),
)
def test_a_batch_of_recordings_is_the_concatenation_of_each_one(lengths, montages, seed):
    """Different montages and lengths in one call: each recording's windows equal a call on it alone; padded
    channels are masked and hold the padding value."""
    count("cases")
    extractor = NeurIPTFeatureExtractor(window_seconds=1.0)
    rng = np.random.default_rng(seed)
    signals = [rng.normal(scale=20e-6, size=(len(montages[i]), n)) for i, n in enumerate(lengths)]
    names = montages[: len(signals)]
    batch = extractor(signals, channel_names=names, sampling_rate=128, return_tensors="np")
    width = max(len(n) for n in names)
    assert batch["input_values"].shape[1] == width
    for source, (signal, montage) in enumerate(zip(signals, names)):
        alone = extractor(signal, channel_names=montage, sampling_rate=128, return_tensors="np")
        rows = batch["window_source"] == source
        np.testing.assert_array_equal(batch["input_values"][rows, : len(montage)], alone["input_values"])
        assert (batch["input_values"][rows, len(montage):] == 0).all()
        assert (batch["channel_mask"][rows].sum(1) == len(montage)).all()


@settings(max_examples=120, **SETTINGS)
@given(
    window=st.sampled_from([0.5, 1.0, 4.0, 0.3, -1.0, 4.01]),
    stride=st.sampled_from([None, 0.5, 2.0, 0.0, 0.013]),
    l_freq=st.sampled_from([None, 0.1, 1.0, 0.0, -1.0, 40.0]),
    h_freq=st.sampled_from([None, 30.0, 10.0, 32.0, 50.0]),
    notch=st.sampled_from(["auto", None, 50.0, [50.0, 60.0], "sixty", [-5.0]]),
    alaw=st.sampled_from([0.25, None, 1.0, 0.0]),
    units=st.sampled_from(["V", "uV", "µV", "volts"]),
    bipolar=st.sampled_from([None, "double_banana", ["Fp1-F7", "C3-P3"], "banana", ["Fp1"], []]),
)
def test_extractor_configuration_is_validated_and_round_trips(window, stride, l_freq, h_freq, notch, alaw, units,
                                                              bipolar):
    count("cases")
    kwargs = dict(window_seconds=window, window_stride_seconds=stride, l_freq=l_freq, h_freq=h_freq, notch_freq=notch,
                  alaw_A=alaw, units=units, bipolar_pairs=bipolar)
    problems = {
        "window_seconds": window <= 0 or abs(window * 64 - round(window * 64)) > 1e-9,
        "window_stride_seconds": stride is not None and (stride <= 0 or abs(stride * 64 - round(stride * 64)) > 1e-9),
        "l_freq must be positive": l_freq is not None and l_freq <= 0,
        "must be below h_freq": l_freq is not None and l_freq > 0 and h_freq is not None and l_freq >= h_freq,
        "Nyquist": h_freq is not None and h_freq >= 32,
        "notch_freq must be": notch == "sixty",
        "notch frequencies must be positive": notch == [-5.0],
        "bipolar_pairs must be": bipolar in ("banana", ["Fp1"], []),
        "units must be one of": units == "volts",
        "alaw_A must be positive": alaw == 0.0,
    }
    try:
        extractor = NeurIPTFeatureExtractor(**kwargs)
    except ValueError as error:
        named = [fragment for fragment, wrong in problems.items() if wrong and fragment in str(error)]
        assert named, f"ValueError names none of the problems {[p for p, w in problems.items() if w]}: {error}"
        return
    assert not any(problems.values()), f"accepted an invalid configuration: {kwargs}"
    again = NeurIPTFeatureExtractor.from_dict(extractor.to_dict())
    assert again.to_dict() == extractor.to_dict()


# ----------------------------------------------------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------------------------------------------------

MODELS = {}


def cached_model(kind: str):
    if kind not in MODELS:
        torch.manual_seed(0)
        config = tiny_config(num_labels=3)
        MODELS[kind] = {"encoder": NeurIPTModel, "classifier": NeurIPTForSequenceClassification,
                        "pretraining": NeurIPTForPretraining}[kind](config).eval()
    return MODELS[kind]


def time_tokens(time: int, merges) -> int:
    for factor in merges:
        time = math.ceil(time / factor)
    return time


@st.composite
def model_inputs(draw):
    batch, channels = draw(st.integers(1, 3)), draw(st.integers(1, 5))
    time = draw(st.one_of(st.integers(1, 80), st.sampled_from([64, 128, 256])))
    dtype = draw(st.sampled_from(["float32", "float32", "float64", "bfloat16", "float16", "int64"]))
    seed = draw(st.integers(0, 2**16))
    generator = torch.Generator().manual_seed(seed)
    values = torch.randn(batch, channels, time, generator=generator) * draw(st.sampled_from([1.0, 1e-3, 1e3]))
    if draw(st.booleans()):
        values[:, draw(st.integers(0, channels - 1))] = draw(st.sampled_from([0.0, 5.0]))  # a constant channel
    positions = (torch.rand(batch, channels, 3, generator=generator) - 0.5) * 0.2
    mask = None
    if draw(st.booleans()):
        mask = (torch.rand(batch, channels, generator=generator) < 0.7).long()
    hostile = draw(st.sampled_from([None, None, None, "nan_real", "nan_padded", "inf_real", "mm_positions",
                                    "positions_nan", "positions_nan_padded"]))
    return dict(values=values, positions=positions, mask=mask, dtype=dtype, hostile=hostile,
                kind=draw(st.sampled_from(["encoder", "classifier", "pretraining"])), seed=seed)


@settings(max_examples=260, **SETTINGS)
@given(case=model_inputs())
def test_models_survive_any_input(case):
    count("cases")
    values, positions, mask = case["values"], case["positions"], case["mask"]
    batch, channels, time = values.shape
    real = torch.ones(batch, channels, dtype=torch.bool) if mask is None else mask.bool()
    expected = []  # every problem of the input; the error must name one of them
    if not bool(real.any(1).all()):
        expected.append("marks every channel of some sample as padding")
    hostile = case["hostile"]
    padded = (~real).nonzero().tolist()
    some_real = real.nonzero()[0].tolist() if real.any() else None
    if hostile in ("nan_real", "inf_real") and some_real:
        b, c = some_real
        values[b, c, time // 2] = float("nan") if hostile == "nan_real" else float("inf")
        expected.append("NaN or inf")
    elif hostile == "nan_padded" and padded:
        b, c = padded[0]
        values[b, c, 0] = float("nan")  # padding may hold anything
    elif hostile == "positions_nan_padded" and padded:
        b, c = padded[-1]
        positions[b, c] = float("nan")
    elif hostile == "mm_positions":
        positions = positions * 1000
        expected.append("not mm or cm")
    elif hostile == "positions_nan" and some_real:
        b, c = some_real
        positions[b, c, 1] = float("nan")
        expected.append("not finite")
    if case["kind"] == "pretraining" and time < 2:
        expected.append("at least 2 time points")
    if case["dtype"] == "int64":
        values = values.nan_to_num(0, 0, 0).round().long()
        expected.append("must be floating point")
    else:
        values = values.to(getattr(torch, case["dtype"]))
    model = cached_model(case["kind"])
    try:
        with torch.no_grad():
            torch.manual_seed(case["seed"])
            out = model(values, positions, channel_mask=mask)
    except ValueError as error:
        assert expected, f"unexpected ValueError: {error}"
        assert any(fragment in str(error) for fragment in expected), f"expected one of {expected}, got: {error}"
        return
    assert not expected, f"expected a ValueError naming one of {expected}"
    merged = time_tokens(time, model.config.merge_factors)
    if case["kind"] == "encoder":
        assert out.last_hidden_state.shape == (batch, channels, merged, model.config.hidden_size)
        assert torch.isfinite(out.last_hidden_state[real]).all()
    elif case["kind"] == "classifier":
        assert out.logits.shape == (batch, 3) and torch.isfinite(out.logits).all()
    else:
        assert out.reconstruction.shape == values.shape and torch.isfinite(out.reconstruction[real]).all()
        assert torch.isfinite(out.loss)


@settings(max_examples=40, **SETTINGS)
@given(channels=st.integers(2, 5), padded=st.integers(1, 3), time=st.integers(4, 70), seed=st.integers(0, 2**16))
def test_padding_never_changes_real_channels(channels, padded, time, seed):
    count("cases")
    model = cached_model("encoder")
    generator = torch.Generator().manual_seed(seed)
    values = torch.randn(1, channels, time, generator=generator)
    positions = (torch.rand(1, channels, 3, generator=generator) - 0.5) * 0.2
    junk = torch.randn(1, padded, time, generator=generator) * 1e4
    with torch.no_grad():
        alone = model(values, positions).last_hidden_state
        mask = torch.cat([torch.ones(1, channels), torch.zeros(1, padded)], 1).long()
        together = model(torch.cat([values, junk], 1), torch.cat([positions, torch.zeros(1, padded, 3)], 1),
                         channel_mask=mask).last_hidden_state
    torch.testing.assert_close(together[:, :channels], alone, atol=1e-5, rtol=1e-4)


# ----------------------------------------------------------------------------------------------------------------------
# Extreme and mistaken arguments: every outcome is a finite result or a ValueError naming the argument. The cases are
# classified and counted (clear errors, finite results, unclear errors, silent non-finite outputs, wrong values
# silently accepted) and the test fails listing the bad ones, so the summary line reports the counts either way.
# ----------------------------------------------------------------------------------------------------------------------

NAN, INF = float("nan"), float("inf")
# argument: (values that must work, values that must be refused); None in "valid" = left at its default
EXTRACTOR_ARGUMENTS = {
    "sampling_rate": ([256.0, 160, 1000.0],
                      [1 / 256, 1e-9, 0.0, -256.0, NAN, INF, True, "256", 0.999, 1e12, [256, 128]]),
    "line_freq": ([None, 50.0, 60, 1e9], [-50, True, 0, NAN, INF, "50", [50]]),
    "units": ([None, "V"], ["microvolts", 1e-6, ["V"], "kV"]),
    "channel_positions": ([None, "rows", "row_lists", "biosemi64"],
                          ["rows_2", "rows_nan", "rows_mm", "no_such_montage", 3.0]),
    "amplitude": ([1e-4, 1e-300, 5e-324, 9e5], [np.finfo(np.float64).max, 1e303]),  # max |sample| in volts
    "highpass_order": ([4, 1, 12], [1000, 0, -1, 2.5, True, "4"]),
    "lowpass_order": ([8, 2.0], [1000, 0, 3.5]),
    "l_freq": ([0.1, 1e-3, None, 20.0], [1e-7, 1e-9, 0.0, -0.1, NAN, INF, 30.0, "0.1"]),
    "h_freq": ([30.0, 31.99, None], [1e-9, 32.0, NAN, INF, -30.0]),
    "notch_freq": (["auto", None, 50.0, [1e9]], [True, NAN, [0.0], [INF], ["50"], "fifty"]),
    "alaw_A": ([0.25, 1.0, 1e300, None], [1e-300, math.exp(-math.e), NAN, INF, -1.0]),
    "artifact_threshold_uv": ([100.0, 1e300], [NAN, -1.0, INF, 0.0]),
    "flat_threshold_uv": ([3.0, 0.0], [NAN, -1.0, INF]),
    "window_seconds": ([4.0, 1 / 64], [NAN, INF, 1e9, 1e-9, 0.3]),
    "padding_value": ([0.0, -1e300], [NAN, INF]),
    "position_bounds": ([(-0.15, 0.15)], [(NAN, 0.15), (0.15, -0.15), (-INF, INF), "x"]),
}
CALL_ARGUMENTS = ("sampling_rate", "line_freq", "units", "channel_positions", "amplitude")
# words by which an error names the argument (besides its own name)
ARGUMENT_WORDS = {
    "amplitude": ("no amplifier records EEG",),
    "channel_positions": ("montage", "position"),
    "sampling_rate": ("too short",),  # "too short: 5120 samples at 1e+12 Hz = 5.12e-09 s, but one window needs 4 s"
    "window_seconds": ("too short",),
    "l_freq": ("filters cannot be built",),
    "highpass_order": ("filters cannot be built",),
    "lowpass_order": ("filters cannot be built",),
}
EXTRACTOR_NAMES = ["Fp1", "Cz", "O2"]
COLIN = {"Fp1": (-0.029, 0.083, -0.003), "Cz": (0.0, 0.0, 0.1), "O2": (0.028, -0.1, 0.005)}


def extractor_call(arguments: dict, seed: int):
    """Build the extractor and make the call that `arguments` ({name: value}, the rest default) describe."""
    constructor = {k: v for k, v in arguments.items() if k not in CALL_ARGUMENTS}
    extractor = NeurIPTFeatureExtractor(**constructor)
    rate = arguments.get("sampling_rate", 256.0)
    usable = rate if isinstance(rate, (int, float)) and not isinstance(rate, bool) and 1 <= rate <= 5000 else 256.0
    samples = int(20 * usable)
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=(3, samples))
    signal = signal / np.abs(signal).max() * arguments.get("amplitude", 1e-4)  # in this order: no overflow at max
    rows = np.array([COLIN[n] for n in EXTRACTOR_NAMES])
    forms = {"rows": rows, "row_lists": rows.tolist(), "rows_2": rows[:2], "rows_nan": np.where(rows == 0, NAN, rows),
             "rows_mm": rows * 1000}
    positions = forms.get(arguments.get("channel_positions"), arguments.get("channel_positions"))
    call = dict(channel_names=EXTRACTOR_NAMES, sampling_rate=rate, channel_positions=positions, return_tensors="np")
    for name in ("line_freq", "units"):
        if name in arguments:
            call[name] = arguments[name]
    return extractor(signal, **call)


def classify(run, hostile: list[str], aliases: dict, names_are_words: bool = True) -> str:
    """'finite' | 'clear' (a ValueError naming a hostile argument: its name if `names_are_words`, or an alias) |
    'unclear' | 'nonfinite' | 'accepted' (a wrong value that gave a result)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unit warnings are expected for the extreme amplitudes
            outputs = run()
    except ValueError as error:
        words = [w for name in hostile for w in ((name,) if names_are_words else ()) + tuple(aliases.get(name, ()))]
        return "clear" if hostile and any(w in str(error) for w in words) else f"unclear: {error}"
    except Exception as error:  # noqa: BLE001 - the category under test
        return f"unclear: {type(error).__name__}: {error}"
    finite = all(bool(np.isfinite(np.asarray(v, dtype=np.float64)).all()) for v in outputs)
    if not finite:
        return "nonfinite"
    return "accepted" if hostile else "finite"


@st.composite
def extractor_arguments(draw):
    names = draw(st.lists(st.sampled_from(sorted(EXTRACTOR_ARGUMENTS)), min_size=1, max_size=2, unique=True))
    arguments, hostile = {}, []
    for name in names:
        valid, invalid = EXTRACTOR_ARGUMENTS[name]
        if draw(st.booleans()):
            value = draw(st.sampled_from(invalid))
            hostile.append(name)
        else:
            value = draw(st.sampled_from(valid))
        if value is not None:
            arguments[name] = value
    return arguments, hostile, draw(st.integers(0, 2**16))


def _record(outcomes: dict, outcome: str, case) -> None:
    kind = outcome.split(":")[0]
    outcomes.setdefault(kind, []).append((case, outcome))
    count("cases")
    if kind in ("unclear", "nonfinite", "accepted"):
        count({"unclear": "unclear_errors", "nonfinite": "silent_nonfinite", "accepted": "silently_accepted"}[kind])


def test_extreme_extractor_arguments_give_finite_results_or_errors_that_name_them():
    outcomes: dict = {}

    @settings(max_examples=500, **SETTINGS)
    @given(case=extractor_arguments())
    def one(case):
        arguments, hostile, seed = case

        def run():
            features = extractor_call(arguments, seed)
            return [features[k] for k in ("input_values", "channel_positions", "window_start_seconds")]

        _record(outcomes, classify(run, hostile, ARGUMENT_WORDS), (arguments, hostile))

    one()
    bad = [entry for kind in ("unclear", "nonfinite", "accepted") for entry in outcomes.get(kind, [])]
    print({kind: len(entries) for kind, entries in outcomes.items()})
    assert not bad, f"{len(bad)} of {sum(map(len, outcomes.values()))} cases: " + "\n".join(map(str, bad[:10]))
    assert len(outcomes.get("clear", [])) > 100 and len(outcomes.get("finite", [])) > 50  # both paths exercised


# argument: (values that must work, values that must be refused)
MODEL_ARGUMENTS = {
    "magnitude": ([1.0, 1e3, 1e6, 1e-30, 1e-45, 0.0], [1.01e6, 1e20, 3e38]),  # max |input_values|
    "dtype": (["float32", "float64", "bfloat16"], ["int64"]),
    "positions": (["head", "one_point", "at_bounds"], ["outside", "huge", "nan"]),
    "time": ([64, 17, 128], [1]),  # the tiny preset's patch_size is 1; pretraining needs 2 points
    "mask": (["none", "padded"], ["all_padded"]),
}
MODEL_ALIASES = {  # the words by which the model's errors name each problem
    "magnitude": ("beyond the model's range", "NaN or inf", "input_values"),  # bfloat16 of 3e38 can round to inf
    "dtype": ("floating point",),
    "positions": ("channel_positions",),
    "time": ("patch_size", "at least 2 time points"),
    "mask": ("channel_mask",),
}


@st.composite
def model_arguments(draw):
    arguments, hostile = {}, []
    for name in draw(st.lists(st.sampled_from(sorted(MODEL_ARGUMENTS)), min_size=1, max_size=2, unique=True)):
        valid, invalid = MODEL_ARGUMENTS[name]
        if draw(st.booleans()):
            arguments[name] = draw(st.sampled_from(invalid))
            hostile.append(name)
        else:
            arguments[name] = draw(st.sampled_from(valid))
    kind = draw(st.sampled_from(["encoder", "classifier", "pretraining"]))
    if kind != "pretraining" and "time" in hostile:
        hostile.remove("time")  # one time point is a valid input of the encoder and the classifier
    return arguments, hostile, kind, draw(st.integers(0, 2**16))


def model_call(arguments: dict, kind: str, seed: int):
    generator = torch.Generator().manual_seed(seed)
    batch, channels, time = 2, 3, arguments.get("time", 64)
    values = torch.randn(batch, channels, time, generator=generator, dtype=torch.float64)
    values = values / values.abs().max() * arguments.get("magnitude", 1.0)
    positions = (torch.rand(batch, channels, 3, generator=generator) - 0.5) * 0.2
    choice = arguments.get("positions", "head")
    if choice == "one_point":
        positions[:] = torch.tensor([0.0, 0.0, 0.1])
    elif choice == "at_bounds":
        positions[..., 0] = 0.15
    elif choice == "outside":
        positions[0, 0, 2] = 0.16
    elif choice == "huge":
        positions[0, 0] = 1e30  # channel 0 is real under every mask
    elif choice == "nan":
        positions[0, 1, 0] = NAN
    mask = {"none": None, "padded": torch.tensor([[1, 1, 0], [1, 0, 0]]),
            "all_padded": torch.tensor([[1, 1, 1], [0, 0, 0]])}[arguments.get("mask", "none")]
    dtype = arguments.get("dtype", "float32")
    values = values.round().long() if dtype == "int64" else values.to(getattr(torch, dtype))
    real = torch.ones(batch, channels, dtype=torch.bool) if mask is None else mask.bool()
    model = cached_model(kind)
    with torch.no_grad():
        torch.manual_seed(seed)
        out = model(values, positions, channel_mask=mask)
    if kind == "encoder":
        return [out.last_hidden_state[real].float()]
    if kind == "classifier":
        return [out.logits.float()]
    return [out.reconstruction[real].float(), out.loss.float()]


def test_extreme_model_inputs_give_finite_outputs_or_errors_that_name_them():
    outcomes: dict = {}

    @settings(max_examples=150, **SETTINGS)
    @given(case=model_arguments())
    def one(case):
        arguments, hostile, kind, seed = case
        _record(outcomes, classify(lambda: model_call(arguments, kind, seed), hostile, MODEL_ALIASES, False),
                (arguments, hostile, kind))

    one()
    bad = [entry for kind in ("unclear", "nonfinite", "accepted") for entry in outcomes.get(kind, [])]
    print({kind: len(entries) for kind, entries in outcomes.items()})
    assert not bad, f"{len(bad)} of {sum(map(len, outcomes.values()))} cases: " + "\n".join(map(str, bad[:10]))
    assert len(outcomes.get("clear", [])) > 40 and len(outcomes.get("finite", [])) > 30


# ----------------------------------------------------------------------------------------------------------------------
# Long recordings: the chunked path gives the one-piece windows in memory that does not grow with the length
# ----------------------------------------------------------------------------------------------------------------------


def test_chunked_extraction_of_real_eeg_equals_one_piece(face13_raw):
    raw = face13_raw.copy().pick(["A1", "A19", "B12", "C7", "D32"])
    signal, names = raw.get_data(), raw.ch_names
    extractor = NeurIPTFeatureExtractor(window_stride_seconds=3.0)
    whole = extractor.preprocess_recording(signal, names, raw.info["sfreq"], units="V", line_freq=raw.info["line_freq"])
    for chunk_seconds in (60.0, 250.0):
        parts = list(extractor.preprocess_in_chunks(raw, chunk_seconds=chunk_seconds, margin_seconds=60.0))
        assert len(parts) == math.ceil(raw.n_times / raw.info["sfreq"] / chunk_seconds)
        np.testing.assert_array_equal(np.concatenate([p["window_start_seconds"] for p in parts]),
                                      whole["window_start_seconds"])
        for key in ("artifact_amplitude", "artifact_flat"):
            np.testing.assert_array_equal(np.concatenate([p[key] for p in parts]), whole[key])
        values = np.concatenate([p["input_values"] for p in parts])
        np.testing.assert_allclose(values, whole["input_values"], atol=5e-6, rtol=0)  # A-law units; max |x| ≈ 5


LONG_RECORDING = textwrap.dedent("""
    import sys
    import mne
    from modeling_neuript import NeurIPTFeatureExtractor
    raw = mne.io.read_raw_fif(sys.argv[1], preload=False, verbose="error")
    windows = flagged = 0
    for part in NeurIPTFeatureExtractor().preprocess_in_chunks(raw, chunk_seconds=300.0, margin_seconds=60.0):
        windows += len(part["input_values"])
        flagged += int(part["artifact_amplitude"].sum())
    # VmHWM: the peak RSS of this process image (ru_maxrss would carry over the forking parent's peak across exec)
    peak = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
    print("WINDOWS", windows, "PEAK_RSS_KIB", peak)
""")


LONG_PREPARE = textwrap.dedent("""
    import json, sys
    from datasets import load_from_disk
    from modeling_neuript.data.prepare import PrepareArguments, prepare
    data = prepare(PrepareArguments(recipe=sys.argv[1], output_dir=sys.argv[2], root=sys.argv[3], chunk_minutes=5.0))
    peak = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
    print("WINDOWS", len(load_from_disk(str(data))), "PEAK_RSS_KIB", peak)
""")

LONG_RECIPE = """
name: long-recording
source: {pattern: "*_eeg.fif"}
channels: eeg
windows: {mode: pretraining, window_seconds: 4.0}
cleaning: {reject_artifacts: false}
"""


def write_long_recording(path, minutes, seed):
    """8 channels of 256 Hz EEG-like noise (a random walk without drift, µV scale), saved as FIF."""
    import mne

    names = ["Fp1", "Fp2", "C3", "C4", "P7", "P8", "O1", "O2"]
    rng = np.random.default_rng(seed)
    samples = int(minutes * 60 * 256)
    data = np.cumsum(rng.normal(scale=2e-6, size=(8, samples)).astype(np.float32), axis=1, dtype=np.float64)
    data -= np.linspace(0, 1, samples)[None] * data[:, -1:]  # no drift across hours
    raw = mne.io.RawArray(data, mne.create_info(names, 256.0, "eeg"), verbose="error")
    del data
    raw.save(path, fmt="single", overwrite=True, verbose="error")


def test_prepare_reads_long_recordings_in_chunks_with_the_one_piece_windows(tmp_path):
    """`neuript prepare` reads a recording longer than `--chunk_minutes` lazily and chunk by chunk; its rows are
    those of the one-piece run (`--chunk_minutes 0`): same windows, starts and flags, values within 1e-5."""
    from datasets import load_from_disk

    from modeling_neuript.data.prepare import PrepareArguments, prepare

    (tmp_path / "data").mkdir()
    write_long_recording(tmp_path / "data" / "sub-01_eeg.fif", minutes=13, seed=0)
    recipe = tmp_path / "long.yaml"
    recipe.write_text(LONG_RECIPE)
    out = {}
    for minutes in (3.0, 0.0):
        args = PrepareArguments(recipe=str(recipe), output_dir=str(tmp_path / f"out{minutes}"),
                                root=str(tmp_path / "data"), chunk_minutes=minutes)
        out[minutes] = load_from_disk(str(prepare(args)))
    chunked, whole = out[3.0], out[0.0]
    assert len(chunked) == len(whole) == 13 * 15
    for column in ("window_start_seconds", "artifact_amplitude", "artifact_flat", "channel_names"):
        assert chunked[column] == whole[column]
    np.testing.assert_allclose(np.array(chunked["input_values"]), np.array(whole["input_values"]), atol=1e-5, rtol=0)


@pytest.mark.slow
def test_long_recording_peak_memory_does_not_grow_with_length(tmp_path):
    """1 h and 4 h of 8-channel 256 Hz EEG-like noise written as FIF, read lazily and (1) extracted in 5 min chunks,
    (2) turned into a dataset by `neuript prepare`, each in a fresh process: the same peak RSS (within 40 MiB) although
    the 4 h recording alone is 236 MB as float64."""
    script = tmp_path / "long.py"
    script.write_text(LONG_RECORDING)
    prepare_script = tmp_path / "prepare_long.py"
    prepare_script.write_text(LONG_PREPARE)
    recipe = tmp_path / "long.yaml"
    recipe.write_text(LONG_RECIPE)
    peaks, prepare_peaks = {}, {}
    for hours in (1, 4):
        folder = tmp_path / f"data_{hours}h"
        folder.mkdir()
        path = folder / "sub-01_eeg.fif"
        write_long_recording(path, minutes=hours * 60, seed=hours)
        env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
        result = subprocess.run([sys.executable, str(script), str(path)], capture_output=True, text=True, env=env)
        assert result.returncode == 0, result.stderr[-3000:]
        words = result.stdout.split()
        assert int(words[words.index("WINDOWS") + 1]) == hours * 3600 // 4
        peaks[hours] = int(words[words.index("PEAK_RSS_KIB") + 1]) / 1024
        PEAK_RSS_MIB[f"{hours} h x 8 ch x 256 Hz"] = peaks[hours]
        result = subprocess.run(
            [sys.executable, str(prepare_script), str(recipe), str(tmp_path / f"out_{hours}h"), str(folder)],
            capture_output=True, text=True, env=env,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        words = result.stdout.split()
        assert int(words[words.index("WINDOWS") + 1]) == hours * 3600 // 4
        prepare_peaks[hours] = int(words[words.index("PEAK_RSS_KIB") + 1]) / 1024
        PEAK_RSS_MIB[f"neuript prepare {hours} h"] = prepare_peaks[hours]
        path.unlink()
    print(f"peak RSS: extractor 1 h {peaks[1]:.0f} MiB, 4 h {peaks[4]:.0f} MiB; "
          f"neuript prepare 1 h {prepare_peaks[1]:.0f} MiB, 4 h {prepare_peaks[4]:.0f} MiB")
    assert peaks[4] - peaks[1] < 40
    assert prepare_peaks[4] - prepare_peaks[1] < 40
