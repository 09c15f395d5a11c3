"""The interop examples (braindecode, scikit-learn, streaming, LoRA) run on real EEG: Face13 s01's EDF file with its
annotations, EEGMMIDB S001R02 for streaming."""

from pathlib import Path

import numpy as np
import pytest

from helpers import load_example

REPO = Path(__file__).resolve().parents[1]
FACE13 = ["--events", "face-upright=face", "house-upright=house", "--channels", "A15", "A28", "B7", "B26", "C5", "C17",
          "D17", "D23", "--window", "1.0", "--tmin", "-0.2"]



@pytest.fixture(scope="module")
def face13_edf(load_or_skip):
    from modeling_neuript.data.sources import fetch_file, load_face13

    load_or_skip(load_face13, "s01", preload=False)
    return str(fetch_file("sub-s01_task-faceO_eeg.edf"))


@pytest.fixture(scope="module")
def braindecode_run(face13_edf, tmp_path_factory):
    output = tmp_path_factory.mktemp("braindecode") / "model"
    results = load_example("braindecode_classifier").main(
        ["--file", face13_edf, *FACE13, "--epochs", "1", "--max-trials", "96", "--output", str(output)])
    return results, output


def test_braindecode_example_trains_and_saves_a_neuript_checkpoint(braindecode_run):
    import torch
    from transformers import AutoFeatureExtractor, AutoModelForSequenceClassification

    results, output = braindecode_run
    assert results["test_size"] == 20 and len(results["train_loss"]) == 1 and np.isfinite(results["train_loss"][0])
    assert 0.0 <= results["balanced_accuracy"] <= 1.0
    model = AutoModelForSequenceClassification.from_pretrained(output).eval()
    assert model.config.id2label == {0: "face", 1: "house"}
    extractor = AutoFeatureExtractor.from_pretrained(output)
    assert extractor.window_seconds == model.config.window_seconds == 1.0  # the window it was trained on
    features = extractor(np.random.default_rng(0).normal(scale=2e-5, size=(3, 1024)), channel_names=["C3", "Cz", "C4"],
                         sampling_rate=256, return_metadata=False)
    with torch.no_grad():
        assert model(**features).logits.shape == (4, 2)  # 4 s of signal in the checkpoint's 1 s windows


def test_sklearn_linear_probe_example(face13_edf):
    results = load_example("sklearn_linear_probe").main(["--file", face13_edf, *FACE13, "--max-trials", "120",
                                                          "--folds", "3"])
    assert results["trials"] == 120 and results["labels"] == ["face", "house"]
    assert results["scores"].shape == (3,) and np.all((0 <= results["scores"]) & (results["scores"] <= 1))


def test_streaming_example_on_eegmmidb(braindecode_run, load_or_skip):
    from modeling_neuript.data.sources import fetch_file, load_eegmmidb_s001r02

    load_or_skip(load_eegmmidb_s001r02, preload=False)
    _, checkpoint = braindecode_run  # trained on 8 Face13 electrodes, streamed on 6 EEGMMIDB ones: any montage
    predictions = load_example("streaming_bci").main(
        ["--model", str(checkpoint), "--file", str(fetch_file("S001R02.edf")), "--channels", "Fc5.", "C3..", "Cz..",
         "C4..", "Pz..", "O1..", "--seconds", "12", "--hop", "1.0", "--chunk", "0.3"])
    assert len(predictions) == (12 * 64 - 64) // 64 + 1  # one per hop once the 1 s buffer (the trained window) is full
    assert {label for _, label, _ in predictions} <= {"face", "house"}
    np.testing.assert_allclose(np.diff([end for end, _, _ in predictions]), 1.0)
    assert all(abs(p.sum() - 1) < 1e-5 for _, _, p in predictions)


def test_lora_example_merges_to_the_same_predictions(face13_edf, tmp_path):
    results = load_example("lora_finetune").main(["--file", face13_edf, *FACE13, "--epochs", "1", "--rank", "4",
                                                  "--max-trials", "96", "--output", str(tmp_path / "merged")])
    assert results["max_logit_difference"] < 1e-4
    assert results["trainable"] < 0.2 * results["total"]
    assert (tmp_path / "merged" / "model.safetensors").exists()
    from transformers import AutoFeatureExtractor, AutoModelForSequenceClassification

    saved = AutoModelForSequenceClassification.from_pretrained(tmp_path / "merged")  # the extractor cross-check passes
    assert AutoFeatureExtractor.from_pretrained(tmp_path / "merged").window_seconds == saved.config.window_seconds == 1.0
    assert 0.0 <= results["balanced_accuracy"] <= 1.0
