"""Real-data access (`modeling_neuript/data/sources.py`): pinned wheels, hashes, mne objects with labels."""

import shutil
import subprocess
from collections import Counter

import numpy as np
import pytest

from modeling_neuript.data import sources as datasets
from modeling_neuript.data.sources import PINNED_FILES, ChecksumError, PinnedFile, fetch_file, sha256_of

mne = pytest.importorskip("mne")


def test_eegmmidb_recording(eegmmidb_raw):
    raw = eegmmidb_raw
    assert raw.info["sfreq"] == 160.0
    assert len(raw.ch_names) == 64 and raw.n_times == 9760
    assert raw.ch_names[:3] == ["Fc5.", "Fc3.", "Fc1."] and "Cz.." in raw.ch_names
    assert set(raw.get_channel_types()) == {"eeg"}
    assert raw.info["line_freq"] == 60.0
    data = raw.get_data()
    assert np.isfinite(data).all()
    assert 1e-6 < np.median(np.abs(data)) < 1e-4  # volts: tens of µV
    assert list(raw.annotations.description) == ["T0"]


def test_face13_recording_and_labels(face13_raw):
    raw = face13_raw
    assert raw.info["sfreq"] == 256.0 and len(raw.ch_names) == 128
    assert raw.ch_names[0] == "A1" and raw.ch_names[-1] == "D32"
    assert raw.info["line_freq"] == 60.0 and raw.info["bads"] == []
    assert abs(raw.times[-1] - 1119.0) < 0.01
    counts = Counter(raw.annotations.description)
    expected = {
        "face-upright": 198,
        "face-inverted": 198,
        "house-upright": 198,
        "house-inverted": 197,
        "checker-left": 198,
        "checker-right": 197,
        "press-left": 195,
        "press-right": 200,
    }
    assert {name: counts[name] for name in expected} == expected
    events, event_id = datasets.face13_events(raw)
    assert event_id == {name: code for code, name in enumerate(datasets.FACE13_CONDITIONS, start=1)}
    assert len(events) == sum(expected[name] for name in datasets.FACE13_CONDITIONS)
    # Onsets from events.tsv land on the samples of its `sample` column (no shift of the annotations' origin).
    first = events[events[:, 2] == event_id["checker-left"]][0, 0]
    assert first - raw.first_samp == 1601


def test_face13_epochs(face13_raw):
    epochs = datasets.face13_epochs(face13_raw.copy().crop(0, 300), ["face-upright", "house-upright"])
    assert set(epochs.event_id) == {"face-upright", "house-upright"}
    assert epochs.get_data().shape[1:] == (128, 181)  # -0.1..0.6 s at 256 Hz
    with pytest.raises(ValueError, match="do not occur"):
        datasets.face13_events(face13_raw, ["face-sideways"])


def test_face13_second_subject_and_flagged_bads(load_or_skip):
    raw = load_or_skip(datasets.load_face13, "s02", preload=False, mark_flagged_bads=True)
    assert len(raw.ch_names) == 128 and raw.info["sfreq"] == 256.0
    assert raw.info["bads"] == ["B10", "C1", "C10", "C18", "B16", "B17", "B27", "B28", "C12"]
    counts = Counter(raw.annotations.description)
    assert counts["face-upright"] == 200 and counts["press-right"] == 196
    with pytest.raises(ValueError, match="'s01' and 's02'"):
        datasets.load_face13("s03")


def test_cached_files_have_their_pinned_hashes(eegmmidb_raw):
    path = fetch_file("S001R02.edf")
    assert sha256_of(path) == PINNED_FILES["S001R02.edf"].sha256
    assert path.is_relative_to(datasets.cache_dir())


def test_cache_is_reused_without_pip(eegmmidb_raw, monkeypatch):
    def no_pip(*args, **kwargs):
        raise AssertionError("pip must not run when the cache holds the file")

    monkeypatch.setattr(subprocess, "run", no_pip)
    assert fetch_file("S001R02.edf").exists()
    wheel = datasets.BIOSIGNALSNOTEBOOKS
    assert datasets.fetch_wheel(wheel.name, wheel.version, wheel.sha256).name.startswith("biosignalsnotebooks-0.6.14")


def test_corrupted_cache_file_is_replaced(eegmmidb_raw, tmp_path, monkeypatch):
    # A private cache holding a copy of the already downloaded wheel, so no network is needed.
    wheel = datasets.BIOSIGNALSNOTEBOOKS
    source = datasets.fetch_wheel(wheel.name, wheel.version, wheel.sha256)
    monkeypatch.setenv("NEURIPT_CACHE", str(tmp_path))
    (tmp_path / "wheels").mkdir()
    shutil.copy(source, tmp_path / "wheels" / source.name)
    target = tmp_path / "files" / "biosignalsnotebooks" / "S001R02.edf"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"not an EDF")
    assert fetch_file("S001R02.edf") == target
    assert sha256_of(target) == PINNED_FILES["S001R02.edf"].sha256


def test_hash_mismatch_raises_and_keeps_nothing(eegmmidb_raw, tmp_path, monkeypatch):
    wheel = datasets.BIOSIGNALSNOTEBOOKS
    source = datasets.fetch_wheel(wheel.name, wheel.version, wheel.sha256)
    monkeypatch.setenv("NEURIPT_CACHE", str(tmp_path))
    (tmp_path / "wheels").mkdir()
    shutil.copy(source, tmp_path / "wheels" / source.name)
    pinned = PINNED_FILES["S001R02.edf"]
    monkeypatch.setitem(PINNED_FILES, "S001R02.edf", PinnedFile(pinned.wheel, pinned.member, "0" * 64))
    with pytest.raises(ChecksumError, match="expected the pinned 0000"):
        fetch_file("S001R02.edf")
    folder = tmp_path / "files" / "biosignalsnotebooks"
    assert not any(folder.iterdir())


def test_unknown_key():
    with pytest.raises(KeyError, match="Unknown data file"):
        fetch_file("S999R99.edf")
