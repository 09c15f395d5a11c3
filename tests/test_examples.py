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
