"""The examples in examples/ run on real EEG (Face13 EDF files with their annotations, EEGMMIDB S001R02)."""

from pathlib import Path

import numpy as np
import pytest

from helpers import load_example

REPO = Path(__file__).resolve().parents[1]



@pytest.fixture(scope="module")
def finetuned(tmp_path_factory, load_or_skip):
    """examples/finetune_own_edf.py on the two Face13 EDF files (labels from their EDF+ annotations)."""
    from modeling_neuript.data.sources import fetch_file, load_face13

    load_or_skip(load_face13, "s01", preload=False)
    files = [str(fetch_file(f"sub-{s}_task-faceO_eeg.edf")) for s in ("s01", "s02")]
    output = tmp_path_factory.mktemp("own_edf")
    results = load_example("finetune_own_edf").main([
        "--files", *files, "--subjects", "s01", "s02", "--events", "face-upright=face", "house-upright=house",
        "--channels", "A15", "A28", "B7", "B26", "C5", "C17", "D17", "D23", "--window", "1.0", "--tmin", "-0.2",
        "--epochs", "1", "--output", str(output),
    ])
    return output, results


def test_finetune_own_edf_files_with_annotation_labels(finetuned):
    output, results = finetuned
    assert results["labels"] == ["face", "house"]
    assert results["split"] == "loso:s02"
    assert 150 < results["sizes"]["test"] <= 400  # face-upright + house-upright trials of s02 (≈200 each)
    assert 0.0 <= results["test"]["test_balanced_accuracy"] <= 1.0
    assert (output / "run" / "model" / "model.safetensors").exists()


def test_linear_probe_on_embeddings(finetuned):
    output, _ = finetuned
    results = load_example("linear_probe").main(["--model", str(output / "run" / "model"), "--dataset", str(output / "prepared")])
    assert results["features_shape"][0] > 700 and set(results["balanced_accuracy"]) == {"s01", "s02"}
    assert all(0.0 <= v <= 1.0 for v in results["balanced_accuracy"].values())


def test_predict_a_new_recording(finetuned, load_or_skip):
    from modeling_neuript.data.sources import fetch_file, load_eegmmidb_s001r02

    load_or_skip(load_eegmmidb_s001r02, preload=False)
    output, _ = finetuned
    predictions = load_example("predict_new_recording").main(
        ["--model", str(output / "run" / "model"), "--file", str(fetch_file("S001R02.edf"))])
    assert len(predictions) == 61  # 61 s in 1 s windows
    assert {label for _, label, _ in predictions} <= {"face", "house"}
    assert np.all(np.diff([start for start, _, _ in predictions]) == 1.0)


def test_trials_from_face13_writes_a_trial_file_the_trials_path_reads(tmp_path, load_or_skip):
    """examples/trials_from_face13.py: 0.5 s trials under cap names with a positions file, read back by the trials
    path as `neuript benchmark` reads it (no 10-20 names: the positions JSON places them)."""
    from modeling_neuript.data.sources import load_face13
    from modeling_neuript.data.trials import prepare_trials
    from modeling_neuript.data.reading import load_prepared

    load_or_skip(load_face13, "s01", preload=False)
    made = load_example("trials_from_face13").main(["--output", str(tmp_path / "press.npz"), "--every", "8",
                                                    "--subjects", "s01"])
    assert made["shape"][1:] == (16, 128)  # 16 channels, 0.5 s at 256 Hz
    assert sum(made["counts"].values()) == made["shape"][0] > 350  # ~195 presses per side
    with np.load(made["output"]) as trials:
        assert list(trials["channel_names"][:3]) == ["ch01", "ch02", "ch03"]
        assert set(trials["subject"]) == {"s01"}
    with pytest.raises(ValueError, match="ch01"):  # names without a standard position: the error lists them
        prepare_trials(str(made["output"]), str(tmp_path / "no_positions"))
    prepare_trials(str(made["output"]), str(tmp_path / "prepared"), str(made["positions"]))
    dataset, extractor, _ = load_prepared(tmp_path / "prepared")
    assert len(dataset) == made["shape"][0] and extractor.window_seconds == 0.5
    assert np.asarray(dataset[0]["input_values"]).shape == (16, 32)  # 0.5 s at 64 Hz
    # the positions file places ch01.. where the package's own BioSemi table places the cap names they stand for
    prepare_trials(str(_renamed(made["output"], tmp_path)), str(tmp_path / "cap_names"))
    cap, _, _ = load_prepared(tmp_path / "cap_names")
    np.testing.assert_allclose(np.asarray(dataset[0]["channel_positions"]), np.asarray(cap[0]["channel_positions"]),
                               atol=1e-3)


def _renamed(path, folder):
    """The same trials with the cap names (A1, A9, ...) back: every 8th electrode of A1..D32."""
    with np.load(path) as trials:
        arrays = dict(trials)
    arrays["channel_names"] = np.array([f"{bank}{i}" for bank in "ABCD" for i in range(1, 33, 8)])
    np.savez(folder / "cap_names.npz", **arrays)
    return folder / "cap_names.npz"
