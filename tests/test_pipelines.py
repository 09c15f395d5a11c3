"""The "eeg-classification" and "eeg-feature-extraction" pipelines on real EEG (EEGMMIDB S001R02, 64 channels,
160 Hz, 61 s): file path, mne Raw and array inputs give the same windows, hops add windows without changing the
others, results equal the model run by hand, and the feature pipeline gives exactly the classifier's IILP features."""

import ast
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers import load_example
from small_checkpoint import LABELS, small_checkpoint

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def raw(edf_path):
    import mne

    return mne.io.read_raw(edf_path, preload=True, verbose="error")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return str(small_checkpoint(tmp_path_factory.mktemp("pipelines") / "checkpoint", window_seconds=2.0))


@pytest.fixture(scope="module")
def classify(checkpoint):
    import modeling_neuript  # noqa: F401  (registers the pipelines)
    from transformers import pipeline

    # every saved checkpoint declares its pipelines (config.custom_pipelines), which transformers serves only with
    # trust_remote_code=True — even where this package is installed
    return pipeline("eeg-classification", model=checkpoint, trust_remote_code=True)


@pytest.fixture(scope="module")
def file_windows(classify, edf_path):
    return classify(edf_path)


def test_both_tasks_are_registered_with_transformers():
    import modeling_neuript  # noqa: F401
    from transformers.pipelines import PIPELINE_REGISTRY

    from modeling_neuript.pipeline_neuript import (
        NeurIPTEEGClassificationPipeline,
        NeurIPTEEGFeatureExtractionPipeline,
    )

    tasks = PIPELINE_REGISTRY.supported_tasks
    assert tasks["eeg-classification"]["impl"] is NeurIPTEEGClassificationPipeline
    assert tasks["eeg-feature-extraction"]["impl"] is NeurIPTEEGFeatureExtractionPipeline


def test_classification_of_an_edf_file_gives_one_result_per_window_equal_to_the_model(file_windows, checkpoint, raw):
    from transformers import AutoFeatureExtractor, AutoModelForSequenceClassification

    assert len(file_windows) == 30  # 61 s in 2 s windows; the last second does not fill one
    assert [w["start"] for w in file_windows] == [2.0 * i for i in range(30)]
    assert all(w["end"] == w["start"] + 2.0 for w in file_windows)
    for window in file_windows:
        assert set(window["scores"]) == set(LABELS)
        assert sum(window["scores"].values()) == pytest.approx(1.0, abs=1e-6)
        assert window["label"] == max(window["scores"], key=window["scores"].get)
        assert window["score"] == window["scores"][window["label"]]

    extractor = AutoFeatureExtractor.from_pretrained(checkpoint)
    model = AutoModelForSequenceClassification.from_pretrained(checkpoint).eval()
    features = extractor(raw)
    with torch.no_grad():
        probabilities = model(**{k: features[k] for k in extractor.model_input_names}).logits.softmax(-1)
    got = torch.tensor([[w["scores"][label] for label in LABELS] for w in file_windows])
    torch.testing.assert_close(got, probabilities, atol=1e-6, rtol=0)
    assert [w["artifact_amplitude"] for w in file_windows] == features["artifact_amplitude"].tolist()


def test_raw_array_and_dict_inputs_give_the_same_windows(classify, raw):
    part = raw.copy().crop(0, 20, include_tmax=False)  # 20 s: 10 windows
    signal = part.get_data()  # volts, the extractor's default unit for arrays
    from_raw = classify(part)
    assert len(from_raw) == 10
    assert classify(signal, channel_names=raw.ch_names, sampling_rate=160) == from_raw
    assert classify({"signal": signal, "channel_names": raw.ch_names, "sampling_rate": 160}) == from_raw
    batched_by_three = classify(part, window_batch_size=3)  # 4 forward passes of ≤ 3 windows
    assert [w["label"] for w in batched_by_three] == [w["label"] for w in from_raw]
    np.testing.assert_allclose([w["score"] for w in batched_by_three], [w["score"] for w in from_raw], atol=1e-6)


def test_a_hop_adds_overlapping_windows_and_leaves_the_others_unchanged(classify, raw):
    signal = raw.get_data()[:, : 160 * 20]
    plain = classify(signal, channel_names=raw.ch_names, sampling_rate=160)
    hopped = classify(signal, channel_names=raw.ch_names, sampling_rate=160, hop_seconds=1.0)
    assert [w["start"] for w in hopped] == [float(i) for i in range(19)]  # 2 s windows every 1 s over 20 s
    # the whole recording is filtered before windowing: same windows, same results (up to the batch's float rounding)
    assert [w["label"] for w in hopped[::2]] == [w["label"] for w in plain]
    np.testing.assert_allclose([w["score"] for w in hopped[::2]], [w["score"] for w in plain], atol=1e-6)
    assert [(w["start"], w["end"], w["artifact_amplitude"]) for w in hopped[::2]] == [
        (w["start"], w["end"], w["artifact_amplitude"]) for w in plain
    ]


def test_a_list_of_recordings_gives_a_list_of_results(classify, raw):
    signal = raw.get_data()[:, : 160 * 10]  # 10 s
    first, second = classify([signal, signal[:, : 160 * 6]], channel_names=raw.ch_names, sampling_rate=160)
    assert [len(first), len(second)] == [5, 3]
    assert first[:3] != second  # different lengths filter differently at the edges...
    assert [w["start"] for w in second] == [0.0, 2.0, 4.0]  # ...but are windowed the same way


def test_feature_extraction_pipeline_gives_the_classifier_features(checkpoint, raw):
    from transformers import AutoFeatureExtractor, AutoModelForSequenceClassification, pipeline

    embed = pipeline("eeg-feature-extraction", model=checkpoint, trust_remote_code=True)
    signal = raw.get_data()[:, : 160 * 8]  # 8 s: 4 windows
    inputs = dict(channel_names=raw.ch_names, sampling_rate=160)
    windows = embed(signal, **inputs)
    extractor = AutoFeatureExtractor.from_pretrained(checkpoint)
    classifier = AutoModelForSequenceClassification.from_pretrained(checkpoint).eval()
    features = extractor(signal, **inputs)
    with torch.no_grad():
        pooled = classifier(**{k: features[k] for k in extractor.model_input_names}).pooled_output
    torch.testing.assert_close(torch.tensor(np.stack([w["embedding"] for w in windows])), pooled, atol=1e-5, rtol=1e-5)
    config = classifier.config
    assert windows[0]["embedding"].shape == (config.num_pooled_representations * 5 * config.hidden_size,)
    mean = embed(signal, pooling="mean", **inputs)
    full = embed(signal, pooling="none", **inputs)
    assert mean[0]["embedding"].shape == (config.hidden_size,)
    assert full[0]["embedding"].shape == (64, 128 // 8, config.hidden_size)  # channels, tokens after merges 4·2
    np.testing.assert_allclose(full[0]["embedding"].mean(axis=(0, 1)), mean[0]["embedding"], atol=1e-5)
    assert full[0]["channel_names"] == features["channel_names"][0]  # normalised names: Fc5. → FC5


def test_bad_inputs_are_clear_errors(classify, raw):
    signal = raw.get_data()[:, : 160 * 4]
    with pytest.raises(ValueError, match="sampling_rate is required"):
        classify(signal, channel_names=raw.ch_names)
    with pytest.raises(ValueError, match="hop_seconds must be a positive"):
        classify(signal, channel_names=raw.ch_names, sampling_rate=160, hop_seconds=0)
    with pytest.raises(ValueError, match="No such file"):
        classify("missing_recording.edf")
    with pytest.raises(ValueError, match="takes a file path.*got int"):
        classify(3)
    with pytest.raises(ValueError, match="window_batch_size must be a positive int"):
        classify(signal, channel_names=raw.ch_names, sampling_rate=160, window_batch_size=0)
    with pytest.raises(ValueError, match="does not take \\['top_k'\\]"):
        classify(signal, channel_names=raw.ch_names, sampling_rate=160, top_k=1)
    with pytest.raises(ValueError, match="window_batch_size"):
        classify([signal, signal], channel_names=raw.ch_names, sampling_rate=160, batch_size=2)
    with pytest.raises(ValueError, match="too short"):
        classify(signal[:, :100], channel_names=raw.ch_names, sampling_rate=160)


def test_pipeline_example_classifies_an_edf_file(checkpoint, edf_path, file_windows):
    windows = load_example("pipeline_classify_edf").main(["--model", checkpoint, "--file", edf_path])
    assert windows == file_windows


def test_pipeline_file_imports_nothing_beyond_the_bundle_rule():
    """pipeline_neuript.py is copied into Hub repositories: at module level it may import only the standard library,
    numpy, torch, transformers and its siblings (mne only inside a try/except ImportError)."""
    tree = ast.parse((REPO / "modeling_neuript" / "pipeline_neuript.py").read_text())
    guarded = {
        id(node)
        for handler in ast.walk(tree)
        if isinstance(handler, ast.Try)
        for block in handler.body
        for node in ast.walk(block)
    }
    allowed = set(sys.stdlib_module_names) | {"numpy", "torch", "transformers"}
    for node in ast.walk(tree):
        if id(node) in guarded:
            continue
        if isinstance(node, ast.Import):
            roots = {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            roots = {node.module.split(".")[0]}
        else:
            continue
        assert roots <= allowed, roots


def test_function_to_apply_gives_sigmoid_or_raw_scores(classify, raw):
    signal = raw.get_data()[:, : 160 * 4]  # 2 windows
    inputs = dict(channel_names=raw.ch_names, sampling_rate=160)
    logits = torch.tensor(
        [[w["scores"][label] for label in LABELS] for w in classify(signal, function_to_apply="none", **inputs)]
    )
    softmax = [[w["scores"][label] for label in LABELS] for w in classify(signal, **inputs)]
    sigmoid = [
        [w["scores"][label] for label in LABELS] for w in classify(signal, function_to_apply="sigmoid", **inputs)
    ]
    torch.testing.assert_close(torch.tensor(softmax), logits.softmax(-1), atol=1e-6, rtol=0)
    torch.testing.assert_close(torch.tensor(sigmoid), logits.sigmoid(), atol=1e-6, rtol=0)
    with pytest.raises(ValueError, match="function_to_apply"):
        classify(signal, function_to_apply="relu", **inputs)


def test_the_model_still_imports_when_transformers_pipelines_cannot(tmp_path):
    """transformers.pipelines imports torchaudio when it is installed, and a torchaudio built for another torch raises
    OSError there; the package then warns and works without its pipelines."""
    import os
    import subprocess

    script = (
        "import sys, warnings; sys.modules['transformers.pipelines'] = None\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    from modeling_neuript import NeurIPTModel\n"
        "print([str(w.message) for w in caught if 'pipelines not registered' in str(w.message)])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "NeurIPT pipelines not registered: importing transformers.pipelines failed" in result.stdout
