"""Event-locked windows of a recording, preprocessed by the NeurIPT contract, as plain arrays.

The interop layers (braindecode, scikit-learn) and their examples take `(windows, channels, time)` arrays and labels,
not a prepared Arrow dataset. `event_windows` cuts them from the *continuously* preprocessed recording (filtered and
resampled as one piece, as `neuript prepare` does), so short windows never meet the 0.1 Hz high-pass's edge effects.
"""

import warnings
from collections.abc import Mapping
from typing import Optional

import numpy as np

from modeling_neuript.feature_extraction_neuript import NeurIPTFeatureExtractor, a_law_compress


def event_windows(
    raw,
    labels: Mapping[str, str],
    tmin: float = 0.0,
    window_seconds: float = 1.0,
    extractor: Optional[NeurIPTFeatureExtractor] = None,
    companded: bool = True,
) -> dict:
    """
    One window per annotation of `raw` whose description is a key of `labels`.

    Args:
        raw (`mne.io.Raw`): the recording (volts, any rate and montage; EEG channels are used as the extractor says).
        labels (`dict[str, str]`): annotation description → class name, e.g. `{"face-upright": "face",
            "house-upright": "house"}`. Class indices follow the order of first appearance of the class names.
        tmin (`float`): window start relative to the annotation onset, seconds.
        window_seconds (`float`): window length, seconds; `window_seconds × extractor.sampling_rate` must be whole.
        extractor (`NeurIPTFeatureExtractor`, *optional*): the preprocessing contract (default: the paper's).
        companded (`bool`): apply the extractor's A-law (the model's input space). With `False` the windows are µV.

    Returns:
        `dict` with `input_values` `(N, C, T)` float32, `labels` `(N,)` int64, `label_names` (list of str),
        `channel_names` (`C` names), `channel_positions` `(C, 3)` float32 (metres), `onset_seconds` `(N,)` and
        `sampling_rate`. Annotations whose window would cross the recording's start or end are left out with a
        warning that counts them.
    """
    from modeling_neuript.data.prepare import continuous_microvolts

    if not labels:
        raise ValueError("labels is empty: map at least one annotation description to a class name.")
    extractor = extractor or NeurIPTFeatureExtractor()
    rate = extractor.sampling_rate
    length = window_seconds * rate
    if window_seconds <= 0 or abs(length - round(length)) > 1e-9:
        raise ValueError(f"window_seconds × {rate} Hz must be a positive whole number of samples, got {length}.")
    length = int(round(length))
    descriptions = [str(d) for d in raw.annotations.description]
    unknown = sorted(set(labels) - set(descriptions))
    if unknown:
        raise ValueError(f"Annotations {unknown} do not occur in the recording; it has {sorted(set(descriptions))}.")

    signal, names, positions = continuous_microvolts(extractor, raw)
    class_names = list(dict.fromkeys(labels.values()))
    windows, targets, onsets, outside = [], [], [], 0
    for onset, description in zip(raw.annotations.onset - raw.first_time, descriptions):
        if description not in labels:
            continue
        start = int(round((onset + tmin) * rate))
        if start < 0 or start + length > signal.shape[-1]:
            outside += 1
            continue
        windows.append(signal[:, start : start + length])
        targets.append(class_names.index(labels[description]))
        onsets.append(float(onset))
    if outside:
        warnings.warn(f"{outside} annotation(s) left out: their window crosses the recording's start or end.",
                      stacklevel=2)
    if not windows:
        raise ValueError("No annotation of `labels` has a full window inside the recording.")
    values = np.stack(windows)
    if companded and extractor.alaw_A is not None:
        values = a_law_compress(values, extractor.alaw_A)
    return {
        "input_values": values.astype(np.float32),
        "labels": np.asarray(targets, dtype=np.int64),
        "label_names": class_names,
        "channel_names": list(names),
        "channel_positions": np.asarray(positions, dtype=np.float32),
        "onset_seconds": np.asarray(onsets),
        "sampling_rate": rate,
    }


__all__ = ["event_windows"]
