"""The standard transformers routes, taken where this package cannot be imported (only the checkpoint's remote code):
re-heading a pretraining checkpoint, plain `Trainer` on real Face13 windows, `trainer.save_model`, the pipeline on a
real EDF, and `push_to_hub` of model, extractor and trainer into a recorded Hub repository that loads again with
`pipeline(...)` and keeps the NeurIPT card. Plus, in this process: `return_dict=False` tuples for every class, and the
Trainer-facing pieces (predictions, collator, metrics)."""

import copy
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers import tiny_config

# The whole journey, as a user without the neuript package writes it. argv: pretraining checkpoint, prepared Face13
# events folder, EDF, output folder. Prints one JSON line per stage for the test to check.
JOURNEY = textwrap.dedent(
    """
    import fnmatch, json, shutil, sys, types
    from pathlib import Path
    sys.modules["modeling_neuript"] = None   # any import of the package now fails
    import torch
    from datasets import load_from_disk
    from safetensors.torch import load_file
    from transformers import (AutoFeatureExtractor, AutoModelForSequenceClassification, Trainer, TrainingArguments,
                              pipeline)
    pretrained, events, edf, out = sys.argv[1:5]

    def report(stage, **values):
        print(json.dumps({"stage": stage, **values}), flush=True)

    # 1. re-head a pretraining checkpoint for 3 labels
    labels = {0: "face-upright", 1: "face-inverted", 2: "house-upright"}
    model = AutoModelForSequenceClassification.from_pretrained(
        pretrained, trust_remote_code=True, num_labels=3, id2label=labels, ignore_mismatched_sizes=True)
    saved, state = load_file(f"{pretrained}/model.safetensors"), model.state_dict()
    backbone = [key for key in state if key.startswith("neuript.")]
    report("rehead", module=type(model).__module__, head=list(model.classifier.weight.shape),
           backbone=len(backbone), backbone_equal=all(torch.equal(state[k], saved[k]) for k in backbone),
           head_in_checkpoint=any(key.startswith("classifier.") for key in saved))

    # 2. plain Trainer on real Face13 windows, a one-line compute_metrics
    extractor = AutoFeatureExtractor.from_pretrained(pretrained, trust_remote_code=True)
    windows = load_from_disk(f"{events}/data").filter(lambda row: row["label"] < 3).with_format("numpy")
    train, validation = windows.select(range(0, 24)), windows.select(range(24, 40))
    args = TrainingArguments(f"{out}/run", num_train_epochs=1, per_device_train_batch_size=8, per_device_eval_batch_size=8,
                             eval_strategy="epoch", save_strategy="no", report_to="none", use_cpu=True,
                             hub_model_id="my-lab/neuript-face13")
    trainer = Trainer(model=model, args=args, train_dataset=train, eval_dataset=validation, processing_class=extractor,
                      compute_metrics=lambda p: {"accuracy": float((p.predictions.argmax(-1) == p.label_ids).mean())})
    trainer.train()
    prediction = trainer.predict(validation)
    report("trainer", metrics=trainer.evaluate(), predictions=list(prediction.predictions.shape))

    # 3. save with Trainer, classify a real EDF with the pipeline
    trainer.save_model(f"{out}/model")
    classify = pipeline("eeg-classification", model=f"{out}/model", trust_remote_code=True)
    results = classify(edf)
    report("pipeline", count=len(results), labels=sorted({w["label"] for w in results}),
           first=[results[0]["start"], results[0]["end"]], module=type(classify).__module__,
           files=sorted(p.name for p in Path(f"{out}/model").iterdir()))

    # 4. push model, extractor and trainer to a Hub that records uploads into hub/<repo id>/
    import huggingface_hub
    from huggingface_hub.errors import EntryNotFoundError
    hub, calls = Path(out) / "hub", []

    def create_repo(self, repo_id, **kwargs):
        calls.append(["create_repo", repo_id])
        (hub / repo_id).mkdir(parents=True, exist_ok=True)
        return types.SimpleNamespace(repo_id=repo_id)

    def upload_folder(self, repo_id, folder_path, ignore_patterns=None, **kwargs):
        ignored = [ignore_patterns] if isinstance(ignore_patterns, str) else (ignore_patterns or [])
        names = sorted(p.name for p in Path(folder_path).iterdir()
                       if p.is_file() and not any(fnmatch.fnmatch(p.name, pattern) for pattern in ignored))
        for name in names:
            shutil.copy(Path(folder_path) / name, hub / repo_id / name)
        calls.append(["upload_folder", repo_id, names])
        return "commit"

    def hf_hub_download(self, repo_id, filename, **kwargs):
        path = hub / repo_id / filename
        if not path.is_file():
            raise EntryNotFoundError(f"{filename} not in {repo_id}")
        return str(path)

    huggingface_hub.HfApi.create_repo = create_repo
    huggingface_hub.HfApi.upload_folder = upload_folder
    huggingface_hub.HfApi.hf_hub_download = hf_hub_download
    repo = hub / "my-lab/neuript-face13"

    trainer.model.push_to_hub("my-lab/neuript-face13")
    card_after_model = (repo / "README.md").read_text()
    extractor.push_to_hub("my-lab/neuript-face13", datasets=["my-lab/face13"])
    card_after_extractor = (repo / "README.md").read_text()
    trainer.push_to_hub(finetuned_from="my-lab/neuript-pretrained", dataset="my-lab/face13")
    report("push", calls=calls, files=sorted(p.name for p in repo.iterdir()),
           model_card_contract="## Preprocessing contract" in card_after_model,
           model_card_without_extractor="No feature extractor was saved" in card_after_model,
           extractor_card_contract="to **64 Hz**" in card_after_extractor)
    pushed = pipeline("eeg-classification", model=str(repo), trust_remote_code=True)(edf)
    report("reload", count=len(pushed), same=[w["label"] for w in pushed] == [w["label"] for w in results])
    """
)


@pytest.fixture(scope="module")
def pretraining_checkpoint(face13_tiny_events, tmp_path_factory):
    """`neuript pretrain`, 2 updates of a 3-layer tiny model on the Face13 windows: a real pretraining export."""
    from modeling_neuript.training.pretrain import PretrainArguments, pretrain

    root = tmp_path_factory.mktemp("pretrain")
    config = tiny_config(num_hidden_layers=3, merge_factors=[1, 4, 2], num_experts_per_layer=[0, 2, 4])
    config.to_json_file(root / "small.json")
    threads = torch.get_num_threads()
    try:
        summary = pretrain(PretrainArguments(
            dataset=str(face13_tiny_events), output_dir=str(root / "run"), model=str(root / "small.json"), max_steps=2,
            per_device_batch_size=4, save_steps=2, report_to="none", progress_bar=False, deterministic=False,
        ))
    finally:
        torch.set_num_threads(threads)
    return Path(summary["model"])


def test_the_standard_journey_where_the_package_cannot_be_imported(
    pretraining_checkpoint, face13_tiny_events, edf_path, tmp_path
):
    script = tmp_path / "journey.py"
    script.write_text(JOURNEY)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_MODULES_CACHE": str(tmp_path / "modules"), "PYTHONPATH": "",
           "OMP_NUM_THREADS": "2"}
    result = subprocess.run(
        [sys.executable, str(script), str(pretraining_checkpoint), str(face13_tiny_events), edf_path, str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    reports = [json.loads(line) for line in result.stdout.splitlines() if line.startswith('{"stage"')]
    stages = {entry.pop("stage"): entry for entry in reports}

    rehead = stages["rehead"]
    assert rehead["module"].startswith("transformers_modules")  # the checkpoint's code, not this package
    assert rehead["head"][0] == 3 and not rehead["head_in_checkpoint"]
    assert rehead["backbone"] > 100 and rehead["backbone_equal"]  # every backbone tensor equals the checkpoint's
    assert "re-initialised" not in result.stderr and "LOAD REPORT" not in result.stderr
    assert "newly initialised: ['classifier.bias', 'classifier.weight'] (a head for 3 labels)" in result.stderr

    trainer = stages["trainer"]
    assert 0.0 <= trainer["metrics"]["eval_accuracy"] <= 1.0 and np.isfinite(trainer["metrics"]["eval_loss"])
    assert trainer["predictions"] == [16, 3]  # the logits array, not a tuple with pooled features

    pipeline = stages["pipeline"]
    assert pipeline["count"] == 61  # 61 s of EEGMMIDB in the checkpoint's 1 s windows: one result per window
    assert pipeline["first"] == [0.0, 1.0]
    assert set(pipeline["labels"]) <= {"face-upright", "face-inverted", "house-upright"}
    assert pipeline["module"].startswith("transformers_modules")
    assert {"pipeline_neuript.py", "preprocessor_config.json", "README.md", "model.safetensors"} <= set(pipeline["files"])

    push = stages["push"]
    uploads = [call for call in push["calls"] if call[0] == "upload_folder"]
    assert len(uploads) == 3 and all(call[1] == "my-lab/neuript-face13" for call in uploads)
    assert "preprocessor_config.json" not in uploads[0][2] and "model.safetensors" in uploads[0][2]  # model only
    assert "preprocessor_config.json" in uploads[1][2] and "model.safetensors" not in uploads[1][2]  # extractor only
    assert push["model_card_contract"] and push["model_card_without_extractor"] and push["extractor_card_contract"]
    assert {"config.json", "model.safetensors", "preprocessor_config.json", "README.md", "pipeline_neuript.py",
            "modeling_neuript.py", "feature_extraction_neuript.py", "card_neuript.py"} <= set(push["files"])
    assert stages["reload"] == {"count": 61, "same": True}

    from huggingface_hub import ModelCard

    card = ModelCard.load(tmp_path / "hub" / "my-lab" / "neuript-face13" / "README.md")
    data = card.data
    assert data.pipeline_tag == "feature-extraction" and data.library_name == "transformers"
    assert {"eeg", "arxiv:2510.16548", "eeg-classification"} <= set(data.tags) and data.license == "mit"
    assert data.base_model == "my-lab/neuript-pretrained" and data.datasets == ["my-lab/face13"]
    (result,) = [r for r in data.eval_results if r.metric_type == "accuracy"]
    assert result.dataset_type == "my-lab/face13" and result.dataset_split == "validation"
    assert result.metric_value == pytest.approx(trainer["metrics"]["eval_accuracy"], abs=1e-6)
    text = card.text
    assert "to **64 Hz**" in text and "1 s = 64 samples" in text  # the preprocessing contract of the extractor
    assert "### Training hyperparameters" in text  # the Trainer's summary, kept inside our card
    assert "generated_from_trainer" in data.tags and "More information needed" not in text


def test_return_dict_false_gives_tuples_for_every_model_class():
    from modeling_neuript import NeurIPTForPretraining, NeurIPTForSequenceClassification, NeurIPTModel

    config = tiny_config(num_hidden_layers=2, merge_factors=[1, 2], num_experts_per_layer=[0, 2], num_labels=3)
    inputs = torch.randn(2, 3, 64), torch.tensor([[0.0, 0.05, 0.05], [0.0, -0.05, 0.05], [0.05, 0.0, 0.05]])
    labels = torch.tensor([0, 2])
    for model_class, extra in [(NeurIPTModel, {}), (NeurIPTForPretraining, {}), (NeurIPTForSequenceClassification,
                                                                               {"labels": labels})]:
        torch.manual_seed(0)
        model = model_class(copy.deepcopy(config)).eval()
        torch.manual_seed(1)
        as_dict = model(*inputs, **extra)
        torch.manual_seed(1)
        as_tuple = model(*inputs, return_dict=False, **extra)
        assert type(as_tuple) is tuple, model_class
        expected = as_dict.to_tuple()
        assert len(as_tuple) == len(expected)
        for got, want in zip(as_tuple, expected):
            if isinstance(want, torch.Tensor):
                torch.testing.assert_close(got, want)
        model.config.return_dict = False  # the config's default, as transformers models read it
        torch.manual_seed(1)
        assert type(model(*inputs, **extra)) is tuple
    classifier_output = model(*inputs, labels=labels, return_dict=False)
    assert classifier_output[0].dim() == 0 and classifier_output[1].shape == (2, 3)  # (loss, logits, ...)


def test_a_label_keyword_is_refused_not_swallowed():
    from modeling_neuript import NeurIPTForSequenceClassification

    model = NeurIPTForSequenceClassification(tiny_config(num_labels=2))
    with pytest.raises(ValueError, match="labels="):
        model(torch.randn(1, 2, 64), torch.zeros(2, 3), label=torch.tensor([1]))


def test_trainer_defaults_collate_channels_and_predict_logits(tmp_path):
    """`Trainer(processing_class=extractor)` pads windows of different channel counts by default, and predictions
    are the logits array (what `np.argmax(p.predictions, -1)` expects)."""
    from transformers import Trainer, TrainingArguments

    from modeling_neuript import NeurIPTFeatureExtractor, NeurIPTForSequenceClassification

    torch.manual_seed(0)
    model = NeurIPTForSequenceClassification(tiny_config(num_labels=2, window_seconds=1.0))
    extractor = NeurIPTFeatureExtractor(window_seconds=1.0)
    rows = [
        {"input_values": np.random.default_rng(i).normal(size=(2 + i % 3, 64)).astype(np.float32),
         "channel_positions": np.tile([[0.0, 0.05, 0.05]], (2 + i % 3, 1)).astype(np.float32) + 0.01 * np.arange(
             2 + i % 3)[:, None],
         "label": i % 2}
        for i in range(6)
    ]
    trainer = Trainer(model=model, args=TrainingArguments(tmp_path, report_to="none", use_cpu=True,
                                                          per_device_eval_batch_size=6),
                      eval_dataset=rows, processing_class=extractor, compute_metrics=model.compute_metrics)
    batch = trainer.data_collator(rows)
    assert batch["input_values"].shape == (6, 4, 64) and batch["channel_mask"].sum(1).tolist() == [2, 3, 4, 2, 3, 4]
    assert batch["labels"].tolist() == [0, 1, 0, 1, 0, 1]
    prediction = trainer.predict(rows)
    assert isinstance(prediction.predictions, np.ndarray) and prediction.predictions.shape == (6, 2)
    assert {"test_balanced_accuracy", "test_cohen_kappa", "test_weighted_f1", "test_roc_auc"} <= set(prediction.metrics)


def test_eeg_metrics_equal_scikit_learn():
    from sklearn.metrics import balanced_accuracy_score, cohen_kappa_score, f1_score, roc_auc_score

    from modeling_neuript.metrics_neuript import eeg_classification_metrics, softmax

    rng = np.random.default_rng(0)
    for classes in (2, 3, 4):
        labels = np.tile(np.arange(classes), 10)
        logits = np.round(rng.normal(size=(len(labels), classes)) + np.eye(classes)[labels], 1)  # ties included
        got = eeg_classification_metrics((logits, labels))
        predicted = logits.argmax(-1)
        probabilities = softmax(logits)
        auc = roc_auc_score(labels, probabilities[:, 1]) if classes == 2 else roc_auc_score(
            labels, probabilities, multi_class="ovr", average="macro")
        assert got == pytest.approx({
            "balanced_accuracy": balanced_accuracy_score(labels, predicted),
            "cohen_kappa": cohen_kappa_score(labels, predicted),
            "weighted_f1": f1_score(labels, predicted, average="weighted"),
            "roc_auc": auc,
        }, abs=1e-12)
    one_class = eeg_classification_metrics((logits[labels == 0], labels[labels == 0]))
    assert "roc_auc" not in one_class  # undefined with one class: left out, not nan


def test_a_pretraining_checkpoint_loads_as_an_encoder_in_one_quiet_line(tmp_path, caplog):
    """No per-key load report (the decoder's tensors are simply not used): nothing at WARNING, one INFO line."""
    import logging

    from modeling_neuript import NeurIPTForPretraining
    from modeling_neuript.interop.sklearn_embedder import NeurIPTEmbedder

    NeurIPTForPretraining(tiny_config(num_hidden_layers=2, merge_factors=[1, 2], num_experts_per_layer=[0, 2])
                          ).save_pretrained(tmp_path)
    with caplog.at_level(logging.INFO):
        NeurIPTEmbedder(str(tmp_path), channel_names=["F3", "F4"])._load_encoder()
    loading = [r for r in caplog.records if "LOAD REPORT" in r.getMessage() or "backbone" in r.getMessage()]
    assert [r.levelno for r in loading] == [logging.INFO]
    assert "newly initialised: nothing; not used: ['decoder']" in loading[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and "transformers" in r.name]
