# coding=utf-8
# Copyright 2026 The NeurIPT developers. MIT licence.
"""Feature extractor of NeurIPT: any EEG recording and its channel names → coordinate-tagged model inputs.

One call runs the paper's preprocessing (arXiv 2510.16548, §3.1 and App. E.1.2) on each recording:

    names → electrode positions → (bipolar re-reference) → µV → band-pass 0.1-30 Hz + notch → resample to 64 Hz
          → artifact flags per window → A-law companding (A = 0.25) → windows of 4 s

and returns a `BatchFeature` with `input_values` `(windows, channels, samples)`, `channel_positions`
`(windows, channels, 3)` and `channel_mask` `(windows, channels)`, plus per-window metadata. Every number of that
pipeline is a constructor argument saved in `preprocessor_config.json`, so the preprocessing contract travels with
every checkpoint. `docs/preprocessing.md` states it in words and numbers.

Part of the Hub bundle: at import time it needs only numpy, torch and transformers. scipy (filters, resampling) is
imported inside `try/except ImportError` and only required when a recording is processed; mne objects are accepted
by duck typing, without importing mne.
"""

import math
import numbers
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any, Optional, Union

import numpy as np
import torch
from transformers import BatchFeature, SequenceFeatureExtractor
from transformers.utils import logging

from .electrodes_neuript import (
    DOUBLE_BANANA_PAIRS,
    channel_key,
    normalize_channel_name,
    positions_from_montage,
    resolve_channel_positions,
    split_bipolar,
)

try:
    import scipy.signal as scipy_signal
except ImportError:  # the bundle must import without scipy; processing a recording then raises a clear error
    scipy_signal = None


logger = logging.get_logger(__name__)

FIFF_EEG_CH = 2  # mne.io.constants.FIFF.FIFFV_EEG_CH: the `kind` of an EEG channel in `info["chs"]`
UNITS_TO_MICROVOLTS = {"V": 1e6, "mV": 1e3, "uV": 1.0, "µV": 1.0, "μV": 1.0, "nV": 1e-3}  # µ (micro sign), μ (mu)
# Outside this range the median absolute amplitude (µV) is not EEG but almost surely a unit mistake (10^6 off).
PLAUSIBLE_MEDIAN_UV = (0.01, 1e5)
# No amplifier records a megavolt: beyond this many µV (after unit conversion) the numbers are not EEG in any unit the
# user could have meant, and near float64's limit the mean removal and the filters overflow to inf / NaN.
MAX_ABS_MICROVOLTS = 1e12
# Below 1 Hz nothing of EEG's band is sampled; a rate that low is almost surely the sampling period (1/256 s) passed
# for the rate, and resampling it to 64 Hz would ask for terabytes.
MIN_SAMPLING_RATE = 1.0
# Filters whose poles lie closer than this to the unit circle are refused (float64 resolves ~1e-16; scipy's
# zero-phase initial conditions already fail near 1e-9 for a 4th-order high-pass).
STABILITY_MARGIN = 1e-8
DEFAULT_LINE_FREQS = (50.0, 60.0)  # notched together when the recording's power-line frequency is unknown


# ----------------------------------------------------------------------------------------------------------------------
# Signal-processing steps (module functions, so that a chunked / streaming path can reuse them)
# ----------------------------------------------------------------------------------------------------------------------


def a_law_compress(values, A: float = 0.25):
    r"""
    A-law companding as NeurIPT defines it (official `a_law_compress`), for numpy arrays or torch tensors:

    $$y = \mathrm{sign}(x)\begin{cases} \dfrac{A|x|}{e + \ln A} & |x| < 1/A \\[4pt]
        \dfrac{1 + \ln(A|x|)}{e + \ln A} & |x| \ge 1/A \end{cases}$$

    Note the denominator `e + ln A` (≈ 1.332 for A = 0.25) where textbook A-law has `1 + ln A`. With x in µV and
    A = 0.25 the curve is linear up to 4 µV and ±100 µV maps to ±3.167.
    """
    denominator = math.e + math.log(A)
    if isinstance(values, torch.Tensor):
        magnitude = values.abs()
        linear = A * magnitude / denominator
        logarithmic = (1.0 + torch.log(torch.clamp(A * magnitude, min=1.0))) / denominator  # clamp: no log(0)
        return torch.sign(values) * torch.where(magnitude < 1.0 / A, linear, logarithmic)
    values = np.asarray(values)
    magnitude = np.abs(values)
    linear = A * magnitude / denominator
    logarithmic = (1.0 + np.log(np.maximum(A * magnitude, 1.0))) / denominator
    return np.sign(values) * np.where(magnitude < 1.0 / A, linear, logarithmic)


def a_law_expand(values, A: float = 0.25):
    """Inverse of `a_law_compress`: companded values → µV (numpy arrays or torch tensors)."""
    denominator = math.e + math.log(A)
    if isinstance(values, torch.Tensor):
        scaled = values.abs() * denominator
        magnitude = torch.where(scaled < 1.0, scaled / A, torch.exp(scaled - 1.0) / A)
        return torch.sign(values) * magnitude
    values = np.asarray(values)
    scaled = np.abs(values) * denominator
    magnitude = np.where(scaled < 1.0, scaled / A, np.exp(scaled - 1.0) / A)
    return np.sign(values) * magnitude


def _require_scipy():
    if scipy_signal is None:
        raise ImportError(
            "NeurIPTFeatureExtractor filters and resamples with scipy, which is not installed: `pip install scipy`."
        )


@lru_cache(maxsize=64)
def design_filter(
    sampling_rate: float,
    l_freq: Optional[float],
    h_freq: Optional[float],
    highpass_order: int,
    lowpass_order: int,
    notch_freqs: tuple[float, ...],
    notch_quality: float,
) -> np.ndarray:
    """Second-order sections of the whole filter chain at one sampling rate (applied forward and backward).

    Butterworth high-pass at `l_freq` and low-pass at `h_freq` (separate, so the low-pass can be steep while the
    0.1 Hz high-pass stays gentle), then one IIR notch (`scipy.signal.iirnotch`) per power-line frequency. A cutoff or
    notch at or above the Nyquist frequency of the recording is skipped: there is nothing there to remove, and the
    resampler's anti-aliasing filter bounds the band anyway. Returns an array of shape `(sections, 6)`, possibly empty.
    """
    _require_scipy()
    nyquist = sampling_rate / 2.0
    sections = []
    with np.errstate(all="ignore"):  # an impossible design overflows inside scipy; it is refused by name below
        if l_freq is not None and l_freq < nyquist:
            sections.append(scipy_signal.butter(highpass_order, l_freq, btype="highpass", fs=sampling_rate, output="sos"))
        if h_freq is not None and h_freq < nyquist:
            sections.append(scipy_signal.butter(lowpass_order, h_freq, btype="lowpass", fs=sampling_rate, output="sos"))
    for freq in notch_freqs:
        if freq < nyquist:
            b, a = scipy_signal.iirnotch(freq, notch_quality, fs=sampling_rate)
            sections.append(scipy_signal.tf2sos(b, a))
    sos = np.concatenate(sections, axis=0) if sections else np.zeros((0, 6))
    # An order too high for its cutoff (a 1000th-order 0.1 Hz high-pass) gives non-finite coefficients, and a cutoff
    # too far below the rate (1e-7 Hz at 256 Hz) poles so close to the unit circle that float64 cannot tell them from
    # it: filtering would return NaN, grow without bound or fail in scipy's initial conditions. Refuse them by name.
    poles = np.abs(np.concatenate([np.roots(np.r_[1.0, section[4:]]) for section in sos])) if len(sos) else np.zeros(0)
    if not np.isfinite(sos).all() or not (poles < 1.0 - STABILITY_MARGIN).all():
        raise ValueError(
            f"The filters cannot be built stably at {sampling_rate:g} Hz: high-pass order {highpass_order} at "
            f"{l_freq} Hz, low-pass order {lowpass_order} at {h_freq} Hz, notches {list(notch_freqs)} (Q = "
            f"{notch_quality}). Lower highpass_order / lowpass_order (the paper uses 4 and 8), or raise l_freq (the "
            "paper uses 0.1 Hz)."
        )
    sos.flags.writeable = False  # shared through the cache
    return sos


def zero_phase_filter(signal: np.ndarray, sos: np.ndarray, padlen: Optional[int] = None) -> np.ndarray:
    """Apply `sos` forward and backward along the last axis (zero phase, like mne's filters).

    The signal is extended at both ends by odd reflection over `padlen` samples (default: scipy's), which keeps the
    slow 0.1 Hz high-pass from ringing at the edges.
    """
    if len(sos) == 0:
        return signal
    _require_scipy()
    if padlen is not None:
        padlen = int(min(padlen, signal.shape[-1] - 1))
    return scipy_signal.sosfiltfilt(
        np.array(sos), signal, axis=-1, padtype="odd", padlen=padlen
    )  # scipy wants writable


def resampling_factors(from_rate: float, to_rate: float) -> tuple[int, int]:
    """`(up, down)` with `to_rate / from_rate == up / down`, exact for rates whose ratio has a denominator ≤ 1000
    (160 → 64 Hz: 2/5; 250 → 64 Hz: 32/125), otherwise within a relative 1e-6."""
    ratio = Fraction(float(to_rate) / float(from_rate)).limit_denominator(1000)
    if ratio == 0:
        raise ValueError(
            f"Cannot resample from {from_rate} Hz to {to_rate} Hz: the ratio is below 1/1000. Check sampling_rate (in "
            "Hz, samples per second) or downsample the recording first."
        )
    return ratio.numerator, ratio.denominator


def resample(signal: np.ndarray, from_rate: float, to_rate: float) -> np.ndarray:
    """Polyphase resampling along the last axis (`scipy.signal.resample_poly`, Kaiser-windowed FIR, β = 5).

    The ends are extended linearly (`padtype="line"`) rather than with zeros, so a window at the start of a recording
    is not pulled towards zero. Output length: `ceil(T · up / down)`.
    """
    up, down = resampling_factors(from_rate, to_rate)
    if up == down:
        return signal
    _require_scipy()
    return scipy_signal.resample_poly(signal, up, down, axis=-1, padtype="line")


def window_starts(num_samples: int, window_length: int, stride: int) -> np.ndarray:
    """Start indices of every full window (a trailing partial window is dropped)."""
    if num_samples < window_length:
        return np.zeros(0, dtype=np.int64)
    return np.arange(0, num_samples - window_length + 1, stride, dtype=np.int64)


# ----------------------------------------------------------------------------------------------------------------------
# Input unpacking helpers
# ----------------------------------------------------------------------------------------------------------------------


def _is_mne_like(obj: Any) -> bool:
    """An `mne.io.Raw` or `mne.Epochs` (or anything with the same interface), recognised without importing mne."""
    return hasattr(obj, "get_data") and hasattr(obj, "info") and hasattr(obj, "ch_names")


def _is_array_like(obj: Any) -> bool:
    return isinstance(obj, (np.ndarray, torch.Tensor))


def _to_numpy(values: Any, what: str) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu()
        # numpy has no bfloat16; complex stays complex so that it is refused below
        values = (values if values.is_complex() else values.double()).numpy()
    if np.iscomplexobj(values):
        raise ValueError(
            f"{what} is complex; EEG is real-valued. Pass the real signal (e.g. `signal.real`), not a spectrum."
        )
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"{what} must be numeric (an array of numbers), got {type(values).__name__}: {error}"
        ) from None
    return array


def check_sampling_rate(rate: Any, where: str) -> float:
    """`rate` as a float number of Hz, or a `ValueError` that names `where` it came from and what is wrong with it
    (missing, not a positive number, or the sampling period passed instead of the rate)."""
    if rate is None:
        raise ValueError(
            f"sampling_rate is required for {where}: pass the rate the data was recorded at, in Hz "
            "(e.g. `sampling_rate=256`). The extractor resamples every recording to 64 Hz, so a wrong rate would "
            "silently change every frequency."
        )
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not math.isfinite(rate) or rate <= 0:
        raise ValueError(f"sampling_rate must be a positive number of Hz, got {rate!r} ({type(rate).__name__}).")
    if rate < MIN_SAMPLING_RATE:
        raise ValueError(
            f"sampling_rate={rate!r} Hz is below {MIN_SAMPLING_RATE:g} Hz: no EEG is sampled that slowly. Pass the rate "
            f"in samples per second (e.g. 256), not the sampling period (1/{1 / rate:.6g} s)."
        )
    return float(rate)


def microvolts_per_unit(units: Any) -> float:
    """The factor that turns `units` (`"V"`, `"mV"`, `"uV"`, ...) into µV; a `ValueError` listing the known units."""
    if not isinstance(units, str) or units not in UNITS_TO_MICROVOLTS:
        raise ValueError(f"units must be one of {list(UNITS_TO_MICROVOLTS)}, got {units!r}.")
    return UNITS_TO_MICROVOLTS[units]


def _check_line_freq(line_freq: Any) -> Optional[float]:
    """The power-line frequency of a recording (`line_freq=` of a call, or an mne object's `info["line_freq"]`):
    None (unknown) or a positive number of Hz."""
    if line_freq is None:
        return None
    if (
        isinstance(line_freq, bool)
        or not isinstance(line_freq, numbers.Real)
        or not math.isfinite(line_freq)
        or line_freq <= 0
    ):
        raise ValueError(
            f"line_freq (the power-line frequency: the `line_freq=` argument, or an mne object's info['line_freq']) "
            f"must be a positive number of Hz such as 50 or 60, or None when unknown; got {line_freq!r} "
            f"({type(line_freq).__name__}). For an mne object set `raw.info['line_freq'] = 50` (or 60)."
        )
    return float(line_freq)


def _check_number(value: Any, name: str, low: float = 0.0, inclusive: bool = False, optional: bool = False):
    """A constructor argument that must be a finite real number above `low` (at or above it if `inclusive`)."""
    if value is None and optional:
        return None
    bad = isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value)
    if not bad:
        bad = value < low if inclusive else value <= low
    if bad:
        if low == 0 and not inclusive:
            rule = "positive, a finite number"
        elif math.isinf(low):
            rule = "a finite number"
        else:
            rule = f"a finite number {'at least' if inclusive else 'above'} {low:g}"
        raise ValueError(f"{name} must be {rule}{' or None' if optional else ''}, got {value!r}.")
    return float(value)


def _check_order(value: Any, name: str) -> int:
    """A Butterworth order: a whole number from 1 (a float such as 4.0 read back from JSON is accepted)."""
    whole = isinstance(value, numbers.Integral) or (isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not whole or value < 1:
        raise ValueError(f"{name} must be a whole number of at least 1 (a Butterworth filter order), got {value!r}.")
    return int(value)


def _positions_by_row(channel_positions: Any, names: Sequence[str]):
    """`channel_positions` given as an array `(channels, 3)` (numpy, torch or nested lists, rows in the order of
    `names`) as the dict `{name: (x, y, z)}`; every other form (dict, DigMontage, montage name, None) unchanged."""
    if channel_positions is None or isinstance(channel_positions, (str, Mapping)):
        return channel_positions
    if hasattr(channel_positions, "get_positions"):
        return channel_positions
    try:
        rows = _to_numpy(channel_positions, "channel_positions")
    except ValueError:
        rows = None
    if rows is None or rows.shape != (len(names), 3):
        shape = None if rows is None else rows.shape
        raise ValueError(
            f"channel_positions given as an array must have shape (channels, 3) = ({len(names)}, 3), one row (x, y, z) "
            f"in metres per channel in the order of the recording's channels {list(names)[:8]}"
            f"{'...' if len(names) > 8 else ''}; got {type(channel_positions).__name__} of shape {shape}. Or pass a "
            "dict {name: (x, y, z)}, an mne DigMontage, or a built-in montage name."
        )
    return {name: tuple(float(v) for v in row) for name, row in zip(names, rows)}


class UnitsWarning(UserWarning):
    """The amplitudes after unit conversion are far outside EEG's µV range: most likely a unit mistake."""


@dataclass
class _Recording:
    """One recording after unpacking the user's input: float64 `(channels, time)` data plus what we know of it."""

    signal: np.ndarray
    channel_names: list[str]
    sampling_rate: float
    to_microvolts: float
    montage: Optional[Mapping[str, Sequence[float]]] = None  # positions that came with the recording (mne)
    line_freq: Optional[float] = None
    time_offset: float = 0.0  # seconds of the first sample (an epoch's tmin)
    from_mne: bool = False  # read from an mne object (its units come from the file's header)


# ----------------------------------------------------------------------------------------------------------------------
# Feature extractor
# ----------------------------------------------------------------------------------------------------------------------


class NeurIPTFeatureExtractor(SequenceFeatureExtractor):
    r"""
    Turns EEG recordings of any montage, rate and length into NeurIPT inputs: windows of A-law-companded µV at 64 Hz,
    each channel tagged with its 3-D electrode position.

    The defaults are the paper's preprocessing. Every argument is saved in `preprocessor_config.json` by
    `save_pretrained` and restored by `from_pretrained` / `AutoFeatureExtractor.from_pretrained`.

    Args:
        sampling_rate (`int`, *optional*, defaults to 64):
            Rate of the model inputs, in Hz. Every recording is resampled to it (polyphase, `scipy.signal.resample_poly`).
        window_seconds (`float`, *optional*, defaults to 4.0):
            Length of one window (the paper's 4 s = 256 samples). `window_seconds × sampling_rate` must be an integer.
        window_stride_seconds (`float`, *optional*):
            Step between window starts; `None` (default) = `window_seconds` (non-overlapping windows, as in the paper).
        l_freq (`float`, *optional*, defaults to 0.1):
            High-pass cutoff in Hz (Butterworth, zero-phase). `None` disables it.
        h_freq (`float`, *optional*, defaults to 30.0):
            Low-pass cutoff in Hz (Butterworth, zero-phase). `None` disables it.
        highpass_order (`int`, *optional*, defaults to 4):
            Butterworth order of the high-pass; forward-backward filtering doubles the attenuation (-6 dB at `l_freq`).
        lowpass_order (`int`, *optional*, defaults to 8):
            Butterworth order of the low-pass (-6 dB at 30 Hz, -56 dB at 45 Hz after the forward-backward pass).
        notch_freq (`float`, `list[float]`, `"auto"` or `None`, *optional*, defaults to `"auto"`):
            Power-line notch(es) in Hz. `"auto"` uses the recording's power-line frequency when it is known (an mne
            object's `info["line_freq"]`, or the `line_freq=` argument of the call) and otherwise notches both 50 and
            60 Hz: with the 30 Hz low-pass neither notch touches the EEG band, so guessing wrong costs nothing.
            `None` disables the notch.
        notch_quality (`float`, *optional*, defaults to 30.0): quality factor Q of each notch (bandwidth f/Q).
        bipolar_pairs (`str` or `list[str]`, *optional*):
            Re-reference to bipolar derivations before anything else. `"double_banana"` gives the paper's 20 channels
            (Fp1-F7, F7-T3, ..., P4-O2; `DOUBLE_BANANA_PAIRS`), or pass any list of `"A-B"` names (A minus B). Channels
            no pair uses are dropped. `None` (default) keeps the recording's own channels and reference.
        units (`str`, *optional*, defaults to `"V"`):
            Units of array inputs when the call does not say: `"V"` (mne's convention), `"mV"`, `"uV"`/`"µV"`, `"nV"`.
            mne objects are always read in volts.
        alaw_A (`float`, *optional*, defaults to 0.25):
            Parameter A of the A-law companding applied to the µV signal (`a_law_compress`). `None` disables it, and
            `input_values` are then plain µV.
        artifact_threshold_uv (`float`, *optional*, defaults to 100.0):
            A window is flagged in `artifact_amplitude` when any sample of any channel exceeds this many µV in
            absolute value (paper: such samples were dropped from pretraining). Flagged windows are returned, not
            dropped.
        flat_threshold_uv (`float`, *optional*, defaults to 3.0):
            A window is flagged in `artifact_flat` when some channel stays within ±this many µV for the whole window
            (the paper's "consistently below 3 µV" flat-line rule).
        padding_value (`float`, *optional*, defaults to 0.0): value of the padded channels of `input_values`.
        channel_positions (`dict[str, list[float]]` or `str`, *optional*):
            Positions `{name: (x, y, z)}` (metres, MNE head frame) for names the built-in tables do not know, saved
            with the extractor; or the name of a built-in table to read first (`"biosemi64"`, ...). An mne
            `DigMontage` is accepted and stored as a dict.
        position_bounds (`list[float]`, *optional*, defaults to `[-0.15, 0.15]`):
            The cube, in metres, every channel position must lie in on all three axes. It must match the model's
            `config.position_bounds`, over which the position encoding is quantised. (The 10-05 vertex Cz sits at
            z = 0.140 m in MNE's head frame, so a bound of 0.12 m would reject standard montages.)

    Example:

    ```python
    >>> import numpy as np
    >>> from modeling_neuript import NeurIPTFeatureExtractor
    >>> extractor = NeurIPTFeatureExtractor()
    >>> eeg = np.random.default_rng(0).normal(scale=20e-6, size=(3, 256 * 10))  # 3 channels, 10 s at 256 Hz, volts
    >>> features = extractor(eeg, channel_names=["Fp1", "Cz", "O2"], sampling_rate=256)
    >>> features["input_values"].shape  # 2 windows of 4 s at 64 Hz (the last 2 s do not fill a window)
    torch.Size([2, 3, 256])
    >>> features["channel_positions"].shape, features["channel_mask"].shape
    (torch.Size([2, 3, 3]), torch.Size([2, 3]))

    ```
    """

    model_input_names = ["input_values", "channel_positions", "channel_mask"]
    metadata_names = ["window_source", "window_start_seconds", "artifact_amplitude", "artifact_flat"]

    def __init__(
        self,
        sampling_rate: int = 64,
        window_seconds: float = 4.0,
        window_stride_seconds: Optional[float] = None,
        l_freq: Optional[float] = 0.1,
        h_freq: Optional[float] = 30.0,
        highpass_order: int = 4,
        lowpass_order: int = 8,
        notch_freq: Union[str, float, list[float], None] = "auto",
        notch_quality: float = 30.0,
        bipolar_pairs: Union[str, list[str], None] = None,
        units: str = "V",
        alaw_A: Optional[float] = 0.25,
        artifact_threshold_uv: float = 100.0,
        flat_threshold_uv: float = 3.0,
        padding_value: float = 0.0,
        channel_positions: Union[str, Mapping[str, Sequence[float]], Any, None] = None,
        position_bounds: Sequence[float] = (-0.15, 0.15),
        **kwargs,
    ):
        # A SequenceFeatureExtractor, so that `Trainer(processing_class=extractor)` collates batches with `pad`
        # (channels padded, `channel_mask` built) instead of a collator that cannot stack different channel counts.
        kwargs.setdefault("feature_size", 1)  # one value per channel and sample
        super().__init__(sampling_rate=sampling_rate, padding_value=padding_value, **kwargs)
        # Every number is checked as it is stored (type, finiteness, sign), so a wrong value fails here, naming the
        # argument, rather than as NaN output or a scipy error later; `_check_config` checks how they fit together.
        self.sampling_rate = sampling_rate
        self.window_seconds = _check_number(window_seconds, "window_seconds")
        self.window_stride_seconds = _check_number(window_stride_seconds, "window_stride_seconds", optional=True)
        self.l_freq = _check_number(l_freq, "l_freq", low=-math.inf, optional=True)  # sign: see _check_config
        self.h_freq = _check_number(h_freq, "h_freq", low=-math.inf, optional=True)
        self.highpass_order = _check_order(highpass_order, "highpass_order")
        self.lowpass_order = _check_order(lowpass_order, "lowpass_order")
        if notch_freq is None or isinstance(notch_freq, str):
            self.notch_freq = notch_freq
        else:
            frequencies = [notch_freq] if isinstance(notch_freq, numbers.Real) else notch_freq
            if not isinstance(frequencies, Sequence) or any(
                isinstance(f, bool) or not isinstance(f, numbers.Real) or not math.isfinite(f) for f in frequencies
            ):
                raise ValueError(
                    f"notch_freq must be a frequency in Hz, a list of them, 'auto' or None; got {notch_freq!r}."
                )
            self.notch_freq = [float(f) for f in frequencies]
        self.notch_quality = float(notch_quality)
        self.bipolar_pairs = (
            bipolar_pairs if bipolar_pairs is None or isinstance(bipolar_pairs, str) else list(bipolar_pairs)
        )
        self.units = units
        self.alaw_A = _check_number(alaw_A, "alaw_A", optional=True)
        self.artifact_threshold_uv = _check_number(artifact_threshold_uv, "artifact_threshold_uv")
        self.flat_threshold_uv = _check_number(flat_threshold_uv, "flat_threshold_uv", inclusive=True)
        self.padding_value = _check_number(padding_value, "padding_value", low=-math.inf)
        if channel_positions is not None and hasattr(channel_positions, "get_positions"):
            channel_positions = positions_from_montage(channel_positions)
        if isinstance(channel_positions, Mapping):  # JSON-friendly: lists of floats, exactly as they come back
            channel_positions = {str(name): [float(v) for v in xyz] for name, xyz in channel_positions.items()}
        elif channel_positions is not None and not isinstance(channel_positions, str):
            raise ValueError(
                "The extractor's channel_positions (saved with it) must be a dict {name: (x, y, z)} in metres, an mne "
                f"DigMontage or a built-in montage name; got {type(channel_positions).__name__}. Positions given per "
                "row, as a (channels, 3) array, belong to one call: `extractor(eeg, channel_names=..., "
                "channel_positions=array)`."
            )
        self.channel_positions = channel_positions
        if isinstance(position_bounds, (str, bytes)) or not isinstance(position_bounds, (Sequence, np.ndarray)):
            raise ValueError(f"position_bounds must be [low, high] in metres, got {position_bounds!r}.")
        self.position_bounds = [_check_number(b, "position_bounds", low=-math.inf) for b in position_bounds]
        self._check_config()

    # ------------------------------------------------------------------------------------------------------------------
    # configuration

    @property
    def window_length(self) -> int:
        """Samples per window at `sampling_rate` (256 by default)."""
        return int(round(self.window_seconds * self.sampling_rate))

    @property
    def window_stride(self) -> int:
        """Samples between window starts at `sampling_rate`."""
        seconds = self.window_seconds if self.window_stride_seconds is None else self.window_stride_seconds
        return int(round(seconds * self.sampling_rate))

    def _check_config(self):
        check_sampling_rate(self.sampling_rate, "the extractor's output")
        for name in ("window_seconds", "window_stride_seconds"):
            seconds = getattr(self, name)
            if seconds is None:
                continue
            samples = seconds * self.sampling_rate
            if seconds <= 0 or abs(samples - round(samples)) > 1e-9:
                raise ValueError(
                    f"{name} × sampling_rate must be a positive whole number of samples, got {seconds} s × "
                    f"{self.sampling_rate} Hz = {samples}."
                )
        if self.l_freq is not None and self.l_freq <= 0:
            raise ValueError(f"l_freq must be positive (Hz) or None, got {self.l_freq}.")
        if self.h_freq is not None and self.h_freq <= 0:
            raise ValueError(f"h_freq must be positive (Hz) or None, got {self.h_freq}.")
        if self.l_freq is not None and self.h_freq is not None and self.l_freq >= self.h_freq:
            raise ValueError(f"l_freq ({self.l_freq} Hz) must be below h_freq ({self.h_freq} Hz).")
        if self.h_freq is not None and self.h_freq >= self.sampling_rate / 2:
            raise ValueError(
                f"h_freq ({self.h_freq} Hz) must be below the Nyquist frequency of the output ({self.sampling_rate / 2} Hz)."
            )
        if isinstance(self.notch_freq, str) and self.notch_freq != "auto":
            raise ValueError(
                f"notch_freq must be a frequency, a list of them, 'auto' or None; got {self.notch_freq!r}."
            )
        if isinstance(self.notch_freq, list) and any(f <= 0 for f in self.notch_freq):
            raise ValueError(f"notch_freq: notch frequencies must be positive, got {self.notch_freq}.")
        if isinstance(self.bipolar_pairs, str) and self.bipolar_pairs != "double_banana":
            raise ValueError(
                f"bipolar_pairs must be 'double_banana', a list of 'A-B' names or None; got {self.bipolar_pairs!r}."
            )
        if isinstance(self.bipolar_pairs, list):
            malformed = [
                p
                for p in self.bipolar_pairs
                if not isinstance(p, str) or split_bipolar(normalize_channel_name(p)) is None
            ]
            if malformed or not self.bipolar_pairs:
                raise ValueError(
                    f"bipolar_pairs must be non-empty 'A-B' names (A minus B); these are not: {malformed}."
                )
        microvolts_per_unit(self.units)
        if not self.notch_quality > 0:
            raise ValueError(
                f"notch_quality must be a positive quality factor Q (notch bandwidth = frequency / Q), got "
                f"{self.notch_quality}; the paper's preprocessing uses 30."
            )
        if self.alaw_A is not None and self.alaw_A <= 0:
            raise ValueError(f"alaw_A must be positive, got {self.alaw_A}.")
        if self.alaw_A is not None and math.e + math.log(self.alaw_A) <= 0:
            # the companding divides by e + ln(A): zero at A = exp(-e), and below it the curve runs backwards
            raise ValueError(
                f"alaw_A must be above exp(-e) = {math.exp(-math.e):.4f}, where A-law's denominator e + ln(A) is "
                f"positive; got {self.alaw_A} (the paper uses 0.25)."
            )
        if len(self.position_bounds) != 2 or not self.position_bounds[0] < self.position_bounds[1]:
            raise ValueError(
                f"position_bounds must be [low, high] in metres with low < high, got {self.position_bounds}."
            )

    # ------------------------------------------------------------------------------------------------------------------
    # saving: the model card of a checkpoint states this extractor's preprocessing contract

    def save_pretrained(self, save_directory, push_to_hub: bool = False, **kwargs):
        """`FeatureExtractionMixin.save_pretrained`; in a model folder (one with a config.json or a NeurIPT card) the
        model card is then rewritten with this preprocessing contract (`card_neuript`). `push_to_hub=True` uploads
        through `push_to_hub`."""
        from pathlib import Path

        from .card_neuript import card_state, write_model_card

        hub_options = {key: kwargs.pop(key) for key in ("repo_id", "commit_message", "create_pr", "private", "token")
                       if key in kwargs}
        files = super().save_pretrained(save_directory, push_to_hub=False, **kwargs)
        folder = Path(save_directory)
        readme = folder / "README.md"
        ours = card_state(readme.read_text() if readme.is_file() else None)[0] == "ours"
        if (folder / "config.json").is_file() or ours:  # a model folder, not a prepared dataset's
            write_model_card(folder)
        if push_to_hub:
            self.push_to_hub(hub_options.pop("repo_id", folder.name), **hub_options)
        return files

    def push_to_hub(self, repo_id: str, *, commit_message=None, commit_description=None, private=None, token=None,
                    revision=None, create_pr=False, tags=None, **card_options):
        """Upload `preprocessor_config.json` and its code to the Hub repository `repo_id`, keeping the model there and
        rewriting its NeurIPT card with this preprocessing contract (transformers' own `push_to_hub` would replace
        the card with its template)."""
        from .card_neuript import push_folder

        return push_folder(
            self, repo_id, commit_message=commit_message or "Upload NeurIPT feature extractor",
            commit_description=commit_description, private=private, token=token, revision=revision,
            create_pr=create_pr, tags=tags, **card_options,
        )

    # ------------------------------------------------------------------------------------------------------------------
    # public API

    def __call__(
        self,
        raw_eeg,
        channel_names: Optional[Sequence] = None,
        sampling_rate: Union[float, Sequence[float], None] = None,
        units: Optional[str] = None,
        channel_positions: Union[str, Mapping[str, Sequence[float]], Any, None] = None,
        line_freq: Optional[float] = None,
        return_tensors: Optional[str] = "pt",
        return_metadata: bool = True,
    ) -> BatchFeature:
        """
        Preprocess one or more recordings and batch all their windows.

        Args:
            raw_eeg:
                One recording or a batch of them:
                - a 2-D array `(channels, time)` (numpy or torch);
                - a 3-D array `(recordings, channels, time)`, recordings sharing `channel_names`;
                - a list of 2-D arrays, which may differ in channels and length;
                - an `mne.io.Raw` or `mne.Epochs` (or a list of them, mixed with arrays if you like). Names, rate,
                  units (volts), positions (`get_montage()`) and the power-line frequency are read from it. Non-EEG
                  and bad channels are dropped with a message. Each epoch is one recording.
            channel_names (`list[str]` or `list[list[str]]`):
                Names of the channels of array inputs: one list for one recording (or for recordings sharing it), a
                list of lists for a batch. Not for mne objects. See `electrodes_neuript` for the names understood.
            sampling_rate (`float` or `list[float]`):
                Rate of array inputs in Hz, required (a missing or non-positive rate is an error). For mne objects it
                may be omitted; if given it must match `info["sfreq"]`.
            units (`str`, *optional*):
                Units of array inputs: `"V"`, `"mV"`, `"uV"`, `"nV"`; defaults to the extractor's `units`. A median
                amplitude far outside EEG's range after conversion warns of a likely unit mistake.
            channel_positions (`dict`, `DigMontage` or `str`, *optional*):
                Positions for this call, winning over the recording's montage, the extractor's `channel_positions` and
                the built-in tables, in that order.
            line_freq (`float`, *optional*):
                Power-line frequency of array inputs, for `notch_freq="auto"`.
            return_tensors (`str`, *optional*, defaults to `"pt"`): `"pt"`, `"np"` or `None` (numpy).
            return_metadata (`bool`, *optional*, defaults to `True`):
                Also return the per-window metadata below. With `False` only the model inputs are returned, so that
                `model(**features)` receives nothing else.

        Returns:
            [`BatchFeature`] with, for `B` windows (all windows of all recordings, in order), `C` the largest channel
            count and `T = window_seconds × sampling_rate`:
            - `input_values` `(B, C, T)` float32: A-law-companded µV (padded channels hold `padding_value`);
            - `channel_positions` `(B, C, 3)` float32: metres, MNE head frame (padded channels: 0);
            - `channel_mask` `(B, C)` int64: 1 for real channels, 0 for padding;
            - `window_source` `(B,)` int64: index of the recording the window comes from;
            - `window_start_seconds` `(B,)` float64: start of the window in its recording (epochs: from `tmin`);
            - `artifact_amplitude` `(B,)` bool: some |sample| > `artifact_threshold_uv`;
            - `artifact_flat` `(B,)` bool: some channel within ±`flat_threshold_uv` for the whole window;
            - `channel_names` (a list of `B` lists of str, not a tensor): the real channels of each window.
        """
        recordings = self._unpack(raw_eeg, channel_names, sampling_rate, units, line_freq)
        windows = []
        for source, recording in enumerate(recordings):
            try:
                processed = self._preprocess(recording, channel_positions)
            except ValueError as error:
                if len(recordings) == 1:
                    raise
                raise ValueError(f"Recording {source}: {error}") from None
            for index, start in enumerate(processed["window_start_seconds"]):
                windows.append(
                    {
                        "input_values": processed["input_values"][index],
                        "channel_positions": processed["channel_positions"],
                        "channel_names": processed["channel_names"],
                        "window_source": source,
                        "window_start_seconds": start,
                        "artifact_amplitude": processed["artifact_amplitude"][index],
                        "artifact_flat": processed["artifact_flat"][index],
                    }
                )
        if not return_metadata:
            windows = [{key: window[key] for key in ("input_values", "channel_positions")} for window in windows]
        return self.pad(windows, return_tensors=return_tensors)

    def pad(
        self,
        features: Union[Sequence[Mapping[str, Any]], Mapping[str, Sequence[Any]]],
        return_tensors: Optional[str] = "pt",
        padding_value: Optional[float] = None,
        padding: Union[bool, str] = True,
        max_length: Optional[int] = None,
        pad_to_multiple_of: Optional[int] = None,
    ) -> BatchFeature:
        """
        Collate windows with different channel sets into one batch: the data collator `Trainer` uses when the
        extractor is its `processing_class` (transformers' `DataCollatorWithPadding`, which also renames `label` to
        `labels`), or `data_collator=extractor.pad` elsewhere.

        Args:
            features (`list[dict]` or `dict[str, list]`):
                Windows, each with `input_values` `(C_i, T)` and `channel_positions` `(C_i, 3)` (numpy, torch or
                lists), optionally `channel_mask` `(C_i,)` (channels marked 0 are dropped before re-padding) and any
                other fields (`labels`, metadata, `channel_names`), which are stacked, or kept as lists when they are
                not numeric. A dict of lists (a `datasets` batch) works too.
            return_tensors (`str`, *optional*, defaults to `"pt"`): `"pt"`, `"np"` or `None` (numpy).
            padding_value (`float`, *optional*): defaults to the extractor's `padding_value`.

        Returns:
            [`BatchFeature`] with `input_values` `(B, C, T)` float32, `channel_positions` `(B, C, 3)` float32,
            `channel_mask` `(B, C)` int64 and the other fields, `C` the largest channel count. Time is never padded:
            every window must have the same `T`.
        """
        if padding not in (True, "longest") or max_length is not None or pad_to_multiple_of is not None:
            raise ValueError(
                f"pad always pads channels to the batch's largest channel count (padding=True); got padding={padding!r}, "
                f"max_length={max_length!r}, pad_to_multiple_of={pad_to_multiple_of!r}. Time is never padded."
            )
        if isinstance(features, Mapping):
            lengths = {len(v) for v in features.values()}
            if len(lengths) != 1:
                raise ValueError(f"A dict of lists must hold lists of one length, got lengths {sorted(lengths)}.")
            features = [dict(zip(features, values)) for values in zip(*features.values())]
        if len(features) == 0:
            raise ValueError("Nothing to pad: the list of windows is empty.")
        padding_value = self.padding_value if padding_value is None else float(padding_value)

        values, positions = [], []
        for index, feature in enumerate(features):
            if "input_values" not in feature or "channel_positions" not in feature:
                raise ValueError(
                    f"Window {index} needs 'input_values' and 'channel_positions', got keys {sorted(feature)}."
                )
            window = _to_numpy(feature["input_values"], "input_values")
            position = _to_numpy(feature["channel_positions"], "channel_positions")
            if window.ndim != 2 or position.shape != (window.shape[0], 3):
                raise ValueError(
                    f"Window {index}: input_values must be (channels, time) and channel_positions (channels, 3); got "
                    f"{window.shape} and {position.shape}."
                )
            if feature.get("channel_mask") is not None:
                keep = _to_numpy(feature["channel_mask"], "channel_mask").astype(bool)
                window, position = window[keep], position[keep]
            values.append(window)
            positions.append(position)
        lengths = {window.shape[-1] for window in values}
        if len(lengths) != 1:
            raise ValueError(
                f"All windows must have the same number of samples (time is never padded), got lengths {sorted(lengths)}."
            )

        batch, time, channels = len(values), lengths.pop(), max(window.shape[0] for window in values)
        input_values = np.full((batch, channels, time), padding_value, dtype=np.float32)
        channel_positions = np.zeros((batch, channels, 3), dtype=np.float32)
        channel_mask = np.zeros((batch, channels), dtype=np.int64)
        for index, (window, position) in enumerate(zip(values, positions)):
            count = window.shape[0]
            input_values[index, :count] = window
            channel_positions[index, :count] = position
            channel_mask[index, :count] = 1
        data = {"input_values": input_values, "channel_positions": channel_positions, "channel_mask": channel_mask}

        # Every other field: stacked when numeric, otherwise kept as a list (names), added after tensor conversion
        # so that no transformers version tries to turn strings into tensors.
        passthrough = {}
        for key in features[0]:
            if key in data:
                continue
            column = [feature.get(key) for feature in features]
            stacked = self._stack_column(key, column)
            if stacked is None:
                passthrough[key] = column
            else:
                data[key] = stacked
        batch_feature = BatchFeature(data=data, tensor_type=return_tensors)
        for key, column in passthrough.items():
            batch_feature[key] = column
        return batch_feature

    # ------------------------------------------------------------------------------------------------------------------
    # one recording

    def preprocess_recording(
        self,
        signal,
        channel_names: Sequence[str],
        sampling_rate: float,
        units: Optional[str] = None,
        channel_positions=None,
        line_freq: Optional[float] = None,
    ) -> dict[str, Any]:
        """
        Run the whole pipeline on one `(channels, time)` recording, without batching (what `__call__` does for each
        recording before `pad`). Arguments as in `__call__`.

        Returns a dict with `input_values` `(W, C, T)` float32, `channel_positions` `(C, 3)` float32, `channel_names`
        (`C` names), `window_start_seconds` `(W,)`, `artifact_amplitude` `(W,)` and `artifact_flat` `(W,)`.
        """
        recording = _Recording(
            _to_numpy(signal, "signal"),
            list(channel_names),
            check_sampling_rate(sampling_rate, "a recording"),
            microvolts_per_unit(self.units if units is None else units),
            line_freq=line_freq,
        )
        return self._preprocess(recording, channel_positions)

    def preprocess_in_chunks(
        self,
        recording,
        channel_names: Optional[Sequence[str]] = None,
        sampling_rate: Optional[float] = None,
        units: Optional[str] = None,
        channel_positions=None,
        line_freq: Optional[float] = None,
        chunk_seconds: float = 600.0,
        margin_seconds: float = 120.0,
    ):
        """
        The pipeline of `preprocess_recording` over a recording too long for memory, one chunk at a time: a generator
        of the same dicts, each holding the windows that start inside one chunk, in order. Peak memory depends on
        `chunk_seconds + 2 × margin_seconds`, not on the recording's length.

        `recording` is a `(channels, time)` array (an `np.memmap` works: only the chunk being processed is read) or an
        mne `Raw` opened with `preload=False` (chunks are read with `get_data(start=, stop=)`; names, rate, montage
        and power-line frequency come from it).

        Equivalence with processing in one piece: every chunk is extended by `margin_seconds` on both sides, run
        through the whole pipeline, and only its own windows are kept. The chunk grid is aligned with the resampler's
        phase and the window grid, so window starts, channel positions and flags are those of the one-piece result;
        the values differ only by the zero-phase IIR filters' response cut at the margin (the 0.1 Hz high-pass decays
        to ~1e-4 of a step within 60 s). `tests/test_reliability.py` checks the agreement on real EEG. The mean
        removal per chunk instead of per recording changes nothing after the high-pass, so `l_freq` is required.
        """
        if self.l_freq is None:
            raise ValueError("preprocess_in_chunks needs the high-pass (l_freq): without it each chunk's mean would "
                             "differ from the recording's. Process the recording in one piece instead.")
        if _is_mne_like(recording):
            info = recording.info
            picks = [i for i, ch in enumerate(info["chs"])
                     if int(ch["kind"]) == FIFF_EEG_CH and ch["ch_name"] not in set(info.get("bads", []) or [])]
            if not picks:
                raise ValueError(f"The {type(recording).__name__} has no good EEG channel (channel types 'eeg', not bad).")
            names = [info["chs"][i]["ch_name"] for i in picks]
            rate = float(info["sfreq"])
            scale = microvolts_per_unit("V" if units is None else units)  # overrides a header that mislabels its units
            total = int(recording.n_times)
            montage = recording.get_montage() if hasattr(recording, "get_montage") else None
            positions = None
            if montage is not None:
                positions = {n: xyz for n, xyz in positions_from_montage(montage).items()
                             if n in names and any(abs(v) > 0 for v in xyz)} or None
            line_freq = info.get("line_freq") if line_freq is None else line_freq

            def read(start, stop):
                return np.asarray(recording.get_data(picks=picks, start=start, stop=stop), dtype=np.float64)
        else:
            if channel_names is None:
                raise ValueError("channel_names is required for array inputs: one name per channel (row).")
            if getattr(recording, "ndim", None) != 2:
                raise ValueError(f"A recording must be a 2-D array (channels, time), got {type(recording).__name__}.")
            names, rate = list(channel_names), check_sampling_rate(sampling_rate, "array inputs")
            scale = microvolts_per_unit(self.units if units is None else units)
            total, positions = int(recording.shape[1]), None

            def read(start, stop):
                return _to_numpy(recording[:, start:stop], "recording")

        up, down = resampling_factors(rate, self.sampling_rate)
        unit_out = math.lcm(self.window_stride, up)  # output samples per grid step: window grid and resampler phase
        unit_in = unit_out * down // up  # the same step in input samples
        chunk = max(1, round(chunk_seconds * rate / unit_in)) * unit_in
        margin = max(1, math.ceil(max(margin_seconds * rate, self.window_seconds * rate) / unit_in)) * unit_in
        reach = math.ceil(self.window_length * down / up) + unit_in  # input covering a window started at the chunk end
        start = 0
        while start < total:
            first, last = max(0, start - margin), min(total, start + chunk + reach + margin)
            piece = _Recording(read(first, last), names, rate, scale, positions, line_freq, first / rate,
                               _is_mne_like(recording))
            try:
                result = self._preprocess(piece, channel_positions)
            except ValueError as error:
                if "too short" in str(error) and first > 0:
                    break  # the tail holds no window that a one-piece run would have
                raise
            offset = first * up // down  # output sample of the piece's first sample (exact: first % unit_in == 0)
            local = np.rint((result["window_start_seconds"] - first / rate) * self.sampling_rate).astype(np.int64)
            owned = (local + offset >= start * up // down) & (local + offset < (start + chunk) * up // down)
            yield {**result, **{k: result[k][owned] for k in ("input_values", "window_start_seconds",
                                                               "artifact_amplitude", "artifact_flat")}}
            start += chunk

    def _preprocess(self, recording: _Recording, channel_positions=None) -> dict[str, Any]:
        signal, names, rate = recording.signal, recording.channel_names, recording.sampling_rate
        self._check_signal(signal, names, rate)
        self._check_amplitude(signal, recording)
        line_freq = _check_line_freq(recording.line_freq)
        channel_positions = _positions_by_row(channel_positions, names)  # an array's rows follow the input channels

        # Positions first: a montage problem should fail before any filtering.
        signal, names = self._rereference(signal, names)
        positions, names = self._resolve_positions(names, channel_positions, recording.montage)
        self._check_bounds(positions, names)

        microvolts = signal * recording.to_microvolts  # a new array: the caller's data is never modified
        self._warn_on_units(microvolts, recording.from_mne)
        microvolts -= microvolts.mean(axis=-1, keepdims=True)  # no DC step for the filters to ring on

        notch = self._notch_freqs(line_freq)
        sos = design_filter(
            rate, self.l_freq, self.h_freq, self.highpass_order, self.lowpass_order, notch, self.notch_quality
        )
        padlen = None if self.l_freq is None else int(round(3 * rate / self.l_freq))  # 3 periods of the high-pass
        filtered = zero_phase_filter(microvolts, sos, padlen)
        resampled = resample(filtered, rate, self.sampling_rate)

        starts = window_starts(resampled.shape[-1], self.window_length, self.window_stride)
        windows = np.lib.stride_tricks.sliding_window_view(resampled, self.window_length, axis=-1)[:, starts]
        windows = windows.transpose(1, 0, 2)  # (W, C, T)
        magnitude = np.abs(windows)
        channel_peak = magnitude.max(axis=2)  # (W, C); NaN propagates
        if not np.isfinite(channel_peak).all():  # a guard: the checks above should leave nothing to catch here
            broken = sorted({names[c] for c in np.argwhere(~np.isfinite(channel_peak))[:, 1]})
            raise ValueError(
                f"Filtering gave non-finite values (channels {broken}); "
                f"the input peaks at {np.abs(microvolts).max():.3g} µV after unit conversion. Check the units and the "
                "filter settings (l_freq, h_freq, highpass_order, lowpass_order, notch_freq)."
            )
        artifact_amplitude = (magnitude > self.artifact_threshold_uv).any(axis=(1, 2))
        artifact_flat = (channel_peak < self.flat_threshold_uv).any(axis=1)
        if self.alaw_A is not None:
            windows = a_law_compress(windows, self.alaw_A)
        return {
            "input_values": np.ascontiguousarray(windows, dtype=np.float32),
            "channel_positions": positions.astype(np.float32),
            "channel_names": names,
            "window_start_seconds": recording.time_offset + starts / float(self.sampling_rate),
            "artifact_amplitude": artifact_amplitude,
            "artifact_flat": artifact_flat,
        }

    # ------------------------------------------------------------------------------------------------------------------
    # helpers

    def _unpack(self, raw_eeg, channel_names, sampling_rate, units, line_freq) -> list[_Recording]:
        """Normalise every accepted input form into a list of `_Recording`s (one per recording / epoch / row)."""
        if raw_eeg is None:
            raise ValueError(
                "raw_eeg is empty (None): pass a (channels, time) array, a list of them, or an mne object."
            )
        if _is_mne_like(raw_eeg) or _is_array_like(raw_eeg):
            items, batched = [raw_eeg], False
        elif isinstance(raw_eeg, (list, tuple)):
            if len(raw_eeg) == 0:
                raise ValueError("raw_eeg is an empty list: pass at least one recording.")
            if all(_is_mne_like(item) or _is_array_like(item) for item in raw_eeg):
                items, batched = list(raw_eeg), True
            else:  # nested lists of numbers: one recording written as lists
                items, batched = [_to_numpy(raw_eeg, "raw_eeg")], False
        else:
            raise ValueError(
                "raw_eeg must be a (channels, time) numpy array or torch tensor, a list of them, or an mne Raw/Epochs; "
                f"got {type(raw_eeg).__name__}."
            )

        array_items = [item for item in items if not _is_mne_like(item)]
        names_per_item = self._names_per_item(channel_names, items, batched, len(array_items))
        rates = self._per_item(sampling_rate, len(items), "sampling_rate")
        recordings = []
        for index, item in enumerate(items):
            if _is_mne_like(item):
                if names_per_item[index] is not None:
                    raise ValueError("channel_names are read from mne objects; do not pass them for one.")
                recordings.extend(self._unpack_mne(item, rates[index], units))
                continue
            array = _to_numpy(item, "raw_eeg")
            rate = check_sampling_rate(rates[index], "array inputs")
            scale = microvolts_per_unit(self.units if units is None else units)
            if array.ndim == 3:
                recordings.extend(_Recording(row, names_per_item[index], rate, scale, None, line_freq) for row in array)
            else:
                recordings.append(_Recording(array, names_per_item[index], rate, scale, None, line_freq))
        return recordings

    @staticmethod
    def _names_per_item(channel_names, items, batched, num_arrays) -> list:
        """One list of names (or None for mne objects) per item."""
        if num_arrays == 0:
            if channel_names is not None:
                raise ValueError("channel_names are read from mne objects; do not pass them for one.")
            return [None] * len(items)
        if channel_names is None:
            raise ValueError("channel_names is required for array inputs: one name per channel (row) of the array.")
        if isinstance(channel_names, str) or not isinstance(channel_names, Sequence):
            raise ValueError(f"channel_names must be a list of str (or a list of such lists), got {channel_names!r}.")
        shared = len(channel_names) > 0 and all(isinstance(name, str) for name in channel_names)
        if not batched or shared:
            if not shared:
                raise ValueError(f"channel_names must be a non-empty list of str, got {channel_names!r}.")
            return [None if _is_mne_like(item) else list(channel_names) for item in items]
        if len(channel_names) != len(items):
            raise ValueError(
                f"Got {len(items)} recordings but {len(channel_names)} lists of channel_names: give one list per "
                "recording (None for mne objects), or one list shared by all."
            )
        result = []
        for item, names in zip(items, channel_names):
            if _is_mne_like(item):
                result.append(None if names is None else list(names))
            elif names is None or isinstance(names, str) or not all(isinstance(n, str) for n in names):
                raise ValueError(f"Each recording's channel_names must be a list of str, got {names!r}.")
            else:
                result.append(list(names))
        return result

    @staticmethod
    def _per_item(value, count, name) -> list:
        if isinstance(value, (list, tuple)):
            if len(value) != count:
                raise ValueError(f"Got {count} recordings but {len(value)} values of {name}.")
            return list(value)
        return [value] * count

    def _unpack_mne(self, obj, rate, units=None) -> list[_Recording]:
        """One `_Recording` per mne Raw (or per epoch). mne converts the file's samples to volts using the units its
        header declares; `units` (None = "V") overrides that for files whose header mislabels them (µV samples
        labelled volts: `units="uV"`)."""
        info = obj.info
        sfreq = float(info["sfreq"])
        if rate is not None and check_sampling_rate(rate, "mne objects") != sfreq:
            raise ValueError(f"sampling_rate={rate} does not match the mne object's info['sfreq'] = {sfreq} Hz.")
        bads = set(info.get("bads", []) or [])
        picks, dropped = [], []
        for index, channel in enumerate(info["chs"]):
            if int(channel["kind"]) == FIFF_EEG_CH and channel["ch_name"] not in bads:
                picks.append(index)
            else:
                dropped.append(channel["ch_name"])
        if dropped:
            logger.warning(
                f"Dropped {len(dropped)} non-EEG or bad channel(s) of the {type(obj).__name__}: {dropped}. NeurIPT takes "
                "EEG channels only (mne channel type 'eeg', not in info['bads'])."
            )
        if not picks:
            raise ValueError(f"The {type(obj).__name__} has no good EEG channel (channel types 'eeg', not bad).")
        names = [info["chs"][index]["ch_name"] for index in picks]
        data = np.asarray(obj.get_data(picks=picks), dtype=np.float64)

        montage = obj.get_montage() if hasattr(obj, "get_montage") else None
        positions = None
        if montage is not None:
            positions = {
                name: xyz
                for name, xyz in positions_from_montage(montage).items()
                if name in names and any(abs(v) > 0 for v in xyz)  # mne marks "no position" with zeros
            } or None
        line_freq = info.get("line_freq")
        scale = microvolts_per_unit("V" if units is None else units)
        if data.ndim == 3:  # Epochs: (epochs, channels, time), each epoch a recording starting at tmin
            offset = float(getattr(obj, "tmin", 0.0))
            return [_Recording(epoch, names, sfreq, scale, positions, line_freq, offset, True) for epoch in data]
        return [_Recording(data, names, sfreq, scale, positions, line_freq, from_mne=True)]

    def _check_signal(self, signal: np.ndarray, names: Sequence[str], rate: float):
        if signal.ndim != 2:
            raise ValueError(f"A recording must be a 2-D array (channels, time), got shape {signal.shape}.")
        channels, samples = signal.shape
        if channels == 0 or samples == 0:
            raise ValueError(f"The recording is empty: shape {signal.shape} (channels, time).")
        if len(names) != channels:
            raise ValueError(f"Got {len(names)} channel_names for {channels} channels (rows): give one name per row.")
        keys = [channel_key(name) for name in names]
        if len(set(keys)) != len(keys):
            seen, duplicates = {}, []
            for name, key in zip(names, keys):
                if key in seen:
                    duplicates.append(f"{seen[key]!r} and {name!r}")
                seen.setdefault(key, name)
            raise ValueError(f"Duplicate channels (the same electrode after normalisation): {'; '.join(duplicates)}.")
        finite = np.isfinite(signal)
        if not finite.all():
            counts = (~finite).sum(axis=-1)
            bad = ", ".join(f"{names[i]!r}: {counts[i]}" for i in np.flatnonzero(counts))
            raise ValueError(
                f"The recording has NaN or inf samples (channel: count) {bad}. Interpolate or drop those channels, or "
                "crop the affected time, before extraction."
            )
        minimum = self.window_seconds
        if samples / rate < minimum or samples < 2:  # resampling extends the ends along a line: 2 points at least
            raise ValueError(
                f"The recording is too short: {samples} samples at {rate:g} Hz = {samples / rate:.3f} s, but one window "
                f"needs {minimum:g} s (at least {max(2, math.ceil(minimum * rate))} samples at {rate:g} Hz)."
            )

    def _rereference(self, signal: np.ndarray, names: list[str]) -> tuple[np.ndarray, list[str]]:
        """Bipolar derivations `A - B`, if configured; channels no pair uses are dropped."""
        if self.bipolar_pairs is None:
            return signal, names
        pairs = DOUBLE_BANANA_PAIRS if self.bipolar_pairs == "double_banana" else self.bipolar_pairs
        row_of = {channel_key(name): row for row, name in enumerate(names)}
        first, second, missing = [], [], []
        for pair in pairs:
            ends = split_bipolar(normalize_channel_name(pair))
            for end, rows in zip(ends, (first, second)):
                key = channel_key(end)
                if key in row_of:
                    rows.append(row_of[key])
                elif end not in missing:
                    missing.append(end)
        if missing:
            raise ValueError(
                f"bipolar_pairs need electrodes the recording does not have: {missing}. Its channels are {names}."
            )
        return signal[first] - signal[second], list(pairs)

    def _resolve_positions(self, names, call_positions, recording_positions):
        """Positions by precedence: the call's, the recording's montage, the extractor's saved ones, the tables."""
        specs = [spec for spec in (call_positions, recording_positions, self.channel_positions) if spec is not None]
        if not specs:
            return resolve_channel_positions(names)
        merged, forced = {}, None
        for spec in reversed(specs):  # later (stronger) specs overwrite earlier ones
            if isinstance(spec, str):
                forced = spec
            else:
                merged.update(positions_from_montage(spec) if hasattr(spec, "get_positions") else spec)
        return resolve_channel_positions(names, merged or None, fallback_positions=forced)

    def _check_bounds(self, positions: np.ndarray, names: list[str]):
        low, high = self.position_bounds
        outside = ((positions < low) | (positions > high)).any(axis=-1)
        if outside.any():
            listed = ", ".join(
                f"{names[i]} {tuple(round(float(v), 4) for v in positions[i])}" for i in np.flatnonzero(outside)
            )
            raise ValueError(
                f"Channel position(s) outside the model's head cube [{low}, {high}] m on some axis: {listed}. Positions "
                "must be metres in MNE's head frame (+x right ear, +y nasion, +z up), not millimetres or centimetres."
            )

    @staticmethod
    def _check_amplitude(signal: np.ndarray, recording: _Recording):
        """Refuse amplitudes no EEG has (beyond `MAX_ABS_MICROVOLTS` after unit conversion), before they overflow."""
        peak = max(float(signal.max()), -float(signal.min()))  # in the recording's units; two passes, no copy
        microvolts = peak * recording.to_microvolts  # Python floats: inf, never an overflow warning
        if microvolts <= MAX_ABS_MICROVOLTS:
            return
        units = next(name for name, scale in UNITS_TO_MICROVOLTS.items() if scale == recording.to_microvolts)
        where = "the mne object's values (volts, per its file header)" if recording.from_mne else "the samples"
        raise ValueError(
            f"The recording reaches {peak:.3g} {units} = {microvolts:.3g} µV ({where} read as {units!r}): beyond "
            f"{MAX_ABS_MICROVOLTS:.0e} µV no amplifier records EEG, and filtering such numbers overflows. Check the "
            "units (`units=` of the call: 'V', 'mV', 'uV' or 'nV') and that the array holds the signal, not raw "
            "integer counts or a corrupted file."
        )

    def _warn_on_units(self, microvolts: np.ndarray, from_mne: bool = False):
        step = max(1, microvolts.shape[-1] // 4096)  # a subsample is enough to tell µV from V
        sample = microvolts[:, ::step]
        spread = np.median(np.abs(sample - np.median(sample, axis=-1, keepdims=True)), axis=-1)
        spread = spread[spread > 0]
        if spread.size == 0:
            return
        median = float(np.median(spread))
        low, high = PLAUSIBLE_MEDIAN_UV
        if median < low:
            warnings.warn(
                f"The median absolute amplitude is {median:.3g} µV after unit conversion, far below EEG's µV range: "
                + (
                    "the mne object's values are far below EEG in volts: leave units= out (mne objects hold volts) "
                    "unless the file's header mislabels its samples."
                    if from_mne
                    else "the data look like volts passed with units='uV' (pass units='V')."
                ),
                UnitsWarning,
                stacklevel=4,
            )
        elif median > high:
            warnings.warn(
                f"The median absolute amplitude is {median:.3g} µV after unit conversion, far above EEG's µV range: "
                + (
                    "the samples look like µV that the file's header labels as volts (pass units='uV' with the mne "
                    "object to read its values as µV; in a `neuript prepare` recipe set `source: {units: uV}`)."
                    if from_mne
                    else "the data look like µV passed with units='V' (pass units='uV')."
                ),
                UnitsWarning,
                stacklevel=4,
            )

    def _notch_freqs(self, line_freq: Optional[float]) -> tuple[float, ...]:
        line_freq = _check_line_freq(line_freq)  # also for the streaming path, which calls this directly
        if self.notch_freq is None:
            return ()
        if self.notch_freq == "auto":
            return (float(line_freq),) if line_freq else DEFAULT_LINE_FREQS
        return tuple(self.notch_freq)

    @staticmethod
    def _stack_column(key: str, column: list) -> Optional[np.ndarray]:
        """A numeric column as one array (float64 → float32 except times), or None to keep it as a list."""
        if any(value is None or isinstance(value, str) for value in column):
            return None
        try:
            array = np.stack([np.asarray(v.detach().cpu() if isinstance(v, torch.Tensor) else v) for v in column])
        except (ValueError, TypeError):
            return None
        if array.dtype.kind not in "biuf":
            return None
        if array.dtype == np.float64 and key != "window_start_seconds":
            array = array.astype(np.float32)
        return array


__all__ = ["NeurIPTFeatureExtractor", "a_law_compress", "a_law_expand", "check_sampling_rate", "microvolts_per_unit"]
