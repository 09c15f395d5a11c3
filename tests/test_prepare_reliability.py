"""`neuript prepare` against bad recordings and misused output folders, each made in the test from real EEG (EEGMMIDB
S001R02.edf, Face13 s01): a bad recording is skipped and listed in manifest.json with its reason and fix, the good
ones are prepared in full, the run fails only when nothing usable remains (or with --strict), and an output folder
refuses to mix settings. Every case counts in the reliability summary line (`tests/reliability_registry.py`)."""

import json
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

from helpers import REPO
from modeling_neuript.data.prepare import PrepareArguments, RecordingSkipped, prepare, prepare_recipe
from modeling_neuript.data.reading import load_prepared
from modeling_neuript.training.checkpoints import atomic_save
from reliability_registry import count

RECIPE = """
name: bad-recordings
source: {{pattern: "{pattern}"{source}}}
channels: eeg
windows: {{mode: pretraining, window_seconds: {window_seconds}}}
cleaning: {{reject_artifacts: {reject}{cleaning}}}
{extra}"""
GOOD_WINDOWS = 15  # EEGMMIDB S001R02: 61 s at 160 Hz = 15 windows of 4 s


def write_recipe(folder: Path, window_seconds=4.0, cleaning="", extra="", reject=False, pattern="*_eeg.*",
                 source="") -> str:
    text = RECIPE.format(window_seconds=window_seconds, cleaning=cleaning, extra=extra, reject=str(reject).lower(),
                         pattern=pattern, source=source)
    path = folder / f"recipe-{abs(hash(text))}.yaml"
    path.write_text(text)
    return str(path)


def run(recipe, data, out, **kwargs) -> dict:
    """prepare(), then the manifest it wrote."""
    prepare(PrepareArguments(recipe=recipe, output_dir=str(out), root=str(data), **kwargs))
    return json.loads((Path(out) / "manifest.json").read_text())


def prepared(recipe, data, out, **kwargs):
    """prepare(), then the dataset it wrote."""
    run(recipe, data, out, **kwargs)
    return load_prepared(out)[0]


def save_fif(raw, path):
    raw.save(path, fmt="double", overwrite=True, verbose="error")


# One folder of bad recordings next to a good one, each made from the real EEGMMIDB recording; the expected fragment
# of the reason in the manifest.
def _png(edf, raw, path):
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 16)


def _text(edf, raw, path):
    path.write_text("subject,trial,rt\n1,1,0.53\n" * 50)


def _cut_header(edf, raw, path):
    path.write_bytes(Path(edf).read_bytes()[:300])  # inside the 256 + 64 x 256 byte header


def _truncated(edf, raw, path):
    data = Path(edf).read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _nan_sample(edf, raw, path):
    raw = raw.copy()
    raw._data[raw.ch_names.index("Cz.."), 4000] = np.nan
    save_fif(raw, path)


def _unknown_channels(edf, raw, path):
    raw = raw.copy()
    raw.rename_channels({"Fc5.": "EKG", "Fc3.": "Resp"})  # typed EEG, as mne's EDF reader types every channel
    save_fif(raw, path)


def _flat_channel(edf, raw, path):
    raw = raw.copy()
    raw._data[raw.ch_names.index("Oz..")] = 12e-6  # a disconnected electrode: a constant offset
    save_fif(raw, path)


def _microvolts_labelled_volts(edf, raw, path):
    raw = raw.copy()
    raw._data *= 1e6  # the samples are µV numbers, the header says volts (a mislabelled GDF / EDF)
    save_fif(raw, path)


BAD = {
    "png_renamed": ("sub-png_eeg.edf", _png, "unreadable by mne.io.read_raw_edf (ValueError: Bad EDF file"),
    "text_renamed": ("sub-text_eeg.edf", _text, "unreadable by mne.io.read_raw_edf"),
    "cut_header": ("sub-header_eeg.edf", _cut_header, "unreadable by mne.io.read_raw_edf"),
    "truncated": ("sub-truncated_eeg.edf", _truncated,
                  'truncated: mne says "Number of records from the header does not match the file size'),
    "nan_sample": ("sub-nan_eeg.fif", _nan_sample, "NaN or inf samples (channel: count) 'Cz..': 1"),
    "unknown_channels": ("sub-unknown_eeg.fif", _unknown_channels,
                         "No electrode position for 2 channel(s): ['EKG', 'Resp']"),
    "flat_channel": ("sub-flat_eeg.fif", _flat_channel, "flat: channel(s) ['Oz'] stay within ±3 µV"),
    "units": ("sub-units_eeg.fif", _microvolts_labelled_volts, "look like µV that the file's header labels as volts"),
}
FIXES = {  # each reason also says what to do
    "png_renamed": "re-export or re-copy it", "text_renamed": "re-export or re-copy it",
    "cut_header": "re-export or re-copy it", "truncated": "Re-copy it", "nan_sample": "Interpolate or drop",
    "unknown_channels": "channel_positions", "flat_channel": "mark them bad", "units": "source: {units: uV}",
}


@pytest.fixture(scope="module")
def bad_folder(tmp_path_factory, edf_path, eegmmidb_raw):
    folder = tmp_path_factory.mktemp("bad_recordings")
    data = folder / "data"
    data.mkdir()
    shutil.copy(edf_path, data / "sub-good_eeg.edf")
    for name, make, _ in BAD.values():
        make(edf_path, eegmmidb_raw, data / name)
    return folder


@pytest.fixture(scope="module")
def bad_run(bad_folder):
    """One `neuript prepare` over the good recording and every bad one."""
    recipe = write_recipe(bad_folder)
    out = bad_folder / "out"
    manifest = run(recipe, bad_folder / "data", out)
    return manifest, out


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_recording_is_skipped_and_listed_with_its_reason(bad_run, case):
    manifest, _ = bad_run
    name, _, fragment = BAD[case]
    entry = manifest["skipped"][name]
    assert entry["path"].endswith(name)
    assert fragment in entry["reason"], entry["reason"]
    assert FIXES[case] in entry["reason"], entry["reason"]
    assert manifest["windows_per_recording"][name] == 0
    count("bad_recordings")


def test_the_good_recording_is_prepared_in_full_next_to_the_bad_ones(bad_run, edf_path):
    manifest, out = bad_run
    dataset, extractor, _ = load_prepared(out)
    assert manifest["windows_per_recording"]["sub-good_eeg.edf"] == len(dataset) == GOOD_WINDOWS
    assert set(manifest["skipped"]) == {name for name, _, _ in BAD.values()}
    assert set(dataset["recording"]) == {"sub-good_eeg.edf"}
    # nothing lost: the windows are exactly those of the good file prepared alone
    alone = Path(out).parent / "alone"
    (alone / "data").mkdir(parents=True)
    shutil.copy(edf_path, alone / "data" / "sub-good_eeg.edf")
    single = prepared(write_recipe(alone), alone / "data", alone / "out")
    np.testing.assert_array_equal(np.array(dataset["input_values"]), np.array(single["input_values"]))
    count("intact")


def test_strict_fails_naming_every_skipped_file(bad_folder):
    with pytest.raises(ValueError, match=r"--strict: 8 of 9 recordings were skipped") as error:
        run(write_recipe(bad_folder), bad_folder / "data", bad_folder / "strict", strict=True)
    for name, _, fragment in BAD.values():
        assert f"{name}: " in str(error.value) and fragment in str(error.value)
    assert not (bad_folder / "strict" / "data").exists()  # nothing half-made to train on


def test_nothing_usable_fails_and_lists_why(bad_folder):
    only_bad = bad_folder / "only_bad"
    only_bad.mkdir()
    for name in ("sub-png_eeg.edf", "sub-truncated_eeg.edf"):
        shutil.copy(bad_folder / "data" / name, only_bad / name)
    with pytest.raises(ValueError, match=r"produced no windows from its 2 recordings; every one was skipped") as error:
        run(write_recipe(bad_folder), only_bad, bad_folder / "out_only_bad")
    assert "sub-png_eeg.edf: unreadable" in str(error.value) and "sub-truncated_eeg.edf: truncated" in str(error.value)
    count("bad_recordings", 2)


def test_the_cli_returns_0_and_prints_the_skipped_files(bad_folder):
    """What a user of `neuript prepare` sees: rc 0, and each skipped file with its reason (not a datasets traceback)."""
    result = subprocess.run(
        [sys.executable, "-m", "modeling_neuript.cli", "prepare", "--recipe", write_recipe(bad_folder),
         "--root", str(bad_folder / "data"), "--output_dir", str(bad_folder / "out_cli")],
        capture_output=True, text=True, cwd=REPO, env={**__import__("os").environ, "HF_HUB_OFFLINE": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"wrote {GOOD_WINDOWS} windows from 1 of 9 recordings" in result.stdout
    for name, _, fragment in BAD.values():
        assert fragment in result.stdout, name
    assert "DatasetGenerationError" not in result.stdout + result.stderr


def test_the_five_minute_rule_skips_short_recordings_instead_of_failing_the_run(tmp_path, face13_raw):
    """The issue's case: an 8 min and a 2 min recording, `min_recording_minutes: 5` (the paper's rule)."""
    data = tmp_path / "data"
    data.mkdir()
    raw = face13_raw.copy().pick(["A1", "B12", "C7", "D32"])  # 4 channels of the 128
    save_fif(raw.copy().crop(0, 8 * 60, include_tmax=False), data / "sub-long_eeg.fif")
    save_fif(raw.copy().crop(0, 2 * 60, include_tmax=False), data / "sub-short_eeg.fif")
    manifest = run(write_recipe(tmp_path, cleaning=", min_recording_minutes: 5"), data, tmp_path / "out")
    assert manifest["windows_per_recording"] == {"sub-long_eeg.fif": 8 * 15, "sub-short_eeg.fif": 0}
    reason = manifest["skipped"]["sub-short_eeg.fif"]["reason"]
    assert reason.startswith("too short: 2.00 min, below the recipe's cleaning.min_recording_minutes = 5")
    assert "lower it" in reason
    count("bad_recordings")


def test_a_recording_whose_windows_are_all_rejected_is_listed(tmp_path, eegmmidb_raw):
    data = tmp_path / "data"
    data.mkdir()
    raw = eegmmidb_raw.copy()
    raw._data *= 20  # every 4 s window now exceeds 100 µV somewhere
    save_fif(raw, data / "sub-loud_eeg.fif")
    shutil.copy(data / "sub-loud_eeg.fif", data / "sub-loud2_eeg.fif")
    recipe = write_recipe(tmp_path, reject=True)
    with pytest.raises(ValueError, match=r"no windows left after cleaning: all 15 windows are flagged \(amplitude above "
                                         r"100 µV: 15.*set it to false"):
        run(recipe, data, tmp_path / "out")
    count("bad_recordings")


# ----------------------------------------------------------------------------------------------------------------------
# Shard keys, settings, reruns
# ----------------------------------------------------------------------------------------------------------------------


def test_file_names_that_clean_to_one_key_keep_their_own_shards(tmp_path, edf_path, eegmmidb_raw):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(edf_path, data / "a b_eeg.edf")
    raw = eegmmidb_raw.copy().crop(0, 40)  # a different recording under the colliding name: 10 windows
    save_fif(raw, data / "a_b_eeg.fif")
    shutil.copy(edf_path, data / "a_b_eeg.edf")
    manifest = run(write_recipe(tmp_path), data, tmp_path / "out")
    keys = manifest["recordings"]
    assert len(keys) == len(set(keys)) == 3
    assert sorted(manifest["windows_per_recording"].values()) == [10, GOOD_WINDOWS, GOOD_WINDOWS]
    assert [k.split("~")[0] for k in keys if "~" in k] == ["a_b_eeg.edf", "a_b_eeg.edf"]
    assert manifest["windows"] == 10 + 2 * GOOD_WINDOWS
    count("intact")


@pytest.fixture(scope="module")
def prepared_4s(tmp_path_factory, edf_path):
    folder = tmp_path_factory.mktemp("settings")
    (folder / "data").mkdir()
    shutil.copy(edf_path, folder / "data" / "sub-01_eeg.edf")
    run(write_recipe(folder), folder / "data", folder / "out")
    return folder


def test_a_folder_refuses_a_run_with_other_settings_and_keeps_its_data(prepared_4s):
    folder = prepared_4s
    before, _, _ = load_prepared(folder / "out")
    with pytest.raises(ValueError, match=r"holds data prepared with other settings: recipe.windows.window_seconds: "
                                         r"4.0 -> 2.0\..*--output_dir, or pass --overwrite"):
        run(write_recipe(folder, window_seconds=2.0), folder / "data", folder / "out")
    after, extractor, _ = load_prepared(folder / "out")  # untouched: same windows, same extractor
    assert extractor.window_seconds == 4.0 and len(after) == len(before) == GOOD_WINDOWS
    assert np.array_equal(np.array(after["input_values"]), np.array(before["input_values"]))
    count("refused")
    count("intact")


def test_overwrite_rebuilds_with_the_new_settings(prepared_4s, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(prepared_4s, folder)
    run(write_recipe(folder, window_seconds=2.0), folder / "data", folder / "out", overwrite=True)
    dataset, extractor, manifest = load_prepared(folder / "out")
    assert extractor.window_seconds == 2.0 and len(dataset) == 30
    assert len(dataset[0]["input_values"][0]) == 128  # 2 s at 64 Hz, as preprocessor_config.json says
    assert manifest["settings"]["recipe"]["windows"]["window_seconds"] == 2.0


def test_a_rerun_with_the_same_settings_reuses_and_a_changed_file_is_redone(prepared_4s, tmp_path, edf_path):
    folder = tmp_path / "copy"
    shutil.copytree(prepared_4s, folder)
    shard = folder / "out" / "shards" / "sub-01_eeg.edf"
    stamp = shard.stat().st_mtime_ns
    run(write_recipe(folder), folder / "data", folder / "out")
    assert shard.stat().st_mtime_ns == stamp  # reused
    # The file is replaced by its first half (a truncated copy): the stale shard must not be reused.
    data = Path(edf_path).read_bytes()
    (folder / "data" / "sub-01_eeg.edf").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="sub-01_eeg.edf: truncated"):
        run(write_recipe(folder), folder / "data", folder / "out")
    count("refused")


def test_recipe_units_apply_to_mislabelled_files_and_preprocessing_units_is_refused(tmp_path, eegmmidb_raw):
    data = tmp_path / "data"
    data.mkdir()
    _microvolts_labelled_volts(None, eegmmidb_raw, data / "sub-uv_eeg.fif")
    save_fif(eegmmidb_raw, data / "sub-volts_eeg.fif")
    with pytest.raises(ValueError, match=r"preprocessing.units = 'uV'.*set source.units: uV instead"):
        run(write_recipe(tmp_path, extra="preprocessing: {units: uV}\n"), data, tmp_path / "refused")
    fixed = prepared(write_recipe(tmp_path, pattern="sub-uv_eeg.*", source=", units: uV"), data, tmp_path / "fixed")
    volts = prepared(write_recipe(tmp_path, pattern="sub-volts_eeg.*"), data, tmp_path / "volts")
    assert len(fixed) == len(volts) == GOOD_WINDOWS
    np.testing.assert_allclose(np.array(fixed["input_values"]), np.array(volts["input_values"]), atol=1e-5)


def test_prepare_recipe_rebuilds_a_cache_made_with_other_sites(tmp_path, load_or_skip):
    """The demo's cache: asked for 4 sites after 2, it returns 4-site data (it returned the old 2-site data)."""
    from modeling_neuript.data.sources import load_face13

    load_or_skip(load_face13, "s01", preload=False)
    target = prepare_recipe("face13", ["Fp1", "Cz"], tmp_path, limit_recordings=1)
    first, _, _ = load_prepared(target)
    assert len(first[0]["channel_names"]) == 2
    stamp = (target / "manifest.json").stat().st_mtime_ns
    assert prepare_recipe("face13", ["Fp1", "Cz"], tmp_path, limit_recordings=1) == target
    assert (target / "manifest.json").stat().st_mtime_ns == stamp  # same settings: reused as it is
    prepare_recipe("face13", ["Fp1", "Cz", "O1", "O2"], tmp_path, limit_recordings=1)
    again, _, manifest = load_prepared(target)
    assert len(again[0]["channel_names"]) == 4 and len(again) == len(first)
    assert manifest["recipe"]["channels"] == {"nearest": ["Fp1", "Cz", "O1", "O2"]}
    count("refused")


def test_a_folder_mixing_two_runs_is_refused_on_loading(prepared_4s, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(prepared_4s, folder)
    config = folder / "out" / "preprocessor_config.json"
    config.write_text(config.read_text().replace('"window_seconds": 4.0', '"window_seconds": 2.0'))
    with pytest.raises(ValueError, match=r"windows in data/ have 256 samples but preprocessor_config.json makes "
                                         r"windows of 2 s = 128 samples"):
        load_prepared(folder / "out")
    count("refused")


# ----------------------------------------------------------------------------------------------------------------------
# Concurrency
# ----------------------------------------------------------------------------------------------------------------------


def test_concurrent_atomic_saves_of_one_folder_all_succeed_and_leave_a_whole_one(tmp_path):
    target = tmp_path / "shard"
    errors = []

    def writer(index):
        for round_ in range(25):
            def write(tmp, index=index, round_=round_):
                for part in range(3):
                    (tmp / f"part{part}").write_text(f"{index}-{round_}")
            try:
                atomic_save(target, write)
            except Exception as error:  # noqa: BLE001 - any failure is the test's finding
                errors.append(repr(error))

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    contents = {(target / f"part{part}").read_text() for part in range(3)}
    assert len(contents) == 1  # one writer's whole folder, never a mix
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shard"]  # no .old- / .tmp- left behind


CONCURRENT = textwrap.dedent("""
    import sys
    from modeling_neuript.data.prepare import PrepareArguments, prepare
    prepare(PrepareArguments(recipe=sys.argv[1], output_dir=sys.argv[2], root=sys.argv[3]))
""")


def test_three_concurrent_prepares_into_one_folder_all_succeed(tmp_path, edf_path, eegmmidb_raw):
    data = tmp_path / "data"
    data.mkdir()
    for index, seconds in enumerate((61, 40, 20)):
        save_fif(eegmmidb_raw.copy().crop(0, min(seconds, 60.99)), data / f"sub-0{index}_eeg.fif")
    recipe = write_recipe(tmp_path)
    script = tmp_path / "prepare.py"
    script.write_text(CONCURRENT)
    env = {**__import__("os").environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    processes = [
        subprocess.Popen([sys.executable, str(script), recipe, str(tmp_path / "out"), str(data)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(3)
    ]
    results = [(process.wait(), process.stderr.read()) for process in processes]
    assert [rc for rc, _ in results] == [0, 0, 0], [err[-2000:] for _, err in results]
    dataset, _, manifest = load_prepared(tmp_path / "out")
    assert manifest["windows_per_recording"] == {"sub-00_eeg.fif": 15, "sub-01_eeg.fif": 10, "sub-02_eeg.fif": 5}
    assert len(dataset) == 30
    leftovers = [p.name for p in (tmp_path / "out" / "shards").iterdir() if p.name.startswith(".")]
    assert leftovers == []
    count("intact")


def test_recording_skipped_is_a_value_error():
    """Callers that catch ValueError for bad input (the CLI, notebooks) catch a skipped recording too."""
    assert issubclass(RecordingSkipped, ValueError)


def test_a_folder_whose_run_failed_before_any_shard_takes_new_settings(tmp_path):
    """A first run that skipped everything leaves only its settings: a corrected recipe must not be refused."""
    from modeling_neuript.data.prepare import claim_output, prepare_settings

    recipe = {"name": "r", "source": {"pattern": "*"}, "windows": {"window_seconds": 4.0}}
    claim_output(tmp_path, prepare_settings(recipe, "pretraining"), overwrite=False)
    (tmp_path / "shards" / ".r.rows-tmp").mkdir()  # a temporary folder of the failed run
    changed = {**recipe, "windows": {"window_seconds": 2.0}}
    claim_output(tmp_path, prepare_settings(changed, "pretraining"), overwrite=False)
    recorded = json.loads((tmp_path / "shards" / "settings.json").read_text())
    assert recorded["recipe"]["windows"]["window_seconds"] == 2.0
    (tmp_path / "shards" / "sub-01").mkdir()  # now it holds a shard: other settings are refused
    with pytest.raises(ValueError, match=r"window_seconds: 2.0 -> 4.0"):
        claim_output(tmp_path, prepare_settings(recipe, "pretraining"), overwrite=False)
