"""Trials in, without detours: epoched EEG (mne -epo.fif, .npz) straight into prepare / finetune / benchmark, kept
intact (no per-trial high-pass), with user positions, given splits and validation sets that hold every class."""

import json
import warnings

import numpy as np
import pytest

from modeling_neuript.data import trials as trial_io
from modeling_neuript.data.splits import split_indices, warn_if_one_class


@pytest.fixture(scope="module")
def checker_epochs(face13_raw):
    """0.5 s epochs (0…0.5 s after each checkerboard) of Face13 s01 at 6 BioSemi channels, with the cap's montage."""
    import mne

    from modeling_neuript.data.sources import face13_epochs

    raw = face13_raw.copy().pick(["A15", "A28", "B26", "D19", "D23", "C20"])
    raw.set_montage(mne.channels.make_standard_montage("biosemi128"), on_missing="ignore")
    return face13_epochs(raw, tmin=0.0, tmax=0.5 - 1 / 256, baseline=None, conditions=("checker-left", "checker-right"))


@pytest.fixture(scope="module")
def sorted_npz(checker_epochs, tmp_path_factory):
    """The same trials as an .npz sorted by class (as competition files often are), a given train/test split, and
    channel names no table knows (positions given in the file)."""
    data = checker_epochs.get_data()
    names = [{v: k for k, v in checker_epochs.event_id.items()}[c] for c in checker_epochs.events[:, 2]]
    order = np.argsort(names, kind="stable")
    split = np.where(np.random.default_rng(0).random(len(names)) < 0.7, "train", "test")
    positions = np.array([checker_epochs.get_montage().get_positions()["ch_pos"][n] for n in checker_epochs.ch_names])
    path = tmp_path_factory.mktemp("trials") / "checker.npz"
    np.savez(path, X=data[order] * 1e6, units="uV", y=np.array(names)[order], sfreq=256.0,
             channel_names=np.array([f"E{i}" for i in range(len(checker_epochs.ch_names))]),
             channel_positions=positions, split=split)
    return path


def test_short_trials_are_kept_intact_where_a_per_trial_high_pass_tapers_them(checker_epochs):
    from modeling_neuript.feature_extraction_neuript import NeurIPTFeatureExtractor, a_law_expand

    windows = trial_io.trial_windows(trial_io.read_epochs(checker_epochs))
    assert windows["input_values"].shape == (len(checker_epochs), 6, 32)  # 0.5 s at 64 Hz
    assert windows["extractor"].l_freq is None and windows["extractor"].window_seconds == 0.5
    kept = np.abs(a_law_expand(windows["input_values"].astype(float), 0.25)).mean(axis=(0, 1))
    tapered = np.abs(NeurIPTFeatureExtractor(window_seconds=0.5, alaw_A=None)(checker_epochs, return_tensors="np")
                     ["input_values"]).mean(axis=(0, 1))
    middle = slice(12, 20)
    assert kept[:2].mean() > 0.8 * kept[middle].mean() and kept[-2:].mean() > 0.8 * kept[middle].mean()
    assert tapered[:2].mean() < 0.5 * tapered[middle].mean()  # what the trials path avoids


def test_trials_shorter_than_half_a_second_are_refused(checker_epochs):
    short = checker_epochs.copy().crop(0, 0.4)
    with pytest.raises(ValueError, match="shortest the model takes is 0.5 s"):
        trial_io.trial_windows(trial_io.read_epochs(short))


def test_epochs_file_prepares_into_the_dataset_finetune_reads(checker_epochs, tmp_path):
    from modeling_neuript.data.reading import load_prepared

    from modeling_neuript import cli

    path = tmp_path / "checker-epo.fif"
    checker_epochs.save(path)
    assert cli.main(["prepare", "--recipe", str(path), "--output_dir", str(tmp_path / "prepared")]) == 0
    dataset, extractor, manifest = load_prepared(tmp_path / "prepared")
    assert len(dataset) == len(checker_epochs) and manifest["mode"] == "events"
    assert manifest["recipe"]["label_names"] == ["checker-left", "checker-right"]
    assert np.asarray(dataset[0]["input_values"]).shape == (6, 32) and extractor.l_freq is None
    assert set(dataset["fold"]) == {""} and "no 0.1 Hz high-pass" in manifest["trials"]["path"]


def test_unknown_channel_names_need_positions(sorted_npz, tmp_path):
    archive = dict(np.load(sorted_npz))
    del archive["channel_positions"]
    path = tmp_path / "no_positions.npz"
    np.savez(path, **archive)
    with pytest.raises(ValueError, match="E0"):
        trial_io.trial_windows(trial_io.read_npz(path))
    positions = {f"E{i}": list(xyz) for i, xyz in enumerate(np.load(sorted_npz)["channel_positions"])}
    (tmp_path / "positions.json").write_text(json.dumps(positions))
    windows = trial_io.trial_windows(trial_io.read_npz(path), channel_positions=str(tmp_path / "positions.json"))
    np.testing.assert_allclose(windows["channel_positions"], np.load(sorted_npz)["channel_positions"], atol=1e-6)


def test_class_sorted_file_gets_a_validation_set_with_every_class(sorted_npz):
    trials = trial_io.read_npz(sorted_npz)
    labels = np.array([trials.label_names.index(label) for label in trials.labels])
    subjects, starts = ["x"] * len(labels), np.arange(len(labels), dtype=float)
    folds = np.array(trials.folds)
    _, held, _ = split_indices(subjects, starts, "given", 0.2, 0.15, labels=labels, validation="time", folds=folds)
    with pytest.warns(UserWarning, match="holds 1 class"):
        warn_if_one_class(held, labels, "given")
    for mode in ("stratified", "shuffled"):
        train, held, test = split_indices(subjects, starts, "given", 0.2, 0.15, labels=labels, validation=mode,
                                          folds=folds, seed=1)
        assert set(labels[held]) == {0, 1} and set(test) == set(np.flatnonzero(folds == "test"))
        assert not set(train) & set(held) and set(train) | set(held) == set(np.flatnonzero(folds == "train"))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            warn_if_one_class(held, labels, "given")
    again = split_indices(subjects, starts, "given", 0.2, 0.15, labels=labels, validation="shuffled", folds=folds, seed=1)
    np.testing.assert_array_equal(again[1], held)  # seeded
    with pytest.raises(ValueError, match="'fold' column"):
        split_indices(subjects, starts, "given", 0.2, 0.15)


def test_finetune_and_benchmark_take_a_trial_file_directly(sorted_npz, tmp_path):
    from modeling_neuript.training.benchmark import BenchmarkArguments, benchmark
    from modeling_neuript.training.finetune import FinetuneArguments, FinetuneTrainingArguments, finetune

    result = finetune(
        FinetuneArguments(dataset=str(sorted_npz), split="given", baselines="fast"),
        FinetuneTrainingArguments(output_dir=str(tmp_path / "run"), num_train_epochs=1, disable_tqdm=True),
    )
    folds = np.load(sorted_npz)["split"]
    assert result["sizes"]["test"] == int((folds == "test").sum())
    assert {row["method"] for row in result["baselines"]} == {"LogReg ERP waveform", "LogReg band power",
                                                                "Tangent space + LogReg"}
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["baselines"][0]["balanced_accuracy"] > 0.7  # the waveform regression sees the lateralised VEP

    out = benchmark(BenchmarkArguments(dataset=str(sorted_npz), split="auto", seeds=[0], baselines="fast",
                                       num_train_epochs=1, output_dir=str(tmp_path / "bench")))
    methods = [row["method"] for row in out["table"]]
    assert methods == ["NeurIPT", "LogReg ERP waveform", "LogReg band power", "Tangent space + LogReg"]
    assert {row["split"] for row in out["rows"]} == {"given"}
    report = (tmp_path / "bench" / "report.md").read_text()
    assert "| labels | given split | NeurIPT |" in report and "best baseline" in report
