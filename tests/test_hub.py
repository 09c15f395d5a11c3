"""Hub publishing: save_for_hub writes a complete repository offline (weights, extractor, remote code, pipelines, a
model card with parsable metadata), it loads and classifies real EEG where the package cannot be imported, and
push_to_hub uploads exactly that folder (or refuses offline)."""

import json
import os
import subprocess
import sys
import textwrap

import pytest
import yaml

from helpers import load_example
from small_checkpoint import EVALUATION, small_checkpoint


@pytest.fixture(scope="module")
def hub_folder(tmp_path_factory):
    """examples/save_for_hub.py on a small fine-tuned checkpoint (its evaluation.json gives the metrics table)."""
    root = tmp_path_factory.mktemp("hub")
    checkpoint = small_checkpoint(root / "checkpoint")
    folder = load_example("save_for_hub").main(
        [
            "--model",
            str(checkpoint),
            "--output",
            str(root / "repo"),
            "--dataset",
            "my-lab/rest-task-eeg",
            "--repo_id",
            "my-lab/neuript-rest-task",
        ]
    )
    return folder


def test_the_folder_holds_everything_a_hub_repository_needs(hub_folder):
    names = {path.name for path in hub_folder.iterdir()}
    assert {
        "config.json",
        "model.safetensors",
        "preprocessor_config.json",
        "README.md",
        "metrics.json",
        "configuration_neuript.py",
        "modeling_neuript.py",
        "feature_extraction_neuript.py",
        "electrodes_neuript.py",
        "pipeline_neuript.py",
    } <= names
    config = json.loads((hub_folder / "config.json").read_text())
    assert set(config["auto_map"]) == {
        "AutoConfig",
        "AutoModel",
        "AutoModelForPreTraining",
        "AutoModelForSequenceClassification",
    }
    assert config["custom_pipelines"] == {
        "eeg-classification": {
            "impl": "pipeline_neuript.NeurIPTEEGClassificationPipeline",
            "pt": ["AutoModelForSequenceClassification"],
        },
        "eeg-feature-extraction": {"impl": "pipeline_neuript.NeurIPTEEGFeatureExtractionPipeline", "pt": ["AutoModel"]},
    }
    assert config["id2label"] == {"0": "rest", "1": "task"}
    extractor = json.loads((hub_folder / "preprocessor_config.json").read_text())
    assert extractor["auto_map"]["AutoFeatureExtractor"].endswith("NeurIPTFeatureExtractor")
    assert json.loads((hub_folder / "metrics.json").read_text()) == EVALUATION


def test_model_card_metadata_parses_and_states_the_contract_and_metrics(hub_folder):
    from huggingface_hub import ModelCard

    from modeling_neuript.feature_extraction_neuript import a_law_compress

    card = ModelCard.load(hub_folder / "README.md")
    data = card.data
    assert data.library_name == "transformers"
    assert data.pipeline_tag == "feature-extraction"  # a task the Hub knows; the text names the pipeline task
    assert data.license == "mit"
    assert data.datasets == ["my-lab/rest-task-eeg"]
    assert {"eeg", "biosignal", "eeg-classification", "custom_code", "arxiv:2510.16548"} <= set(data.tags)
    assert data.metrics == ["balanced_accuracy", "cohen_kappa", "roc_auc"]
    header = card.content.split("---")[1]
    assert yaml.safe_load(header) == data.to_dict()
    # model-index: every metric named as what it is, with its dataset and split
    results = {(r.dataset_split, r.metric_name): r for r in data.eval_results}
    assert set(results) == {
        ("validation (loso:s02)", "Balanced accuracy"),
        ("test (loso:s02)", "Balanced accuracy"),
        ("test (loso:s02)", "Cohen's kappa"),
        ("test (loso:s02)", "ROC AUC (one-vs-rest, macro)"),
    }
    test_bacc = results[("test (loso:s02)", "Balanced accuracy")]
    assert (test_bacc.metric_type, test_bacc.metric_value) == ("balanced_accuracy", 0.6123)
    assert (test_bacc.dataset_type, test_bacc.task_type) == ("my-lab/rest-task-eeg", "eeg-classification")
    assert data.model_name == "neuript-rest-task"

    text = card.text
    for words in (
        "high-pass 0.1 Hz (Butterworth order 4)",
        "low-pass 30 Hz (Butterworth order 8)",
        "to **64 Hz**",
        "2 s = 128 samples, a new window every 2 s",
        "A = 0.25",
        "exceeds 100 µV",
        "within ±3 µV",
        "both 50 and 60 Hz",
        "`rest`, `task`",
        "split `loso:s02`",
        "120 training windows",
        "fine-tuned from `neuript-tiny`",
        "its pipeline task is **`eeg-classification`**",
        "compute_metrics=model.compute_metrics",
        "ignore_mismatched_sizes=True",
        "arXiv:2510.16548",
    ):
        assert words in text, words
    assert f"±100 µV maps to ±{float(a_law_compress(100.0)):.3f}" in text  # the number is the extractor's own curve
    assert "| balanced_accuracy | 0.5625 | 0.6123 |" in text
    assert "| cohen_kappa | – | 0.2246 |" in text
    assert "| windows | 20 | 30 |" in text
    assert "runtime" not in text and "samples_per_second" not in text
    assert 'pipeline("eeg-classification", model="my-lab/neuript-rest-task", trust_remote_code=True)' in text
    assert "Not a medical device" in text


def test_metrics_table_of_a_flat_dict():
    from modeling_neuript.interop.hub import metrics_table

    table, names = metrics_table({"balanced_accuracy": 0.7, "cohen_kappa": 0.4, "note": "x", "epoch": 3})
    assert table.splitlines()[0] == "| metric | value |"
    assert "| balanced_accuracy | 0.7000 |" in table and "epoch" not in table
    assert names == ["balanced_accuracy", "cohen_kappa"]


BLOCKED_PIPELINE = textwrap.dedent(
    """
    import json, sys
    sys.modules["modeling_neuript"] = None   # any import of our package now fails
    import torch
    from transformers import AutoFeatureExtractor, AutoModelForSequenceClassification, pipeline
    folder, edf, reference = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3]))
    extractor = AutoFeatureExtractor.from_pretrained(folder, trust_remote_code=True)
    model = AutoModelForSequenceClassification.from_pretrained(folder, trust_remote_code=True).eval()
    assert type(model).__module__.startswith("transformers_modules"), type(model).__module__
    import mne
    features = extractor(mne.io.read_raw(edf, preload=True, verbose="error"), return_metadata=False)
    with torch.no_grad():
        logits = model(**features).logits
    assert (logits - torch.tensor(reference["logits"])).abs().max() < 1e-5
    classify = pipeline("eeg-classification", model=folder, trust_remote_code=True)
    assert type(classify).__module__.startswith("transformers_modules"), type(classify).__module__
    windows = classify(edf)
    assert [w["label"] for w in windows] == reference["labels"]
    assert max(abs(w["score"] - s) for w, s in zip(windows, reference["scores"])) < 1e-5
    print("OK", len(windows), type(classify).__name__)
    """
)


def test_the_repository_loads_and_classifies_real_eeg_where_the_package_cannot_be_imported(
    hub_folder, edf_path, tmp_path
):
    import mne
    import torch
    from transformers import AutoFeatureExtractor, AutoModelForSequenceClassification, pipeline

    extractor = AutoFeatureExtractor.from_pretrained(hub_folder)
    model = AutoModelForSequenceClassification.from_pretrained(hub_folder).eval()
    with torch.no_grad():
        logits = model(
            **extractor(mne.io.read_raw(edf_path, preload=True, verbose="error"), return_metadata=False)
        ).logits
    windows = pipeline("eeg-classification", model=str(hub_folder), trust_remote_code=True)(edf_path)
    assert len(windows) == 30  # 61 s of EEGMMIDB in 2 s windows
    reference = {
        "logits": logits.tolist(),
        "labels": [w["label"] for w in windows],
        "scores": [w["score"] for w in windows],
    }
    (tmp_path / "reference.json").write_text(json.dumps(reference))
    (tmp_path / "run.py").write_text(BLOCKED_PIPELINE)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_MODULES_CACHE": str(tmp_path / "modules"), "PYTHONPATH": ""}
    result = subprocess.run(
        [sys.executable, str(tmp_path / "run.py"), str(hub_folder), edf_path, str(tmp_path / "reference.json")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "OK 30 NeurIPTEEGClassificationPipeline" in result.stdout


def test_push_to_hub_refuses_offline_before_writing_anything(monkeypatch, tmp_path):
    from huggingface_hub import constants

    from modeling_neuript import NeurIPTFeatureExtractor
    from modeling_neuript.interop.hub import push_to_hub
    from small_checkpoint import small_classifier

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(RuntimeError, match="offline mode.*save_for_hub"):
        push_to_hub(small_classifier(), NeurIPTFeatureExtractor(window_seconds=2.0), "my-lab/neuript")


def test_push_to_hub_uploads_the_folder_save_for_hub_writes(monkeypatch):
    from huggingface_hub import HfApi, ModelCard, constants

    from modeling_neuript import NeurIPTFeatureExtractor
    from modeling_neuript.interop.hub import push_to_hub
    from small_checkpoint import small_classifier

    calls = {}

    def create_repo(self, repo_id, **kwargs):
        calls["create_repo"] = (repo_id, kwargs)

    def upload_folder(self, repo_id, folder_path, **kwargs):
        calls["upload_folder"] = (repo_id, kwargs)
        calls["files"] = sorted(os.listdir(folder_path))
        calls["card"] = ModelCard.load(os.path.join(folder_path, "README.md"))
        return "commit-info"

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(HfApi, "create_repo", create_repo)
    monkeypatch.setattr(HfApi, "upload_folder", upload_folder)
    result = push_to_hub(
        small_classifier(),
        NeurIPTFeatureExtractor(window_seconds=2.0),
        "my-lab/neuript",
        private=True,
        metrics={"balanced_accuracy": 0.61},
        license="apache-2.0",
    )
    assert result == "commit-info"
    assert calls["create_repo"] == ("my-lab/neuript", {"private": True, "exist_ok": True, "repo_type": "model"})
    assert calls["upload_folder"][0] == "my-lab/neuript"
    assert {
        "config.json",
        "model.safetensors",
        "preprocessor_config.json",
        "README.md",
        "pipeline_neuript.py",
        "modeling_neuript.py",
    } <= set(calls["files"])
    assert calls["card"].data.license == "apache-2.0"
    assert 'model="my-lab/neuript"' in calls["card"].text and "| balanced_accuracy | 0.6100 |" in calls["card"].text


def test_save_for_hub_needs_the_feature_extractor(tmp_path):
    from modeling_neuript.interop.hub import save_for_hub
    from small_checkpoint import small_classifier

    with pytest.raises(ValueError, match="feature extractor"):
        save_for_hub(small_classifier(), None, tmp_path / "repo")
    assert not (tmp_path / "repo").exists()


def test_an_encoder_is_published_for_feature_extraction(tmp_path):
    from huggingface_hub import ModelCard

    from modeling_neuript import NeurIPTFeatureExtractor, NeurIPTModel
    from modeling_neuript.interop.hub import save_for_hub
    from small_checkpoint import small_classifier

    folder = save_for_hub(
        NeurIPTModel(small_classifier().config),
        NeurIPTFeatureExtractor(window_seconds=2.0),
        tmp_path / "repo",
        base_model="my-lab/neuript-base",
        tags=["sleep"],
    )
    config = json.loads((folder / "config.json").read_text())
    assert list(config["custom_pipelines"]) == ["eeg-feature-extraction"]  # one task: pipeline(model=repo) infers it
    card = ModelCard.load(folder / "README.md")
    assert card.data.pipeline_tag == "feature-extraction" and card.data.base_model == "my-lab/neuript-base"
    assert "sleep" in card.data.tags and "eeg-classification" not in card.data.tags
    assert "No evaluation was recorded" in card.text and "metrics.json" not in {p.name for p in folder.iterdir()}
    assert 'pipeline("eeg-feature-extraction"' in card.text


def test_the_card_does_not_depend_on_the_save_order_and_leaves_a_foreign_readme_alone(tmp_path):
    from modeling_neuript import NeurIPTFeatureExtractor
    from small_checkpoint import small_classifier

    model, extractor = small_classifier(), NeurIPTFeatureExtractor(window_seconds=2.0)
    extractor.save_pretrained(tmp_path / "extractor_first")
    model.save_pretrained(tmp_path / "extractor_first")
    model.save_pretrained(tmp_path / "model_first")
    assert "No feature extractor was saved" in (tmp_path / "model_first" / "README.md").read_text()
    extractor.save_pretrained(tmp_path / "model_first")
    first, second = ((tmp_path / name / "README.md").read_text() for name in ("extractor_first", "model_first"))
    assert first == second and "2 s = 128 samples" in first
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "README.md").write_text("# My own card\n")
    model.save_pretrained(tmp_path / "mine")
    extractor.save_pretrained(tmp_path / "mine")
    assert (tmp_path / "mine" / "README.md").read_text() == "# My own card\n"
    assert not (tmp_path / "prepared").exists()
    extractor.save_pretrained(tmp_path / "prepared")  # an extractor alone (a prepared dataset): no card
    assert not (tmp_path / "prepared" / "README.md").exists()
